"""Support contracts (SPEC §8): ordering, plan changes, cancellation, the daily job.

Decisions (where SPEC §8 is silent):
- the minimum term's last day is the day before the start, N months later (dateutil; the end
  of the month for a start on the 1st): see `minimum_end_for`;
- a cancellation takes effect at the end of a calendar month: the later of the current month's
  end and the end of the month in which the minimum term ends; until then the contract runs
  (status `cancelled`, `ends_on` set) and covers
  tickets and time entries dated up to `ends_on`; after it the contract is `ended`;
- a plan change applies from the 1st of the next month (or from the start, for a contract that
  has not started yet). A change to a plan with a minimum term starts that term from the change:
  `minimum_end` becomes the later of the old one and the new plan's term from the change;
- the change is recorded at once in the `ContractPlan` history (every computation reads the plan
  on the day it concerns), and `contracts_apply_scheduled` (daily, idempotent) moves
  `next_plan` into `plan` on the day and marks contracts past `ends_on` as ended. So nothing
  depends on the job having run: it only keeps the shown "current plan" and status fresh.
"""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from billing_site.dates import as_of_out_of_window, end_of_month
from billing_site.errors import DomainError
from seats.models import Account, Member, MemberState

from ..models import RUNNING, ContractPlan, ContractStatus, SupportContract, SupportPlan
from .common import audit, contract_snapshot, is_staff, lock_contract


def minimum_end_for(start: date, months: int | None) -> date | None:
    """The inclusive last day of a minimum term of `months` months from `start` (None: none):
    the day before the start, `months` months later (dateutil clips to the month's end), and
    the end of the month when the start is a 1st. From 1 Dec 3 months: 28 Feb; from 31 Mar one
    month: 30 Apr; from 31 Aug 2027 six months: 29 Feb 2028 (never "a month minus a day", as
    `start + N months − 1 day` would give from a 31st)."""
    if not months:
        return None
    eve = start - timedelta(days=1)
    last = eve + relativedelta(months=months)
    return end_of_month(last) if eve == end_of_month(eve) else last


def _minimum_end(contract) -> date | None:
    """The minimum term's last day from the plan history: each plan's term counts from the day
    the contract took it; the latest such end wins (None when no plan had a term)."""
    ends = [minimum_end_for(row.valid_from, row.plan.minimum_term_months)
            for row in ContractPlan.objects.filter(contract=contract).select_related("plan")]
    ends = [end for end in ends if end is not None]
    return max(ends) if ends else None


def _check_orderable(plan: SupportPlan, actor) -> None:
    if not isinstance(plan, SupportPlan):
        raise DomainError(_("Choose a support plan."), field="plan", code="plan_unknown")
    if not plan.orderable and not is_staff(actor):
        raise DomainError(
            _("The %(plan)s plan is agreed individually: please contact us to order it.")
            % {"plan": plan}, field="plan", code="plan_not_orderable")
    if plan.individual and not plan.monthly_fee:
        # the seeded PREMIUM row holds placeholders (fee 0): a contract on it would show the
        # customer "0.00 PLN" and terms nobody agreed (issue 14)
        raise DomainError(
            _("The %(plan)s plan has no agreed terms yet (its monthly fee is 0). First set the "
              "customer's terms on a plan of their own: in the admin, open %(plan)s under "
              "Support plans, change the code, name, fee and terms, and choose “Save as new”; "
              "then order that plan.") % {"plan": plan},
            field="plan", code="plan_terms_not_set")


def _end_lapsed(account, as_of: date) -> None:
    """Mark the account's running contracts whose `ends_on` has passed as ended (lazily, before
    a new order; the daily job does the same)."""
    for contract in SupportContract.objects.select_for_update().filter(
            account=account, status=ContractStatus.CANCELLED, ends_on__lt=as_of):
        before = contract_snapshot(contract)
        contract.status = ContractStatus.ENDED
        contract.save(update_fields=["status"])
        audit(contract=contract, actor=None, action="support_contract.end", before=before,
              after=contract_snapshot(contract))


