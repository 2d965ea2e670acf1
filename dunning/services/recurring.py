"""Recurring card payments (SPEC §6 "Recurring card payments", issue 11): the switch with its
"off" notice, and the daily job that charges the renewals off-session.

The job (`recurring_charges_run`, beat `dunning.charge_recurring`, 06:00 Europe/Warsaw):
1. every account with recurring payments on and a saved card whose validity (the latest seat
   `valid_until`) ends within the policy's lead time — and has not been over for longer than the
   grace period — gets one `RecurringCharge` for that validity end (unique per account and
   period): a renewal order to the end of the next month (annual billing: 12 months on), priced
   by the renewal quote (`plans.services.renewal_order_create`);
2. every charge due on `as_of` is claimed with `select_for_update(skip_locked=True)`, one per
   transaction, and charged off-session (`payments.services.recurring.payment_off_session_charge`,
   which never charges an order twice and adopts what a killed worker left at Stripe). Success
   applies the order like any payment; a decline is retried on the policy's days after the first
   attempt (default +1, +3, +5), never beyond the grace window, and the admins are e-mailed each
   time with the reason; a card that needs its holder gets an e-mail with a link to pay the same
   order on the payment page. After the last retry nothing more happens here: the account follows
   the dunning phases (`dunning.services.sweep`).

Dates are business dates (Europe/Warsaw) passed in as `as_of`; nothing here reads the clock.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from catalogue.models import BillingPolicy
from payments.gateway import GatewayError
from payments.models import SavedCard
from payments.services.cards import recurring_switch
from payments.services.recurring import payment_off_session_charge
from plans.models import OrderStatus
from plans.pricing import add_months, month_end
from plans.services import order_refresh, renewal_order_create
from seats.models import Account, BillingPeriod, Contract, Seat

from ..models import (
    NoticeKind,
    RecurringAttempt,
    RecurringAttemptOutcome,
    RecurringCharge,
    RecurringChargeStatus,
)
from .notices import notice_create, notices_send

logger = logging.getLogger(__name__)


# --- pure date maths -----------------------------------------------------------------------------


def retry_days(policy) -> list[date]:
    """The policy's retry offsets in days after the first attempt (default [1, 3, 5])."""
    return [policy.charge_retry_1_days, policy.charge_retry_2_days, policy.charge_retry_3_days]


def retry_dates(*, first_attempt_on: date, renews_from: date, policy) -> list[date]:
    """The retries of a charge first attempted on `first_attempt_on` for the validity ending on
    `renews_from`: first attempt + each retry offset, keeping only those within the grace window
    (on or before `renews_from` + grace days), in order. Pure."""
    last = renews_from + timedelta(days=policy.grace_days)
    return [day for day in (first_attempt_on + timedelta(days=d) for d in retry_days(policy))
            if day <= last]


def period_target(valid_until: date, billing_period: str) -> tuple[int, int]:
    """The target month of the recurring renewal of a validity ending on `valid_until`: the next
    month (monthly billing) or 12 months on (annual), as (year, month). Pure."""
    months = 12 if billing_period == BillingPeriod.ANNUAL else 1
    return add_months((valid_until.year, valid_until.month), months)


def first_charge_on(valid_until: date, policy) -> date:
    """The day the renewal of a validity ending on `valid_until` is first charged: `lead` days
    before it (SPEC §6, default 1). Pure."""
    return valid_until - timedelta(days=policy.recurring_charge_lead_days)


# --- reads --------------------------------------------------------------------------------------


def account_valid_until(account_id: int) -> date | None:
    """The account's validity end: its latest seat `valid_until` (removed seats aside), None
    without seats. One query."""
    return Seat.objects.filter(account_id=account_id, removed_on__isnull=True).aggregate(
        last=Max("valid_until"))["last"]


UNREAD = object()  # an argument the caller has not read: read it here


