"""Contract accounts (SPEC §3) and finance's access holds: the two things besides seat dates that
the one access decision (`seats.access`) reads.

- `contract_set`: staff make an account a contract account (or change the contract's term):
  at least `CONTRACT_MIN_SEATS` seats, open-ended or a fixed term of at least
  `CONTRACT_MIN_MONTHS` months. While the contract runs the account is never blocked by seat
  expiry. The first time, it also records the account's seat count as its first confirmed count.
- `contract_seats_confirm`: the account's admin confirms "send the new seat count for recurring
  billing": the live seat count is appended to the `ConfirmedSeatCount` ledger, which monthly
  contract invoicing reads (issue 11).
- `account_hold_place` / `account_hold_lift`: finance blocks an account by hand (an overdue
  contract account) and unblocks it; while a hold is open the account is blocked as in SPEC §6.

Each locks the account row first, refuses with `DomainError`, and writes an audit row.
"""

from datetime import date
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.errors import DomainError

from ..audit import audit_record
from ..models import AccessHold, Account, ConfirmedSeatCount, Contract, Seat
from .common import _lock_account

CONTRACT_MIN_SEATS = 10  # SPEC §3
CONTRACT_MIN_MONTHS = 6  # SPEC §3: a fixed term lasts at least this many months


def _contract_fields(contract):
    if contract is None:
        return None
    return {"starts_on": contract.starts_on.isoformat(),
            "ends_on": contract.ends_on.isoformat() if contract.ends_on else None}


@transaction.atomic
def contract_set(*, account, starts_on: date, ends_on: date | None, actor,
                 as_of: date) -> Contract:
    """Make `account` a contract account from `starts_on` (inclusive) to `ends_on` (inclusive;
    None for open-ended), or change the term of its contract. Returns the `Contract`.

    Refused with `DomainError`: fewer than 10 seats; a fixed term shorter than 6 months
    (`ends_on` earlier than the day before `starts_on` + 6 months); an end before the start or in
    the past (`as_of`). Writes a `contract.set` audit row with the terms before and after.

    When the account has no confirmed seat count yet (it becomes a contract account now), its
    live seat count is recorded as the first `ConfirmedSeatCount`, dated `as_of` and confirmed
    by `actor`: until the admin confirms another count, contract invoices bill this one
    (`seats.selectors.confirmed_seat_count`). The audit row's `after` then carries
    `confirmed_seats`."""
    account = _lock_account(account)
    seats = Seat.objects.filter(account=account, removed_on__isnull=True).count()
    if seats < CONTRACT_MIN_SEATS:
        raise DomainError(
            _("A contract account has at least %(min)d seats; this one has %(n)d.")
            % {"min": CONTRACT_MIN_SEATS, "n": seats}, code="contract_too_few_seats")
    if ends_on is not None:
        if ends_on < as_of:
            raise DomainError(_("The contract cannot end in the past."), field="ends_on",
                              code="contract_end_past")
        shortest = starts_on + relativedelta(months=CONTRACT_MIN_MONTHS) - relativedelta(days=1)
        if ends_on < shortest:
            raise DomainError(
                _("A fixed-term contract lasts at least %(months)d months: from %(start)s it "
                  "ends on %(end)s at the earliest.")
                % {"months": CONTRACT_MIN_MONTHS, "start": formatting.day(starts_on),
                   "end": formatting.day(shortest)},
                field="ends_on", code="contract_too_short")
    contract = Contract.objects.filter(account=account).first()
    before = _contract_fields(contract)
    if contract is None:
        contract = Contract.objects.create(account=account, starts_on=starts_on, ends_on=ends_on)
    else:
        contract.starts_on, contract.ends_on = starts_on, ends_on
        contract.save(update_fields=["starts_on", "ends_on"])
    after = _contract_fields(contract)
    if not ConfirmedSeatCount.objects.filter(account=account).exists():
        ConfirmedSeatCount.objects.create(account=account, count=seats, confirmed_on=as_of,
                                          confirmed_by=_user_or_none(actor))
        after["confirmed_seats"] = seats
    audit_record(account=account, actor=actor, action="contract.set", target=contract,
                 before=before, after=after)
    return contract


def _user_or_none(actor):
    return actor if actor is not None and actor.pk else None


class SeatCountConfirmation(NamedTuple):
    """What `contract_seats_confirm` did: the new ledger row and the count it replaces."""

    row: ConfirmedSeatCount
    previous: int | None  # the count confirmed last before this one; None if there was none

    @property
    def changed(self) -> bool:
        return self.previous != self.row.count