@transaction.atomic
def contract_order(*, account, plan, start: date, contact, actor, as_of: date
                   ) -> SupportContract:
    """Order `plan` for `account` from `start` (business date) with `contact` (a `Member`) as
    the single point of contact. Returns the new active `SupportContract`; its `minimum_end` is
    `minimum_end_for(start, term)` (None without a term). SPEC §8.

    Refused with `DomainError` (400 unless said): an individual plan ordered by a customer
    (`plan_not_orderable`; staff may), an individual plan whose terms are not set — its monthly
    fee is 0, as on the seeded PREMIUM row (`plan_terms_not_set`: staff copy it per customer in
    the admin first), a start outside the as-of window around `as_of`
    (`start_range`), a start in the past (`start_past`; staff may backdate),
    a contact who is not an active member of the account (`contact_not_member`), the account
    already has a running contract (`contract_exists`, 409: change its plan instead). Locks the
    account row; the database allows one running contract per account whatever happens. Writes a
    `support_contract.order` audit row."""
    _check_orderable(plan, actor)
    if not isinstance(start, date):
        raise DomainError(_("Enter the start date."), field="start", code="start_missing")
    if message := as_of_out_of_window(start, as_of):  # the one date-window rule
        raise DomainError(message, field="start", code="start_range")
    if start < as_of and not is_staff(actor):
        raise DomainError(_("The contract cannot start in the past."), field="start",
                          code="start_past")
    account = Account.objects.select_for_update().get(pk=account.pk)
    if (not isinstance(contact, Member) or contact.account_id != account.pk
            or contact.state != MemberState.ACTIVE):
        raise DomainError(_("The contact person must be an active member of this account."),
                          field="contact", code="contact_not_member")
    _end_lapsed(account, as_of)
    current = SupportContract.objects.filter(account=account, status__in=RUNNING).first()
    if current is not None:
        raise DomainError(
            _("This account already has a support contract (%(plan)s); change its plan "
              "instead.") % {"plan": current.plan}, field="plan", code="contract_exists",
            status=409)
    try:
        with transaction.atomic():
            contract = SupportContract.objects.create(
                account=account, plan=plan, start=start,
                minimum_end=minimum_end_for(start, plan.minimum_term_months), contact=contact)
    except IntegrityError as exc:  # a concurrent order won the race
        raise DomainError(_("This account already has a support contract; change its plan "
                            "instead."), field="plan", code="contract_exists",
                          status=409) from exc
    ContractPlan.objects.create(contract=contract, plan=plan, valid_from=start)
    audit(contract=contract, actor=actor, action="support_contract.order",
          after=contract_snapshot(contract))
    return contract


def contract_change_effective(*, contract, as_of: date) -> date:
    """The day a plan change requested on `as_of` takes effect: the 1st of the next month, or
    the start of a contract that has not started yet. Pure given the contract. SPEC §8."""
    if as_of < contract.start:
        return contract.start
    return end_of_month(as_of) + timedelta(days=1)


def _check_changeable(contract, message=None) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise DomainError(message or _("This contract is cancelled or ended; its plan cannot "
                                       "change."), code="contract_not_active", status=409)