def recurring_next_charge_on(*, account, as_of: date, policy=None, card=UNREAD,
                             valid_until=UNREAD) -> date | None:
    """When the saved card will next be charged (a business date), None when recurring payments
    are off, there is no card, nothing is valid, the current charge waits for the card holder,
    its retries are over, or a contract runs on `as_of` (invoiced monthly instead). A charge due
    today or overdue reads `as_of`. `card` (the account's `SavedCard` or None) and
    `valid_until` (`account_valid_until`) may be passed by a caller that has read them; each
    is read only when needed, so an account without a recurring card costs one query."""
    if card is UNREAD:
        card = SavedCard.objects.filter(account=account).first()
    if card is None or not card.recurring:
        return None
    if valid_until is UNREAD:
        valid_until = account_valid_until(account.pk)
    if valid_until is None:
        return None
    policy = policy or BillingPolicy.current()
    if Contract.objects.running_on(as_of).filter(account=account).exists():
        return None
    charge = RecurringCharge.objects.filter(account=account, renews_from=valid_until).first()
    if charge is not None:
        if charge.status != RecurringChargeStatus.DUE:
            return None
        return max(charge.next_attempt_on, as_of)
    if as_of > valid_until + timedelta(days=policy.grace_days):
        return None
    return max(first_charge_on(valid_until, policy), as_of)


# --- the switch ---------------------------------------------------------------------------------


def recurring_payments_set(*, account, enabled: bool, actor, as_of: date) -> SavedCard | None:
    """Turn recurring card payments on or off for `account` (SPEC §6), from the Renew page or
    the API. Returns the saved card (None when there is none and `enabled` is False).

    Turning on again re-opens the current period's charge that "off" cancelled (due at once).
    Turning off (a change) cancels the charge still being retried, and e-mails the admins a
    `RECURRING_OFF` notice about the validity end (the e-mail names that date and the day access
    is blocked), sent after the commit. Raises `DomainError` (409, code "no_saved_card") when
    turning on without a saved card, and (409, code "contract_account") when turning on for an
    account under a running contract (its seats are invoiced monthly, SPEC §3)."""
    if enabled and Contract.objects.running_on(as_of).filter(account=account).exists():
        raise DomainError(
            _("This account has a contract and is invoiced on the 1st of each month, so its "
              "card is not charged for renewals."), code="contract_account", status=409)
    with transaction.atomic():
        card, changed = recurring_switch(account=account, enabled=enabled, actor=actor,
                                         as_of=as_of)
        if not changed:
            return card
        if enabled:
            # on again within the period: the charge cancelled by "off" goes on where it was
            # (its attempts so far count; the grace window still bounds it)
            RecurringCharge.objects.filter(
                account=account, status=RecurringChargeStatus.CANCELLED,
                renews_from=account_valid_until(account.pk)).update(
                status=RecurringChargeStatus.DUE, next_attempt_on=as_of)
            return card
        RecurringCharge.objects.filter(account=account, status=RecurringChargeStatus.DUE).update(
            status=RecurringChargeStatus.CANCELLED, next_attempt_on=None)
        notice = notice_create(account_id=account.pk, kind=NoticeKind.RECURRING_OFF,
                               reference=f"off:{card.recurring_changes}",
                               about_date=account_valid_until(account.pk) or as_of, as_of=as_of)
        if notice is not None:
            transaction.on_commit(lambda: notices_send(notice_ids=[notice.pk]))
    return card


# --- the daily job ------------------------------------------------------------------------------


@dataclass
class RecurringRun:
    """What a run did (or, dry, would do): counts and one line per account touched."""

    as_of: date
    dry_run: bool
    opened: int = 0
    succeeded: int = 0
    declined: int = 0
    needs_authentication: int = 0
    gave_up: int = 0
    lines: list[str] = field(default_factory=list)

    def report(self) -> str:
        return "\n".join(self.lines)


def due_accounts(*, as_of: date, policy):
    """Accounts with recurring payments on whose validity end `valid_until` (annotated) lies
    between `as_of` − grace days and `as_of` + lead days, in id order. Accounts under a contract
    running on `as_of` are left out: they are invoiced monthly instead (SPEC §3), so charging
    their card too would bill them twice."""
    lead, grace = policy.recurring_charge_lead_days, policy.grace_days
    under_contract = Contract.objects.running_on(as_of).values("account_id")
    return (Account.objects.filter(saved_card__recurring=True)
            .exclude(pk__in=under_contract)
            .annotate(valid_until=Max("seats__valid_until",
                                      filter=Q(seats__removed_on__isnull=True)))
            .filter(valid_until__lte=as_of + timedelta(days=lead),
                    valid_until__gte=as_of - timedelta(days=grace))
            .order_by("pk"))


