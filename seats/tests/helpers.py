"""Test helpers that build seat-validity states through the ledger, never by writing the seats.

Until the payments slice books orders, a "paid" state (as a booked renewal leaves the seats) is
built with the same service a booking will use, `seats.services.seat_periods_append`, with the
cause of a staff correction (there is no order to point at)."""

from collections import defaultdict

from seats.models import Seat, SeatPeriodCause
from seats.services import seat_periods_append

KEEP = object()  # leave this date as it is


def seats_set_validity(seats, *, valid_until=KEEP, paid_through=KEEP, as_of=None,
                       cause=SeatPeriodCause.STAFF_CORRECTION, actor=None) -> list[Seat]:
    """Give `seats` (Seat objects, ids or a queryset; any accounts) these dates through the
    ledger. `as_of`: the event's business day (default: the latest creation day of the seats);
    it only decides the informational `first_day` of rows that move a date earlier. Returns the
    seats re-read, in id order."""
    ids = [getattr(seat, "pk", seat) for seat in seats]
    by_account = defaultdict(list)
    for seat in Seat.objects.filter(pk__in=ids).select_related("account").order_by("id"):
        by_account[seat.account_id].append(seat)
    for account_seats in by_account.values():
        seat_periods_append(
            account=account_seats[0].account, cause=cause, actor=actor,
            as_of=as_of or max(seat.created_on for seat in account_seats),
            changes=[
                (seat,
                 seat.valid_until if valid_until is KEEP else valid_until,
                 seat.paid_through if paid_through is KEEP else paid_through)
                for seat in account_seats
            ],
        )
    return list(Seat.objects.filter(pk__in=ids).order_by("id"))


def seats_pay_through(seats, day, **kwargs) -> list[Seat]:
    """`seats` as a booked renewal leaves them: valid and paid through `day`."""
    return seats_set_validity(seats, valid_until=day, paid_through=day, **kwargs)
