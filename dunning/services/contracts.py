"""Contract accounts in finance's hands (SPEC §3; issue 10): reminders of overdue contract
invoices, blocking and unblocking a contract account by hand, and the finance overview.

Reminders (`contract_reminders`, called by the daily sweep inside its flow; the sweep sends):
- an invoice is overdue as `invoices.selectors_overdue` defines it (unpaid, not corrected to
  zero, of an account whose contract ran when it was issued or runs now);
- reminder step N (1, 2, 3) is due `BillingPolicy.contract_reminder_N_days` after the due date
  (default 1, 7, 14: on the due date + 1 day, not before); its `Notice` has kind
  `contract_overdue`, reference "invoice:<document id>:<N>" and the due date as `about_date`;
- only the *latest* due step is created. A sweep that missed days (or the first sweep after an
  invoice became overdue long ago) sends one reminder, the one for today, not the ones it
  missed; the missed steps are simply never created (no row: nothing was sent, and no row is
  needed to remember it). Nor is a step created once a later one exists (a sweep run for an
  earlier `--as-of` after a later one does not send reminder 2 after reminder 3). Each step is
  created at most once: the `Notice` row is unique per account, kind and reference.

Blocking (`contract_account_block` / `contract_account_unblock`): finance's entry points to the
seats hold services, which lock the account, refuse with `DomainError` and write the audit row.
While a hold is open the account is blocked (SPEC §6: admins reach only the billing pages,
everyone else is refused at login); the access decision (`seats.access`) reads it directly.

Bank transfers received against contract invoices are booked by finance on the same page
(`invoices.services.invoice_transfers.invoice_transfer_book`); the overdue read leaves out paid
invoices and shows partly paid ones for the rest, and the overview lists over-payments. The
page lists every unpaid contract invoice, not only overdue ones: an invoice paid on time is
booked before (or on) its due date, and then never reminded.

The finance page's read (`contract_accounts_overview`) costs five queries whatever the number of
accounts and invoices.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from catalogue.models import BillingPolicy
from invoices.models import InvoiceTransfer
from invoices.selectors_overdue import (
    OverdueInvoice,
    overdue_invoice_batches,
    unpaid_contract_invoices,
)
from seats.models import AccessHold, Account, Contract
from seats.services.contracts import account_hold_lift, account_hold_place

from ..models import Notice, NoticeKind
from .notices import notice_create

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
REMINDER_STEPS = (1, 2, 3)


def reminder_reference(document_id: int, step: int) -> str:
    """The `Notice.reference` of reminder `step` of an invoice (the e-mail template reads it)."""
    return f"invoice:{document_id}:{step}"


def reminder_step_due(days_overdue: int, reminder_days: tuple[int, ...]) -> int | None:
    """The latest reminder step (1-based) whose day has come `days_overdue` days after the due
    date, or None before the first. Pure."""
    due = [step for step, days in enumerate(reminder_days, start=1) if days <= days_overdue]
    return due[-1] if due else None


# --- reminders ---------------------------------------------------------------------------------


def contract_reminders(*, as_of: date, run=None, batch_size: int = BATCH_SIZE) -> list[Notice]:
    """Create the reminder notices due on `as_of` for every overdue contract invoice (module
    docstring) and return the new rows; sends nothing (the sweep calls `notices_send` after).

    Works in batches of `batch_size` invoices, each in its own transaction (a savepoint when
    the caller holds one): the accounts of the batch are locked (in id order, waiting: the seats
    services and the sweep hold them only briefly), the existing reminders of the batch are read
    in one query and only the missing ones are created (`notice_create`). Queries per batch: the
    invoices and their corrections (2), the locks (1), the existing reminders (1), and two per
    notice created. `run` is the sweep's `SweepRun` (notices do not point at runs; it is only
    logged)."""
    reminder_days = BillingPolicy.current().contract_reminder_days
    created: list[Notice] = []
    for batch in overdue_invoice_batches(as_of, batch_size=batch_size):
        due = []
        for invoice in batch:
            step = reminder_step_due(invoice.days_overdue(as_of), reminder_days)
            if step is not None:
                due.append((invoice, step))
        if not due:
            continue
        with transaction.atomic():
            created += _remind_batch(due, as_of=as_of)
    if created:
        logger.info("Contract reminders for %s (run %s): %d created", as_of,
                    getattr(run, "pk", None), len(created))
    return created


def _remind_batch(due: list[tuple[OverdueInvoice, int]], *, as_of: date) -> list[Notice]:
    account_ids = sorted({invoice.account_id for invoice, _step in due})
    # the account's row is the lock every notice of the account is created under
    # (`notice_create`); in id order, so that two sweeps cannot wait for each other in a cycle
    list(Account.objects.select_for_update().filter(pk__in=account_ids)
         .order_by("pk").values_list("pk", flat=True))
    references = [reminder_reference(invoice.id, step)
                  for invoice, _step in due for step in REMINDER_STEPS]
    existing = set(Notice.objects.filter(
        account_id__in=account_ids, kind=NoticeKind.CONTRACT_OVERDUE, reference__in=references,
    ).values_list("reference", flat=True))
    created = []
    for invoice, step in due:
        sent_steps = [s for s in REMINDER_STEPS
                      if reminder_reference(invoice.id, s) in existing]
        if sent_steps and max(sent_steps) >= step:
            continue
        notice = notice_create(account_id=invoice.account_id,
                               kind=NoticeKind.CONTRACT_OVERDUE,
                               reference=reminder_reference(invoice.id, step),
                               about_date=invoice.due_date, as_of=as_of)
        if notice is not None:
            created.append(notice)
    return created


# --- finance: block and unblock ---------------------------------------------------------------


def contract_account_block(*, account: Account, reason: str, actor) -> AccessHold:
    """Finance blocks a contract account by hand (e.g. an invoice long overdue): from now on
    only its administrators can log in, to the billing pages, until it is unblocked. Refused
    with `DomainError` when the account never had a contract (code "not_contract_account"), the
    reason is empty ("hold_reason_missing", on the field `reason`) or it is already blocked
    ("hold_exists"). The hold and its audit row are written by `seats.services.contracts`."""
    if not Contract.objects.filter(account=account).exists():
        raise DomainError(_("%(account)s is not a contract account.") % {"account": account},
                          code="not_contract_account", status=409)
    return account_hold_place(account=account, reason=reason, actor=actor)


def contract_account_unblock(*, account: Account, actor) -> AccessHold:
    """Finance unblocks an account it blocked by hand: access follows its contract and seats
    again. Refused with `DomainError` ("hold_missing") when it is not blocked by hand."""
    return account_hold_lift(account=account, actor=actor)


# --- finance: the overview --------------------------------------------------------------------


@dataclass
class ContractAccountRow:
    """One account on the finance contracts page."""

    account: Account
    contract: Contract | None  # None: blocked by hand without a contract (shown to be lifted)
    hold: AccessHold | None  # the open hold, if finance blocked it
    # the day the row was read for: decides which unpaid invoices are overdue
    as_of: date
    # every unpaid contract invoice, overdue or not yet due, by due date (oldest first)
    unpaid: list[OverdueInvoice] = field(default_factory=list)
    contract_runs: bool = False  # on `as_of`
    # transfers that paid more than was due (their `overpaid` part is to be refunded or
    # credited by finance), newest first
    overpayments: list[InvoiceTransfer] = field(default_factory=list)

    @property
    def overdue(self) -> list[OverdueInvoice]:
        """The unpaid invoices overdue on `as_of` (their due date has passed), oldest due
        first; what the reminders are about and what makes the row need attention."""
        return [invoice for invoice in self.unpaid if invoice.is_overdue(self.as_of)]

    @property
    def not_due(self) -> list[OverdueInvoice]:
        """The unpaid invoices not yet due on `as_of` (due today or later)."""
        return [invoice for invoice in self.unpaid if not invoice.is_overdue(self.as_of)]

    @property
    def overdue_count(self) -> int:
        return len(self.overdue)

    @property
    def oldest_due(self) -> date | None:
        overdue = self.overdue
        return overdue[0].due_date if overdue else None

    @property
    def needs_attention(self) -> bool:
        """Overdue or blocked; an invoice not yet due needs none."""
        return bool(self.overdue) or self.hold is not None


def contract_accounts_overview(as_of: date) -> list[ContractAccountRow]:
    """The contract accounts (every account with a contract, running or not) and any other
    account finance blocked by hand, each with its contract term, open hold, unpaid invoices
    on `as_of` (overdue and not yet due, by due date; `overdue` is derived from them) and the
    transfers that overpaid an invoice: those that need attention (overdue or blocked) first,
    then by name. Five queries: the contracts, the open holds, the unpaid invoices, their
    corrections and the over-payments."""
    rows: dict[int, ContractAccountRow] = {}
    for contract in Contract.objects.select_related("account").order_by("account__name", "pk"):
        rows[contract.account_id] = ContractAccountRow(
            account=contract.account, contract=contract, hold=None, as_of=as_of,
            contract_runs=contract.runs_on(as_of))
    for hold in (AccessHold.objects.open()
                 .select_related("account", "placed_by")):
        row = rows.get(hold.account_id)
        if row is None:
            rows[hold.account_id] = row = ContractAccountRow(
                account=hold.account, contract=None, hold=None, as_of=as_of)
        row.hold = hold
    by_account: dict[int, list[OverdueInvoice]] = defaultdict(list)
    if rows:
        for invoice in unpaid_contract_invoices(as_of, account_ids=list(rows)):
            by_account[invoice.account_id].append(invoice)
    for account_id, invoices in by_account.items():
        rows[account_id].unpaid = sorted(invoices, key=lambda i: (i.due_date, i.id))
    if rows:
        for transfer in (InvoiceTransfer.objects.filter(account_id__in=list(rows), overpaid__gt=0)
                         .select_related("document").order_by("-received_on", "-id")):
            rows[transfer.account_id].overpayments.append(transfer)
    return sorted(rows.values(),
                  key=lambda r: (not r.needs_attention, r.account.name.casefold(), r.account.pk))