def _charge_open(account, valid_until: date, *, as_of: date) -> RecurringCharge | None:
    """The charge for `valid_until`, created once (under the account's lock; the unique
    constraint backs it) with its renewal order. None when nothing can be ordered (the renewal
    quote refused: logged)."""
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=account.pk)
        existing = RecurringCharge.objects.filter(account=account,
                                                  renews_from=valid_until).first()
        if existing is not None:
            return existing
        until = period_target(valid_until, account.billing_period)
        try:
            order = renewal_order_create(account=account, until=until, actor=None, as_of=as_of)
        except DomainError as exc:
            logger.warning("Recurring renewal of account %s not ordered: %s", account.pk,
                           exc.message)
            return None
        return RecurringCharge.objects.create(
            account=account, renews_from=valid_until, period_end=month_end(*until), order=order,
            status=RecurringChargeStatus.DUE, next_attempt_on=as_of, created_on=as_of)


def _payable_order(charge, *, as_of):
    """The charge's order, paid or still payable on `as_of`; an order that expired or was
    cancelled unpaid is replaced by a new quote of the same period. None when no order can be
    made (the quote refused)."""
    order = order_refresh(order=charge.order, as_of=as_of)
    if order.status in (OrderStatus.PENDING, OrderStatus.PAID):
        return order
    try:
        order = renewal_order_create(account=charge.account,
                                     until=(charge.period_end.year, charge.period_end.month),
                                     actor=None, as_of=as_of)
    except DomainError as exc:
        logger.warning("Recurring charge %s: no new order: %s", charge.pk, exc.message)
        return None
    charge.order = order
    charge.save(update_fields=["order", "updated_at"])
    return order


def _close(charge, status):
    charge.status, charge.next_attempt_on = status, None
    charge.save(update_fields=["status", "next_attempt_on", "updated_at"])


def _attempt(charge: RecurringCharge, *, as_of: date, policy, run: RecurringRun) -> list[int]:
    """One attempt of a claimed, due charge (inside the transaction that holds its lock).
    Returns the ids of the notices to send after the commit."""
    label = f"account {charge.account_id} charge {charge.pk}"
    card = SavedCard.objects.select_related("customer").filter(
        account_id=charge.account_id).first()
    if card is None or not card.recurring:
        _close(charge, RecurringChargeStatus.CANCELLED)
        run.lines.append(f"{label}: recurring payments are off, cancelled")
        return []
    if (account_valid_until(charge.account_id) or charge.renews_from) > charge.renews_from:
        # the period was renewed some other way (the admin paid on the Renew page): nothing
        # more to charge for it
        _close(charge, RecurringChargeStatus.CANCELLED)
        run.lines.append(f"{label}: renewed otherwise, cancelled")
        return []
    if (as_of > charge.renews_from + timedelta(days=policy.grace_days)
            or charge.attempts >= 1 + len(retry_days(policy))):
        _close(charge, RecurringChargeStatus.FAILED)
        run.gave_up += 1
        run.lines.append(f"{label}: grace window over, dunning follows")
        return []
    order = _payable_order(charge, as_of=as_of)
    if order is None:
        _close(charge, RecurringChargeStatus.FAILED)
        run.gave_up += 1
        run.lines.append(f"{label}: no payable order, dunning follows")
        return []
    if order.status == OrderStatus.PAID:
        _close(charge, RecurringChargeStatus.SUCCEEDED)
        run.lines.append(f"{label}: order #{order.pk} already paid")
        return []
    number = charge.attempts + 1
    result = payment_off_session_charge(order=order, saved_card=card, attempt=number,
                                        actor=None, as_of=as_of)
    if result.outcome == "pending":  # Stripe still processing: look again tomorrow
        charge.next_attempt_on = as_of + timedelta(days=1)
        charge.save(update_fields=["next_attempt_on", "updated_at"])
        run.lines.append(f"{label}: payment processing at Stripe")
        return []
    charge.attempts = number
    charge.first_attempt_on = charge.first_attempt_on or as_of
    next_on = None
    if result.outcome == "succeeded":
        outcome, charge.status = RecurringAttemptOutcome.SUCCEEDED, RecurringChargeStatus.SUCCEEDED
        run.succeeded += 1
    elif result.outcome == "requires_action":
        outcome = RecurringAttemptOutcome.REQUIRES_ACTION
        charge.status = RecurringChargeStatus.AUTHENTICATION
        run.needs_authentication += 1
    else:
        outcome = RecurringAttemptOutcome.DECLINED
        retries = retry_dates(first_attempt_on=charge.first_attempt_on,
                              renews_from=charge.renews_from, policy=policy)
        next_on = next((day for day in retries[number - 1:] if day > as_of), None)
        charge.status = RecurringChargeStatus.DUE if next_on else RecurringChargeStatus.FAILED
        run.declined += 1
    charge.next_attempt_on = next_on
    charge.save(update_fields=["attempts", "first_attempt_on", "status", "next_attempt_on",
                               "updated_at"])
    RecurringAttempt.objects.create(
        charge=charge, number=number, attempted_on=as_of, payment=result.payment,
        outcome=outcome, decline_reason=result.decline_reason[:255] if outcome ==
        RecurringAttemptOutcome.DECLINED else "", next_attempt_on=next_on)
    run.lines.append(f"{label}: attempt {number} {outcome}"
                     + (f" ({result.decline_reason}), next {next_on or 'none'}"
                        if outcome == RecurringAttemptOutcome.DECLINED else ""))
    kind = {RecurringAttemptOutcome.DECLINED: NoticeKind.RECURRING_DECLINED,
            RecurringAttemptOutcome.REQUIRES_ACTION: NoticeKind.RECURRING_AUTH}.get(outcome)
    if kind is None:
        return []
    notice = notice_create(account_id=charge.account_id, kind=kind,
                           reference=f"charge:{charge.pk}:{number}",
                           about_date=charge.renews_from, as_of=as_of)
    return [notice.pk] if notice is not None else []


