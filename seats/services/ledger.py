"""The one writer of seat validity: appends rows to the `SeatPeriod` ledger and refreshes the
`Seat.valid_until` / `Seat.paid_through` cache from them, in one transaction, under the account
lock (then the seats' locks, in id order). The rule that derives the cache from the rows is in
`seats.validity` and on `SeatPeriod`.

- `seat_open`: a new seat with its first period (sign-up, adding seats, invitations);
- `seat_periods_append`: set seats' dates (an order, a package change, a staff correction);
- `seat_periods_reverse`: revert rows, or every row of an order (a refund), exactly.

Dates are business dates (Europe/Warsaw), inclusive; `as_of` is the event's business day.
"""

from collections import defaultdict
from datetime import date
from typing import NamedTuple

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from billing_site.dates import end_of_month
from billing_site.errors import DomainError

from ..audit import audit_record
from ..models import Account, Seat, SeatPeriod, SeatPeriodCause
from ..validity import Validity, ValidityChangeError, derive_validity, periods_for_change
from .common import _lock_account

# Causes an append may carry; reversal causes come with `seat_periods_reverse`, and the first
# period of a seat with `seat_open`.
APPEND_CAUSES = [SeatPeriodCause.ORDER, SeatPeriodCause.PACKAGE_CHANGE,
                 SeatPeriodCause.STAFF_CORRECTION]
REVERSE_CAUSES = [SeatPeriodCause.REFUND_REVERSAL, SeatPeriodCause.STAFF_CORRECTION]


class SeatValidityChange(NamedTuple):
    """The dates one seat should have after an append. `seat`: a `Seat` of the account (or its
    id); `valid_until`: inclusive; `paid_through`: last day paid, None for a seat never paid."""

    seat: Seat | int
    valid_until: date
    paid_through: date | None


def in_trial(account: Account, as_of: date) -> bool:
    return bool(account.trial and account.trial_ends_on and as_of <= account.trial_ends_on)


def new_seat_valid_until(account: Account, as_of: date) -> date:
    """A seat added outside a renewal is valid until the end of the current month; during the free
    trial it runs with the trial instead, so the whole account ends its trial on one day."""
    if in_trial(account, as_of):
        return account.trial_ends_on
    return end_of_month(as_of)


def _actor_fields(actor):
    known = actor is not None and actor.pk
    return {"actor": actor if known else None,
            "actor_label": actor.get_username() if known else "system"}


def _rows_by_seat(seat_ids) -> dict[int, list[SeatPeriod]]:
    rows = defaultdict(list)
    for row in SeatPeriod.objects.filter(seat_id__in=seat_ids).order_by("id"):
        rows[row.seat_id].append(row)
    return rows


def _refresh_cache(seats, rows_by_seat) -> dict[int, tuple]:
    """Write each seat's cache from its rows; {seat id: (before, after)} of those that changed,
    dates as ISO strings (for the audit row)."""
    changed, moved = [], {}
    for seat in seats:
        derived = derive_validity(rows_by_seat[seat.pk])
        before = (seat.valid_until, seat.paid_through)
        after = (derived.valid_until, derived.paid_through)
        if after != before:
            seat.valid_until, seat.paid_through = after
            changed.append(seat)
            moved[seat.pk] = tuple(
                [d.isoformat() if d else None for d in pair] for pair in (before, after)
            )
    if changed:
        Seat.objects.bulk_update(changed, ["valid_until", "paid_through"])
    return moved


def _audit(*, account, actor, cause, order_id, as_of, moved):
    audit_record(
        account=account, actor=actor, action="seat.validity", target=account,
        before={"seats": {str(pk): before for pk, (before, _after) in moved.items()}},
        after={"cause": str(cause), "order_id": order_id, "as_of": as_of.isoformat(),
               "seats": {str(pk): after for pk, (_before, after) in moved.items()}},
    )


