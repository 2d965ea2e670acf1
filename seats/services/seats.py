"""Seats: adding (each with its first validity period), removing, assigning (SPEC §3)."""

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing_site.errors import DomainError
from catalogue.models import BillingPolicy

from ..access import standing_of
from ..audit import audit_record, snapshot
from ..models import OPEN_INVITATION, Invitation, Member, MemberState, Seat
from .common import SEAT_FIELDS, _lock_account
from .ledger import in_trial, seats_open

MAX_SEATS_PER_REQUEST = 500


@transaction.atomic
def seats_add(*, account, count, actor, as_of, for_order=False) -> list[Seat]:
    """Add `count` free seats valid until the end of the current month and not yet paid; their
    cost from today is charged on the next renewal (SPEC §3).

    While the account is blocked or suspended because its seats lapsed or its trial ended, a seat
    added outside a renewal would make the account valid again for free (its phase follows the
    latest seat, SPEC §6), so it is refused with `DomainError` code `account_blocked`; a paid
    renewal adds its new seats with `for_order=True`. An account without any seat yet (being set
    up) and one blocked only by a finance hold may add seats."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise DomainError(_("Add at least one seat."), field="count")
    account = _lock_account(account)
    if not for_order:
        _refuse_if_lapsed(account, as_of)
        # before the per-request limit: during the trial the smaller trial cap is what applies
        _refuse_over_trial_cap(account, count, as_of)
    if count > MAX_SEATS_PER_REQUEST:
        raise DomainError(
            _("At most %(max)d seats can be added at once.") % {"max": MAX_SEATS_PER_REQUEST},
            field="count",
        )
    seats = seats_open(account=account, count=count, as_of=as_of, actor=actor)
    for seat in seats:
        audit_record(account=account, actor=actor, action="seat.add", target=seat,
                     after=snapshot(seat, SEAT_FIELDS))
    return seats


def seats_only_in_renewal(account, as_of, *, standing=None) -> bool:
    """True while `account` is blocked or suspended on `as_of` because its seats lapsed or its
    unpaid trial ended: new seats then come only with a paid renewal (see `seats_add`).
    `standing`: the account's `Standing` on `as_of` when the caller has it (a page's access
    decision), else read (one query)."""
    standing = standing or standing_of(account, as_of)
    lapsed = standing.valid_until is not None or standing.trial_ends_on is not None
    return standing.blocked and lapsed and not standing.held


def _refuse_over_trial_cap(account, count, as_of):
    """During the free trial an account has at most `BillingPolicy.trial_max_seats` seats (not
    removed; issue 12). Checked under the account lock, so two requests cannot both pass it. A
    paid renewal (`for_order=True`) is not capped: it ends the trial."""
    if not in_trial(account, as_of):
        return
    cap = BillingPolicy.current().trial_max_seats
    live = Seat.objects.filter(account=account, removed_on__isnull=True).count()
    if live + count > cap:
        left = max(0, cap - live)
        limit = ngettext(
            "During the free trial an organisation can have at most %(max)d seat; it has "
            "%(count)d.",
            "During the free trial an organisation can have at most %(max)d seats; it has "
            "%(count)d.", cap,
        ) % {"max": cap, "count": live}
        if left:
            more = ngettext("You can add up to %(left)d more seat now.",
                            "You can add up to %(left)d more seats now.", left) % {"left": left}
        else:
            more = _("To add more, renew (pay) first, or remove free seats.")
        raise DomainError(f"{limit} {more}", code="trial_seat_cap", field="count")


def seats_addable(account, as_of) -> int:
    """How many seats one "Add seats" request may add now: the per-request limit, or fewer
    while the free trial caps the account's seats (issue 12); 0 when none may be added."""
    if not in_trial(account, as_of):
        return MAX_SEATS_PER_REQUEST
    live = Seat.objects.filter(account=account, removed_on__isnull=True).count()
    return max(0, min(MAX_SEATS_PER_REQUEST, BillingPolicy.current().trial_max_seats - live))


def _refuse_if_lapsed(account, as_of):
    if seats_only_in_renewal(account, as_of):
        raise DomainError(
            _("This account is blocked because its seats are not paid. New seats can only be "
              "added in a renewal: choose them on the Renew page and pay."),
            code="account_blocked", status=409, field="count",
        )


@transaction.atomic
def seat_remove(*, account, seat, actor, as_of) -> Seat:
    """Remove a free seat. Occupied seats are refused; paid time is not refunded."""
    account = _lock_account(account)
    seat = Seat.objects.select_for_update(of=("self",)).select_related("member__user").get(
        pk=seat.pk, account=account
    )
    _remove(account=account, seat=seat, actor=actor, as_of=as_of)
    return seat