def _claim_next(*, as_of: date, after_pk: int) -> RecurringCharge | None:
    return (RecurringCharge.objects.select_for_update(skip_locked=True)
            .filter(status=RecurringChargeStatus.DUE, next_attempt_on__lte=as_of,
                    pk__gt=after_pk)
            .order_by("pk").first())


def recurring_charges_run(*, as_of: date, dry_run: bool = False) -> RecurringRun:
    """The daily recurring-charge job for business date `as_of` (see the module docstring).
    Idempotent: a second run the same day, or two at once, charges nothing more (each charge is
    worked on by the one worker holding its row lock; attempts are numbered and looked up at
    Stripe first). `dry_run` lists what would be opened and charged and writes nothing.
    Returns a `RecurringRun`. Stripe being unreachable for one charge leaves it due (its
    transaction rolled back) and goes on with the others."""
    policy = BillingPolicy.current()
    run = RecurringRun(as_of=as_of, dry_run=dry_run)
    for account in due_accounts(as_of=as_of, policy=policy):
        if account.valid_until > as_of + timedelta(days=policy.recurring_charge_lead_days):
            continue
        exists = RecurringCharge.objects.filter(account=account,
                                                renews_from=account.valid_until).exists()
        if dry_run:
            if not exists:
                target = period_target(account.valid_until, account.billing_period)
                run.opened += 1
                run.lines.append(f"account {account.pk}: would order the renewal of "
                                 f"{account.valid_until} to {month_end(*target)}")
            continue
        if not exists and _charge_open(account, account.valid_until, as_of=as_of) is not None:
            run.opened += 1
    if dry_run:
        for charge in RecurringCharge.objects.filter(
                status=RecurringChargeStatus.DUE, next_attempt_on__lte=as_of).order_by("pk"):
            run.lines.append(f"account {charge.account_id} charge {charge.pk}: would make "
                             f"attempt {charge.attempts + 1}")
        return run
    last_pk = 0
    while True:
        try:
            with transaction.atomic():
                charge = _claim_next(as_of=as_of, after_pk=last_pk)
                if charge is None:
                    break
                last_pk = charge.pk
                if not (charge.status == RecurringChargeStatus.DUE
                        and charge.next_attempt_on <= as_of):
                    continue
                notice_ids = _attempt(charge, as_of=as_of, policy=policy, run=run)
                if notice_ids:
                    transaction.on_commit(lambda ids=notice_ids: notices_send(notice_ids=ids))
        except GatewayError as exc:
            logger.warning("Recurring charge %s left due: %s", last_pk, exc.stripe_message)
            run.lines.append(f"charge {last_pk}: Stripe unavailable, left due")
    return run