def seats_open(*, account, count, as_of, actor, member=None) -> list[Seat]:
    """Create `count` seats of `account` (locked by the caller) created on `as_of`, each with its
    first period: valid until `new_seat_valid_until`, never paid; cause `trial` while the account
    is on its free trial, else `seat_added`. `member` occupies the (single) seat when given. The
    caller writes the `seat.add` audit row, which records the same dates."""
    valid_until = new_seat_valid_until(account, as_of)
    cause = SeatPeriodCause.TRIAL if in_trial(account, as_of) else SeatPeriodCause.SEAT_ADDED
    if member is not None and count != 1:
        raise ValueError("a member occupies one seat")
    # numbered after the highest number the account ever had (removed seats included), safe
    # because the caller holds the account lock
    last = Seat.objects.filter(account=account).aggregate(last=Max("number"))["last"] or 0
    seats = [Seat.objects.create(account=account, number=last + i, valid_until=valid_until,
                                 created_on=as_of, member=member)
             for i in range(1, count + 1)]
    SeatPeriod.objects.bulk_create(
        SeatPeriod(account=account, seat=seat, first_day=min(as_of, valid_until),
                   last_day=valid_until, paid=False, cause=cause, **_actor_fields(actor))
        for seat in seats
    )
    return seats


@transaction.atomic
def seat_periods_append(*, account, changes, cause, order_id=None, actor,
                        as_of) -> list[SeatPeriod]:
    """Set the dates of seats of `account` by appending ledger rows, and refresh their cache.

    `changes`: [SeatValidityChange | (seat or seat id, valid_until, paid_through)], one per seat;
    a seat whose dates do not change gets no row. `cause`: order, package change or staff
    correction; `order_id`: the plans.Order the rows belong to (so a refund can revert them).
    Refused with `DomainError`: a seat of another account, paid_through after valid_until, and
    paid time taken back (that is `seat_periods_reverse`). The `Seat` objects passed in get the
    new dates too. Returns the rows appended, in order; writes one `seat.validity` audit row."""
    if cause not in APPEND_CAUSES:
        raise ValueError(f"seat_periods_append does not append {cause!r} periods")
    account = _lock_account(account)
    changes = [SeatValidityChange(*change) for change in changes]
    given = {getattr(c.seat, "pk", c.seat): c for c in changes}
    if len(given) != len(changes):
        raise ValueError("one change per seat")
    seats = list(Seat.objects.select_for_update().filter(account=account, pk__in=list(given))
                 .order_by("id"))
    if len(seats) != len(given):
        raise DomainError(_("These seats do not belong to the account."), code="seat_unknown")
    rows_by_seat = _rows_by_seat(given)
    new_rows = []
    for seat in seats:
        change = given[seat.pk]
        try:
            rows = periods_for_change(
                current=derive_validity(rows_by_seat[seat.pk]),
                target=Validity(change.valid_until, change.paid_through),
                created_on=seat.created_on, as_of=as_of,
            )
        except ValidityChangeError as exc:
            raise DomainError(
                _("Seat no. %(number)d cannot be given these dates: %(reason)s.")
                % {"number": seat.number, "reason": exc}, code="seat_validity_invalid",
            ) from exc
        new_rows += [
            SeatPeriod(account=account, seat=seat, first_day=first, last_day=last, paid=paid,
                       cause=cause, order_id=order_id, **_actor_fields(actor))
            for first, last, paid in rows
        ]
    SeatPeriod.objects.bulk_create(new_rows)  # ids in list order: the order they count in
    for row in new_rows:
        rows_by_seat[row.seat_id].append(row)
    moved = _refresh_cache(seats, rows_by_seat)
    for seat in seats:
        wanted = given[seat.pk]
        if (seat.valid_until, seat.paid_through) != (wanted.valid_until, wanted.paid_through):
            raise AssertionError(f"seat #{seat.pk}: the ledger does not derive the dates set")
        if isinstance(wanted.seat, Seat):
            wanted.seat.valid_until = wanted.valid_until
            wanted.seat.paid_through = wanted.paid_through
    if moved:
        _audit(account=account, actor=actor, cause=cause, order_id=order_id, as_of=as_of,
               moved=moved)
    if cause == SeatPeriodCause.ORDER and account.trial:
        _trial_end_paid(account, actor=actor, order_id=order_id, as_of=as_of)
    return new_rows