@transaction.atomic
def contract_seats_confirm(*, account, actor, as_of: date) -> SeatCountConfirmation:
    """The admin's "send the new seat count for recurring billing" (SPEC §3): append the
    account's live seat count (seats not removed, a plain number of seats) to its
    `ConfirmedSeatCount` ledger, dated `as_of` (business date) and confirmed by `actor`.
    Contract invoices of months whose 1st is on or after `as_of` bill this count
    (`dunning.services.contract_invoicing`); the seats themselves are untouched.

    A confirmation is always recorded, also when the count did not change (the admin confirmed
    it again, on purpose; the ledger and the audit say when): callers tell the two cases apart
    with `SeatCountConfirmation.changed` and say so to the person.

    Refused with `DomainError`: the account has no contract (code `not_contract_account`); its
    contract ended before `as_of` (`contract_ended`); fewer than 10 live seats
    (`contract_too_few_seats`: a contract account is billed for at least 10). Locks the account
    row (serialised with the seat services, so the count read is the committed one) and writes a
    `contract.seats_confirm` audit row with the count before and after."""
    account = _lock_account(account)
    contract = Contract.objects.filter(account=account).first()
    if contract is None:
        raise DomainError(
            _("Only contract accounts confirm their seat count; this account pays for its seats "
              "by renewing them."), code="not_contract_account", status=409)
    if contract.ends_on is not None and contract.ends_on < as_of:
        raise DomainError(
            _("The contract ended on %(date)s; there is no recurring billing to send a seat "
              "count to.") % {"date": formatting.day(contract.ends_on)}, code="contract_ended",
            status=409)
    seats = Seat.objects.filter(account=account, removed_on__isnull=True).count()
    if seats < CONTRACT_MIN_SEATS:
        raise DomainError(
            _("A contract account is billed for at least %(min)d seats; this one has %(n)d. Add "
              "seats before confirming.") % {"min": CONTRACT_MIN_SEATS, "n": seats},
            code="contract_too_few_seats")
    previous = (ConfirmedSeatCount.objects.filter(account=account)
                .order_by("-confirmed_on", "-id").values_list("count", flat=True).first())
    row = ConfirmedSeatCount.objects.create(account=account, count=seats, confirmed_on=as_of,
                                            confirmed_by=_user_or_none(actor))
    audit_record(account=account, actor=actor, action="contract.seats_confirm", target=row,
                 before={"count": previous},
                 after={"count": seats, "confirmed_on": as_of.isoformat()})
    return SeatCountConfirmation(row=row, previous=previous)


@transaction.atomic
def account_hold_place(*, account, reason: str, actor) -> AccessHold:
    """Block `account` by hand (finance, e.g. an overdue contract invoice) with `reason`, kept
    for finance and the audit trail (members are told only that the vendor's finance team
    blocked the account). Refused with `DomainError` when the reason is empty or a hold is already
    open. Writes an `account.hold` audit row."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for blocking the account."), field="reason",
                          code="hold_reason_missing")
    account = _lock_account(account)
    if AccessHold.objects.open().filter(account=account).exists():
        raise DomainError(_("This account is already blocked."), code="hold_exists", status=409)
    hold = AccessHold.objects.create(
        account=account, reason=reason[:500], placed_at=timezone.now(),
        placed_by=actor if actor is not None and actor.pk else None)
    audit_record(account=account, actor=actor, action="account.hold", target=hold,
                 after={"reason": hold.reason})
    return hold


@transaction.atomic
def account_hold_lift(*, account, actor) -> AccessHold:
    """Unblock `account`: close its open hold. Refused with `DomainError` when there is none.
    Writes an `account.hold_lift` audit row."""
    account = _lock_account(account)
    hold = AccessHold.objects.select_for_update().open().filter(account=account).first()
    if hold is None:
        raise DomainError(_("This account is not blocked by hand."),
                          code="hold_missing", status=409)
    hold.lifted_at = timezone.now()
    hold.lifted_by = actor if actor is not None and actor.pk else None
    hold.save(update_fields=["lifted_at", "lifted_by"])
    audit_record(account=account, actor=actor, action="account.hold_lift", target=hold,
                 before={"reason": hold.reason})
    return hold


def account_locked(account: Account) -> Account:
    """For callers in higher layers that must serialise with the seats services on one account
    (the dunning sweep): the account row, locked until the end of the caller's transaction."""
    return _lock_account(account)