@transaction.atomic
def contract_change_plan(*, contract, plan, actor, as_of: date) -> SupportContract:
    """Change the contract to `plan` from `contract_change_effective(as_of)` (the 1st of the
    next month). Choosing the current plan again withdraws a scheduled change. Returns the
    contract (with `next_plan`/`next_plan_from` set, or `plan` set when it has not started).

    Refused with `DomainError`: the contract is cancelled or ended (`contract_not_active`, 409),
    an individual plan chosen by a customer (`plan_not_orderable`) or one without agreed terms
    (`plan_terms_not_set`, see `contract_order`), the plan is the one already
    in force and nothing is scheduled (`plan_unchanged`). Writes a `support_contract.change_plan`
    audit row with the terms before and after. SPEC §8."""
    _check_orderable(plan, actor)
    contract = lock_contract(contract)
    _check_changeable(contract)
    before = contract_snapshot(contract)
    effective = contract_change_effective(contract=contract, as_of=as_of)
    if effective == contract.start:  # not started yet: the plan is replaced from the start
        if plan.pk == contract.plan_id:
            raise DomainError(_("The contract already has this plan."), field="plan",
                              code="plan_unchanged")
        contract.plan = plan
        contract.next_plan = contract.next_plan_from = None
        ContractPlan.objects.filter(contract=contract, valid_from__gt=contract.start).delete()
        ContractPlan.objects.update_or_create(contract=contract, valid_from=contract.start,
                                              defaults={"plan": plan})
    elif plan.pk == contract.plan_id:
        if contract.next_plan_id is None:
            raise DomainError(_("The contract already has this plan."), field="plan",
                              code="plan_unchanged")
        # withdraw the scheduled change (a future row: nothing was billed on it)
        ContractPlan.objects.filter(contract=contract, valid_from__gt=as_of).delete()
        contract.next_plan = contract.next_plan_from = None
    else:
        ContractPlan.objects.filter(contract=contract, valid_from__gt=as_of).delete()
        ContractPlan.objects.create(contract=contract, plan=plan, valid_from=effective)
        contract.next_plan, contract.next_plan_from = plan, effective
    contract.minimum_end = _minimum_end(contract)
    contract.save(update_fields=["plan", "minimum_end", "next_plan", "next_plan_from"])
    audit(contract=contract, actor=actor, action="support_contract.change_plan", before=before,
          after=contract_snapshot(contract))
    return contract


def contract_cancel_effective(*, contract, as_of: date) -> date:
    """The last day (inclusive) of the contract if it is cancelled on `as_of`: always the end of
    a calendar month — the later of the current month's end (the start's month for a contract
    that has not started) and the end of the month in which the minimum term ends (started
    2026-12-20 with 3 months: the term ends 2027-03-19, the contract 2027-03-31); the day before
    the start for a contract that has not started yet and has no minimum term. SPEC §8."""
    last = end_of_month(max(as_of, contract.start))
    if contract.minimum_end is not None:
        last = max(last, end_of_month(contract.minimum_end))
    if as_of < contract.start and contract.minimum_end is None:
        last = contract.start - timedelta(days=1)
    return last


@transaction.atomic
def contract_cancel(*, contract, actor, as_of: date) -> SupportContract:
    """Give notice: the contract runs through `contract_cancel_effective(as_of)` (status
    `cancelled`, `ends_on` set), then ends; one that never started is `ended` at once. A plan
    change scheduled after the end is withdrawn. Refused with `DomainError`: already cancelled
    or ended (`contract_not_active`, 409). Writes a `support_contract.cancel` audit row. SPEC
    §8."""
    contract = lock_contract(contract)
    _check_changeable(contract, _("This contract is already cancelled or ended."))
    before = contract_snapshot(contract)
    ends_on = contract_cancel_effective(contract=contract, as_of=as_of)
    contract.ends_on = ends_on
    contract.status = (ContractStatus.ENDED if ends_on < contract.start
                       else ContractStatus.CANCELLED)
    if contract.next_plan_from is not None and contract.next_plan_from > ends_on:
        ContractPlan.objects.filter(contract=contract, valid_from__gt=ends_on).delete()
        contract.next_plan = contract.next_plan_from = None
    contract.save(update_fields=["ends_on", "status", "next_plan", "next_plan_from"])
    audit(contract=contract, actor=actor, action="support_contract.cancel", before=before,
          after=contract_snapshot(contract))
    return contract


