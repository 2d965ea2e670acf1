"""Bank transfers received against contract invoices, booked by finance (SPEC §3; issue 11).

A contract invoice is paid by bank transfer after it was issued; until this existed nothing
could record that, so a paid invoice kept getting reminders. `invoice_transfer_book` books one
received transfer (partial payments allowed, over-payments recorded) into the append-only
`InvoiceTransfer` ledger; `invoices.selectors_overdue` reads the ledger, so a paid invoice is no
longer overdue and a partly paid one is overdue for the rest.

Which documents: an issued VAT invoice with payment terms (a due date), not issued for an order
(order invoices are paid through the order: its pro-forma transfer in payments), not issued as
already paid (`paid_by`), of an account that has or had a contract (`seats.Contract`) — the
documents the overdue read reminds about. Invoices issued by month-end invoicing have a
`ContractInvoice` row, but those finance or the demo issued by hand before it existed do not,
so the row is not required.

Concurrency: the invoice's row is locked (`select_for_update`) before the earlier transfers are
summed, so two clerks booking at once are serialised: each transfer counts once and the second
sees the first in what is still due (its over-payment, if any, is computed from that). The
correction services lock the same row (the root of the chain), so a correction and a booking
cannot interleave either.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.errors import DomainError
from billing_site.money import amount_input
from seats.audit import audit_record
from seats.models import Contract

from ..models import Document, DocumentKind, DocumentStatus, InvoiceTransfer
from .corrections import _latest_state

REFERENCE_MAX = 200


def _amount(value) -> Decimal:
    """`billing_site.money.amount_input`, with a negative amount told it must be above zero."""
    if str(value).strip().startswith("-"):
        raise DomainError(_("Enter an amount above zero with at most 2 decimal places."),
                          field="amount")
    return amount_input(value)


def _reference(reference) -> str:
    """As `payments.services.transfers._reference` (same rule and messages, see `_amount`)."""
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_("Enter the transfer title or bank reference."), field="reference")
    if len(reference) > REFERENCE_MAX:
        raise DomainError(_("The reference can be at most 200 characters long."),
                          field="reference")
    return reference


def is_contract_invoice(document: Document) -> bool:
    """`document` is one finance books transfers against (module docstring). One query."""
    return (document.kind == DocumentKind.INVOICE and document.status == DocumentStatus.ISSUED
            and document.order_id is None and document.due_date is not None
            and not document.paid_by
            and Contract.objects.filter(account_id=document.account_id).exists())


def transferred_total(document: Document) -> Decimal:
    """The sum of the transfers booked against `document` (0.00 when none)."""
    total = InvoiceTransfer.objects.filter(document=document).aggregate(total=Sum("amount"))
    return total["total"] or Decimal("0.00")


def invoice_balance(document: Document) -> tuple[Decimal, Decimal, Decimal]:
    """(invoiced, paid, still due) of an invoice: the gross its correction chain leaves, the
    transfers booked against it, and the difference (never below zero). For one document (the
    reminder e-mail); lists read `invoices.selectors_overdue`."""
    invoiced, paid = _latest_state(document).gross, transferred_total(document)
    return invoiced, paid, max(invoiced - paid, Decimal("0.00"))


@dataclass(frozen=True)
class TransferBooked:
    transfer: InvoiceTransfer
    invoiced: Decimal  # the gross the correction chain leaves
    paid: Decimal  # every transfer booked so far, this one included
    remaining: Decimal  # still due (0 when paid)

    @property
    def is_paid(self) -> bool:
        return self.remaining == 0


def invoice_transfer_book(*, document: Document, amount, currency: str, received_on: date | None,
                          reference, actor, as_of: date) -> TransferBooked:
    """Book a bank transfer of `amount` `currency` received on `received_on` against the
    contract invoice `document`, with an audit row ("invoice.transfer"). Refused with
    `DomainError` (400) — nothing booked — when the amount is not a positive number with at most
    2 decimals ("amount"), the reference is empty or too long ("reference"), the date is missing
    or after `as_of` or before the invoice's issue date ("received_on"), the currency is not the
    invoice's ("currency"), the
    document is not a contract invoice (code "not_contract_invoice") or its corrections brought
    it to zero ("invoice_corrected_to_zero"). A transfer above what is still due is booked in
    full, its excess kept as `overpaid`."""
    amount, reference = _amount(amount), _reference(reference)
    if received_on is None:
        raise DomainError(_("Enter the day the transfer was received."), field="received_on")
    if received_on > as_of:
        raise DomainError(_("The transfer cannot be received after today."), field="received_on")
    with transaction.atomic():
        locked = (Document.objects.select_for_update().select_related("account")
                  .filter(pk=document.pk).first())
        if locked is None or not is_contract_invoice(locked):
            raise DomainError(
                _("%(document)s is not a contract invoice: book transfers for orders against "
                  "their pro-forma.") % {"document": locked or document},
                code="not_contract_invoice")
        if currency != locked.currency:
            raise DomainError(
                _("Invoice %(number)s is in %(currency)s; a transfer in %(given)s cannot be "
                  "booked against it.") % {"number": locked.number, "currency": locked.currency,
                                            "given": currency or "?"},
                field="currency", code="currency_mismatch")
        if locked.issue_date and received_on < locked.issue_date:
            raise DomainError(
                _("Invoice %(number)s was issued on %(issued)s; a transfer received before it "
                  "cannot pay it.") % {"number": locked.number,
                                       "issued": formatting.day(locked.issue_date)},
                field="received_on", code="received_before_issue")
        invoiced = _latest_state(locked).gross
        if invoiced <= 0:
            raise DomainError(
                _("Invoice %(number)s was corrected to zero: there is nothing to pay.")
                % {"number": locked.number}, code="invoice_corrected_to_zero")
        paid_before = transferred_total(locked)
        due_before = max(invoiced - paid_before, Decimal("0.00"))
        transfer = InvoiceTransfer.objects.create(
            account=locked.account, document=locked, amount=amount, currency=locked.currency,
            overpaid=max(amount - due_before, Decimal("0.00")), received_on=received_on,
            reference=reference, booked_by=actor if actor is not None and actor.pk else None)
        paid = paid_before + amount
        remaining = max(invoiced - paid, Decimal("0.00"))
        audit_record(account=locked.account, actor=actor, action="invoice.transfer",
                     target=transfer,
                     before={"paid": str(paid_before), "remaining": str(due_before)},
                     after={"document": locked.pk, "number": locked.number,
                            "amount": str(amount), "currency": locked.currency,
                            "received_on": received_on.isoformat(), "reference": reference,
                            "overpaid": str(transfer.overpaid), "paid": str(paid),
                            "remaining": str(remaining)})
    return TransferBooked(transfer=transfer, invoiced=invoiced, paid=paid, remaining=remaining)
