"""Deleting unpaid trial accounts with their data (SPEC §6: "when the trial ends unpaid the account
is blocked (paying is the only action); 30 days (default) later it and its data are deleted"),
keeping a tombstone for audit. The daily sweep (`dunning.services.sweep`) calls both functions.

- `trial_accounts_due_for_deletion(as_of)`: the ids of the accounts due;
- `trial_account_delete(account_id=..., as_of=...)`: deletes one of them, layer by layer from the
  top, in one transaction under the account's lock, and returns its `AccountTombstone`.
"""

from datetime import date, timedelta

from django.db import OperationalError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from catalogue.models import BillingPolicy
from invoices.services.purge import account_documents_purge
from payments.models import Payment
from payments.services.purge import account_payments_purge
from plans.models import Order
from plans.services.purge import account_orders_purge
from seats.audit import audit_record
from seats.models import Account, Contract
from seats.phases import PhasePolicy, trial_deletion_due
from seats.services.contracts import account_locked
from seats.services.purge import account_purge, purge_permit

from ..models import (
    AccountTombstone,
    Notice,
    PhaseTransition,
    RecordedPhase,
    RecurringCharge,
    SeatRecordedPhase,
)


def trial_accounts_due_for_deletion(as_of: date) -> QuerySet:
    """Ids (a `values_list` queryset, by id) of the accounts still on their unpaid trial whose
    deletion day has come on `as_of`: `trial_ends_on` + `BillingPolicy.trial_deletion_days` ≤
    `as_of` (the same rule as `seats.phases.trial_deletion_due`). A read: the deletion re-checks
    each account under its lock."""
    days = BillingPolicy.current().trial_deletion_days
    return (Account.objects.filter(trial=True, trial_ends_on__lte=as_of - timedelta(days=days))
            .order_by("id").values_list("id", flat=True))


def _dunning_purge(account) -> dict[str, int]:
    """dunning's own rows of the account (they would go with the account by CASCADE; deleted
    here first so that the tombstone counts them)."""
    removed = {}
    for key, rows in (
        # before the payments and orders they point at (with their attempts)
        ("recurring_charges", RecurringCharge.objects.filter(account_id=account.pk)),
        ("notices", Notice.objects.filter(account_id=account.pk)),
        ("phase_transitions", PhaseTransition.objects.filter(account_id=account.pk)),
        ("seat_recorded_phases", SeatRecordedPhase.objects.filter(account_id=account.pk)),
        ("recorded_phases", RecordedPhase.objects.filter(account_id=account.pk)),
    ):
        _deleted, by_label = rows.delete()
        removed[key] = by_label.get(rows.model._meta.label, 0)
    return removed


def _payments_not_in_progress(account) -> None:
    """Lock the account's orders and payments, or refuse (`DomainError` "trial_account_busy")
    when one is locked: a payment is being booked or applied right now. Paying locks the order
    (and the payment) first and the account row second, the purge the other way round; without
    this the two would deadlock, and the payment should win anyway (SPEC §6: paying at any time
    keeps all data): the next sweep finds the account paid. (SQLite takes no row locks.)"""
    try:
        with transaction.atomic():
            for rows in (Order.objects.filter(account_id=account.pk),
                         Payment.objects.filter(account_id=account.pk)):
                list(rows.select_for_update(nowait=True).values_list("pk", flat=True))
    except OperationalError as exc:
        raise DomainError(
            _("A payment of the account is being processed right now: it is not deleted."),
            code="trial_account_busy", status=409,
        ) from exc


def trial_account_delete(*, account_id: int, as_of: date, run=None) -> AccountTombstone | None:
    """Delete the unpaid trial account `account_id` and all its data on `as_of`, its deletion
    day or later, and return the `AccountTombstone` that remains (its id, name, creation time,
    trial end, the day of deletion and how many rows of each kind were removed).

    In one transaction (a savepoint when the caller has one): the account row is locked
    (`seats.services.contracts.account_locked`, which serialises with every seats service and
    with a payment being applied, which extends the seats), then re-checked: when the account
    is gone already, has paid meanwhile (`trial` is False), or is not due yet
    (`seats.phases.trial_deletion_due` with the current `BillingPolicy`), nothing happens and
    None is returned. Otherwise, holding the
    account's purge permit (`seats.services.purge.purge_permit`), each layer deletes its own rows
    from the top: dunning's (recorded phases, transitions, notices), payments, invoices, plans,
    then seats (which deletes the account row last). The tombstone and an "account.trial_deleted"
    audit entry (no account; target = the old id; `run` = the sweep run, if any) are written in
    the same transaction.

    Refused with `DomainError`, and then nothing at all is deleted (the transaction rolls back):
    a contract runs for the account on `as_of` (it is never blocked, so its trial does not
    apply: the staff must sort it out), a payment of the account is being booked or applied at
    this moment (its order or payment row is locked: "trial_account_busy"), or a layer
    refuses — money was received for it (`payments.services.purge`), it has a VAT or corrective
    invoice (`invoices.services.purge`) or a paid order (`plans.services.purge`). The sweep
    reports those and leaves the account (a busy one is due again the next day)."""
    policy = PhasePolicy.from_model(BillingPolicy.current())
    with transaction.atomic():
        try:
            account = account_locked(Account(pk=account_id))
        except Account.DoesNotExist:
            return None  # deleted by a concurrent run
        if not (account.trial and account.trial_ends_on is not None
                and trial_deletion_due(account.trial_ends_on, as_of, policy)):
            return None  # paid meanwhile, or not due yet
        contract = Contract.objects.filter(account=account).first()
        if contract is not None and contract.runs_on(as_of):
            raise DomainError(
                _("A contract runs for the account: it is not deleted with its trial."),
                code="trial_account_has_contract", status=409,
            )
        _payments_not_in_progress(account)
        with purge_permit(account):
            removed = _dunning_purge(account)
            for purge in (account_payments_purge, account_documents_purge,
                          account_orders_purge):
                removed.update(purge(account=account))
            removed.update(account_purge(account=account))
        tombstone = AccountTombstone.objects.create(
            account_id_was=account.pk, name=account.name, created_at_was=account.created_at,
            trial_ended_on=account.trial_ends_on, deleted_on=as_of, removed=removed,
        )
        audit_record(account=None, actor=None, action="account.trial_deleted", target=account,
                     after={"tombstone": tombstone.pk, "deleted_on": as_of.isoformat(),
                            "run": getattr(run, "pk", None), "removed": removed})
        return tombstone