@transaction.atomic
def contract_cancel_withdraw(*, contract, actor, as_of: date) -> SupportContract:
    """Withdraw a cancellation (notice given) while the contract has not ended: it is `active`
    again with no `ends_on`, as if never cancelled (a plan change the cancellation withdrew is
    not restored: order it again). Refused with `DomainError` (409, `contract_not_cancelled`):
    the contract is not cancelled, or its last day (`ends_on`) is before `as_of` — it has ended,
    even if the daily job has not marked it so yet. Writes a `support_contract.cancel_withdraw`
    audit row. Issue 14."""
    contract = lock_contract(contract)
    if (contract.status != ContractStatus.CANCELLED or contract.ends_on is None
            or contract.ends_on < as_of):
        raise DomainError(_("This contract is not cancelled, or it has already ended: there "
                            "is no cancellation to withdraw."), code="contract_not_cancelled",
                          status=409)
    before = contract_snapshot(contract)
    contract.status = ContractStatus.ACTIVE
    contract.ends_on = None
    contract.save(update_fields=["status", "ends_on"])
    audit(contract=contract, actor=actor, action="support_contract.cancel_withdraw",
          before=before, after=contract_snapshot(contract))
    return contract


@transaction.atomic
def contract_contact_change(*, contract, contact, actor) -> SupportContract:
    """Name another contact person (single point of contact) for a running contract: an active
    member of the contract's account. Refused with `DomainError`: the contract has ended
    (`contract_not_active`, 409), a contact who is not an active member of the account
    (`contact_not_member`). Writes a `support_contract.contact` audit row. SPEC §8."""
    contract = lock_contract(contract)
    if contract.status == ContractStatus.ENDED:
        raise DomainError(_("This support contract has ended."), code="contract_not_active",
                          status=409)
    if (not isinstance(contact, Member) or contact.account_id != contract.account_id
            or contact.state != MemberState.ACTIVE):
        raise DomainError(_("The contact person must be an active member of this account."),
                          field="contact", code="contact_not_member")
    before = contract_snapshot(contract)
    contract.contact = contact
    contract.save(update_fields=["contact"])
    audit(contract=contract, actor=actor, action="support_contract.contact", before=before,
          after=contract_snapshot(contract))
    return contract


def contracts_apply_scheduled(*, as_of: date) -> dict:
    """The daily job (idempotent): apply the plan changes due by `as_of` (`next_plan` becomes
    `plan`) and mark cancelled contracts past their `ends_on` as ended, each in its own
    transaction under the contract's lock, with an audit row. Returns
    `{"plans_applied": n, "ended": n}`."""
    applied = ended = 0
    due = SupportContract.objects.filter(next_plan_from__lte=as_of).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            contract = SupportContract.objects.select_for_update().get(pk=pk)
            if contract.next_plan_from is None or contract.next_plan_from > as_of:
                continue
            before = contract_snapshot(contract)
            contract.plan_id = contract.next_plan_id
            contract.next_plan = contract.next_plan_from = None
            contract.save(update_fields=["plan", "next_plan", "next_plan_from"])
            audit(contract=contract, actor=None, action="support_contract.plan_applied",
                  before=before, after=contract_snapshot(contract))
            applied += 1
    lapsed = SupportContract.objects.filter(status=ContractStatus.CANCELLED, ends_on__lt=as_of)
    for pk in list(lapsed.values_list("pk", flat=True)):
        with transaction.atomic():
            contract = SupportContract.objects.select_for_update().get(pk=pk)
            if contract.status != ContractStatus.CANCELLED or contract.ends_on >= as_of:
                continue
            before = contract_snapshot(contract)
            contract.status = ContractStatus.ENDED
            contract.save(update_fields=["status"])
            audit(contract=contract, actor=None, action="support_contract.end", before=before,
                  after=contract_snapshot(contract))
            ended += 1
    return {"plans_applied": applied, "ended": ended}