def _trial_end_paid(account, *, actor, order_id, as_of):
    """A paid order ends the free trial (SPEC §6: paying at any time keeps all data): from now on
    the account follows the phases of its seats' dates, not the trial's end. `trial_ends_on`
    stays, because the pricing never charges the trial days."""
    account.trial = False
    account.save(update_fields=["trial"])
    audit_record(account=account, actor=actor, action="account.trial_paid", target=account,
                 before={"trial": True},
                 after={"trial": False, "order_id": order_id, "as_of": as_of.isoformat()})


@transaction.atomic
def seat_periods_reverse(*, account, periods=None, order_id=None,
                         cause=SeatPeriodCause.REFUND_REVERSAL, actor, as_of) -> list[SeatPeriod]:
    """Revert ledger rows of `account` and refresh the seats' cache: `periods` (rows or ids), or
    every effective row of the order `order_id` (a refund). Each gets a reversal row (same days
    and `paid`, `reverses` = the row, the row's order); the derivation then skips both, so
    reverting an event's rows restores the dates the seats had before it exactly.

    `cause`: refund reversal or staff correction. Refused with `DomainError`: nothing to revert,
    a row already reverted or itself a reversal, a row of another account, and reverting the
    first period of a seat (which would leave it without dates). Returns the reversal rows;
    writes one `seat.validity` audit row."""
    if cause not in REVERSE_CAUSES:
        raise ValueError(f"a reversal is a refund reversal or a staff correction, not {cause!r}")
    if (periods is None) == (order_id is None):
        raise ValueError("pass either periods or order_id")
    account = _lock_account(account)
    if order_id is not None:
        targets = list(SeatPeriod.objects.filter(
            account=account, order_id=order_id, reverses__isnull=True,
            reversed_by__isnull=True,
        ).order_by("id"))
    else:
        ids = {getattr(p, "pk", p) for p in periods}
        targets = list(SeatPeriod.objects.filter(pk__in=ids, account=account).order_by("id"))
        if len(targets) != len(ids):
            raise DomainError(_("These periods do not belong to the account."),
                              code="period_unknown")
    if not targets:
        raise DomainError(_("There are no seat periods to revert."),
                          code="nothing_to_reverse", status=409)
    seat_ids = sorted({row.seat_id for row in targets})
    seats = list(Seat.objects.select_for_update().filter(pk__in=seat_ids).order_by("id"))
    rows_by_seat = _rows_by_seat(seat_ids)
    reversed_ids = {row.reverses_id for rows in rows_by_seat.values() for row in rows
                    if row.reverses_id is not None}
    for row in targets:
        if row.reverses_id is not None:
            raise DomainError(_("A reversal cannot be reverted; set the dates again instead."),
                              code="period_is_reversal")
        if row.pk in reversed_ids:
            raise DomainError(_("Seat period #%(id)d has already been reverted.")
                              % {"id": row.pk}, code="period_reversed")
    reversals = [
        SeatPeriod(account=account, seat_id=row.seat_id, first_day=row.first_day,
                   last_day=row.last_day, paid=row.paid, cause=cause, order_id=row.order_id,
                   reverses=row, **_actor_fields(actor))
        for row in targets
    ]
    SeatPeriod.objects.bulk_create(reversals)
    for row in reversals:
        rows_by_seat[row.seat_id].append(row)
    for seat in seats:
        if derive_validity(rows_by_seat[seat.pk]).valid_until is None:
            raise DomainError(_("Seat no. %(number)d would have no period left: its first "
                                "period cannot be reverted.") % {"number": seat.number},
                              code="seat_first_period")
    moved = _refresh_cache(seats, rows_by_seat)
    _audit(account=account, actor=actor, cause=cause, order_id=order_id, as_of=as_of,
           moved=moved)
    return reversals