@transaction.atomic
def seats_remove(*, account, seats, actor, as_of) -> list[Seat]:
    """Remove several free seats at once (issue 12): all of them or, when one of them is
    occupied, already removed or not the account's, none (`DomainError`). Paid time is not
    refunded. Returns the seats in number order."""
    ids = {getattr(seat, "pk", seat) for seat in seats}
    if not ids:
        raise DomainError(_("Choose at least one free seat to remove."), code="no_seats")
    account = _lock_account(account)
    rows = list(
        Seat.objects.select_for_update(of=("self",)).select_related("member__user")
        .filter(account=account, pk__in=ids).order_by("number")
    )
    if len(rows) != len(ids):
        raise DomainError(_("These seats do not belong to the account."), code="seat_unknown")
    for seat in rows:
        _remove(account=account, seat=seat, actor=actor, as_of=as_of)
    return rows


def _remove(*, account, seat, actor, as_of):
    if seat.removed_on is not None:
        raise DomainError(_("This seat has already been removed."), code="seat_removed", status=409)
    _refuse_if_held(seat)
    if seat.member_id is not None:
        raise DomainError(
            _("Seat no. %(number)d is occupied by %(email)s. Suspend or delete that user first, "
              "choosing “remove the seat too”.")
            % {"number": seat.number, "email": seat.member.email},
            code="seat_occupied", status=409,
        )
    before = snapshot(seat, SEAT_FIELDS)
    seat.removed_on = as_of
    seat.save(update_fields=["removed_on"])
    audit_record(account=account, actor=actor, action="seat.remove", target=seat, before=before,
                 after=snapshot(seat, SEAT_FIELDS))


def _free_seat(account):
    """The free seat a newcomer takes: the one valid longest (then the oldest), neither occupied
    nor held by an open invitation (`SeatQuerySet.free`), locked. Callers hold the account
    lock, so two of them never pick the same seat (and `invitation_one_pending_per_seat` and the
    one-to-one `Seat.member` refuse it in the database if they did). An invitation taking the
    seat settles the invitations pending on it first (`invitations_settle`: one accepted since
    may still be pending there)."""
    return (
        Seat.objects.free().select_for_update()
        .filter(account=account, removed_on__isnull=True)
        .order_by("-valid_until", "id")
        .first()
    )


def _held_for(member):
    """The seat `member`'s own open invitation holds, if it is free of anyone else (a new
    address's invitee who was suspended before accepting comes back onto it), locked."""
    return (Seat.objects.select_for_update()
            .filter(Exists(Invitation.objects.filter(OPEN_INVITATION, seat=OuterRef("pk"),
                                                     member=member)),
                    removed_on__isnull=True, member__isnull=True)
            .first())


def _refuse_if_held(seat, *, member=None):
    """A seat held by an open invitation (issue 13 item 3) is neither assigned (except to that
    invitation's own member) nor removed; the refusal names the invited address and is the same
    whoever owns it (before any refusal naming an occupant: a new address's member sits on the
    seat their invitation holds)."""
    invitation = (Invitation.objects.filter(OPEN_INVITATION, seat=seat)
                  .exclude(member__isnull=False, member=member).only("email").first())
    if invitation is not None:
        raise DomainError(
            _("Seat no. %(number)d is reserved for the invitation of %(email)s. Cancel the "
              "invitation in the members list to free it.")
            % {"number": seat.number, "email": invitation.email},
            code="seat_reserved", status=409,
        )


def _occupy(*, account, seat, member, actor):
    before = snapshot(seat, SEAT_FIELDS)
    seat.member = member
    try:
        with transaction.atomic():
            seat.save(update_fields=["member"])
    except IntegrityError as exc:  # the one-to-one constraint: member already seated elsewhere
        raise DomainError(_("This user already occupies a seat."),
                          code="member_seated", status=409) from exc
    audit_record(account=account, actor=actor, action="seat.assign", target=seat, before=before,
                 after=snapshot(seat, SEAT_FIELDS))


@transaction.atomic
def seat_assign(*, account, seat, member, actor, as_of) -> Seat:
    """Give a free seat to an active member who has none."""
    account = _lock_account(account)
    seat = Seat.objects.select_for_update().get(pk=seat.pk, account=account)
    member = Member.objects.select_for_update().get(pk=member.pk, account=account)
    if seat.removed_on is not None:
        raise DomainError(_("This seat has been removed."), code="seat_removed", status=409)
    _refuse_if_held(seat, member=member)
    if seat.member_id is not None:
        raise DomainError(_("This seat is already occupied."), code="seat_occupied", status=409)
    if member.state == MemberState.DELETED:
        raise DomainError(
            _("%(email)s has been deleted; invite the user again instead.")
            % {"email": member.email},
            code="member_not_active", status=409,
        )
    if member.state != MemberState.ACTIVE:
        raise DomainError(
            _("%(email)s is %(state)s; restore the user instead.")
            % {"email": member.email, "state": member.get_state_display()},
            code="member_not_active", status=409,
        )
    if Seat.objects.filter(member=member).exists():
        raise DomainError(_("This user already occupies a seat."), code="member_seated", status=409)
    _occupy(account=account, seat=seat, member=member, actor=actor)
    return seat
