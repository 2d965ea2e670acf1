"""Overdue contract invoices (SPEC §3: "overdue contract invoices get reminders").

An invoice is *overdue* on `as_of` when all of these hold:
- it is an issued VAT invoice (kind `invoice`, status `issued`) with a due date before `as_of`;
- its account is a contract account whose contract ran on the invoice's issue date, or runs on
  `as_of` (`seats.Contract`, both ends inclusive);
- nothing says it is paid: `paid_by` is empty (an invoice issued for money already received has
  it), and it is not the invoice of an order that was paid (order invoices are only issued for
  paid orders; those issued before `paid_by` existed have it empty and a due date);
- it is not corrected to zero: the latest issued state of its correction chain (corrections
  describe the invoice *as corrected*, see `invoices.services.corrections`) has a gross above
  zero. A correction that only lowers the amount leaves it overdue for the rest;
- it is not paid by bank transfer: the transfers finance booked against it (`InvoiceTransfer`,
  `invoices.services.invoice_transfers`) sum to less than that gross. A partial payment leaves
  it overdue for the rest (`OverdueInvoice.outstanding_gross` is what is still due: the
  corrected gross less the transfers).

This is the one read the reminders (`dunning.services.contracts`) and the finance contracts page
use. The page also lists the contract invoices *not yet due* (`unpaid_contract_invoices`: every
rule above but the due date, so an invoice paid on time can be booked before it falls due and
never gets a reminder); the reminders read overdue invoices only.

Cost: the SQL conditions are one query (the transfers summed in a subquery); the correction
chains one more (all issued corrections of the candidates' accounts, walked in Python), whatever
the number of invoices. An invoice paid in full and never corrected is left out in SQL; one with
corrections is decided in Python, as the corrected gross is only known there.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from plans.models import OrderStatus
from seats.models import Contract

from .models import Document, DocumentKind, DocumentStatus, InvoiceTransfer

# orders whose money was received (their invoice is paid, whatever its `paid_by` says)
PAID_ORDER_STATUSES = (OrderStatus.PAID, OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED)
# what an overdue invoice's reminder and the finance page show of the document
OVERDUE_FIELDS = ("id", "account_id", "number", "issue_date", "due_date", "gross", "currency")
BATCH_SIZE = 500


@dataclass(frozen=True)
class OverdueInvoice:
    document: Document  # loaded with OVERDUE_FIELDS only (and `transferred`)
    # what is still due: `invoiced_gross` less `paid` (above zero)
    outstanding_gross: Decimal
    # the gross still invoiced: the latest state of the correction chain (the document's own
    # gross when it was never corrected)
    invoiced_gross: Decimal = Decimal("0.00")
    # the bank transfers booked against it so far (`InvoiceTransfer`), 0.00 when none
    paid: Decimal = Decimal("0.00")

    @property
    def id(self) -> int:
        return self.document.pk

    @property
    def account_id(self) -> int:
        return self.document.account_id

    @property
    def due_date(self) -> date:
        return self.document.due_date

    def days_overdue(self, as_of: date) -> int:
        """Days since the due date on `as_of`: 0 on the due date, negative before it."""
        return (as_of - self.document.due_date).days

    def is_overdue(self, as_of: date) -> bool:
        """Overdue on `as_of`: its due date has passed (on the due date itself it is not)."""
        return self.document.due_date < as_of


def _contract_runs(day) -> Q:
    """On `Contract`: the contract runs on `day` (a date or an `OuterRef`)."""
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def overdue_invoice_candidates(as_of: date, account_ids: Iterable[int] | None = None, *,
                               overdue_only: bool = True) -> QuerySet:
    """The VAT invoices that are overdue on `as_of` by every rule but the correction chain
    (module docstring), by id. Staff-wide unless `account_ids` limits it. `overdue_only=False`
    drops the due-date condition: the unpaid contract invoices, overdue or not yet due (a due
    date is still required: an invoice without one was issued for money already received)."""
    contracts = Contract.objects.filter(account_id=OuterRef("account_id"))
    ran_on_issue = contracts.filter(_contract_runs(OuterRef("issue_date")))
    runs_today = contracts.filter(_contract_runs(as_of))
    transferred = (InvoiceTransfer.objects.filter(document_id=OuterRef("pk"))
                   .order_by().values("document_id").annotate(total=Sum("amount"))
                   .values("total"))
    corrected = Document.objects.filter(corrects_id=OuterRef("pk"), status=DocumentStatus.ISSUED)
    documents = (
        Document.objects.filter(kind=DocumentKind.INVOICE, status=DocumentStatus.ISSUED,
                                due_date__isnull=False, paid_by="")
        .filter(Exists(ran_on_issue) | Exists(runs_today))
        .filter(Q(order__isnull=True) | ~Q(order__status__in=PAID_ORDER_STATUSES))
        .annotate(transferred=Coalesce(
            Subquery(transferred), Value(Decimal("0.00")),
            output_field=DecimalField(max_digits=12, decimal_places=2)))
        # paid in full and never corrected: left out here (a corrected one: in `_outstanding`)
        .filter(Q(transferred__lt=F("gross")) | Exists(corrected))
    )
    if overdue_only:
        documents = documents.filter(due_date__lt=as_of)
    if account_ids is not None:
        documents = documents.filter(account_id__in=list(account_ids))
    return documents.only(*OVERDUE_FIELDS).order_by("id")


def _outstanding(candidates: list[Document]) -> list[OverdueInvoice]:
    """`candidates` with the gross their correction chain leaves less the transfers booked
    (`transferred`, annotated by `overdue_invoice_candidates`), those corrected to zero or paid
    in full left out. One query: the issued corrections of the candidates' accounts since the oldest
    candidate was issued (a correction is never issued before what it corrects)."""
    if not candidates:
        return []
    children: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for pk, corrects_id, gross in (
            Document.objects.filter(
                kind=DocumentKind.CORRECTION, status=DocumentStatus.ISSUED,
                account_id__in={doc.account_id for doc in candidates},
                issue_date__gte=min(doc.issue_date for doc in candidates))
            .values_list("id", "corrects_id", "gross")):
        children[corrects_id].append((pk, gross))
    found = []
    for doc in candidates:
        # the latest state, as `corrections._latest_state`: the newest correction of the newest
        # correction ..., starting from the invoice
        current, gross = doc.pk, doc.gross
        while children.get(current):
            current, gross = max(children[current])
        paid = getattr(doc, "transferred", None) or Decimal("0.00")
        if gross > 0 and gross > paid:
            found.append(OverdueInvoice(document=doc, outstanding_gross=gross - paid,
                                        invoiced_gross=gross, paid=paid))
    return found


def overdue_invoices(as_of: date, account_ids: Iterable[int] | None = None
                     ) -> list[OverdueInvoice]:
    """Every invoice overdue on `as_of` (of the accounts `account_ids`, or all), by id. Two
    queries. For a staff-wide walk in bounded memory use `overdue_invoice_batches`."""
    return _outstanding(list(overdue_invoice_candidates(as_of, account_ids)))


def unpaid_contract_invoices(as_of: date, account_ids: Iterable[int]) -> list[OverdueInvoice]:
    """Every unpaid contract invoice of the accounts `account_ids` on `as_of`, overdue or not yet
    due (`overdue_invoice_candidates(..., overdue_only=False)`, then `_outstanding`), by id; the
    overdue ones are those with `is_overdue(as_of)`. Two queries. For the finance page, not the
    reminders (they read `overdue_invoice_batches`)."""
    return _outstanding(list(overdue_invoice_candidates(as_of, account_ids, overdue_only=False)))


def overdue_invoice_batches(as_of: date, *, batch_size: int = BATCH_SIZE
                            ) -> Iterator[list[OverdueInvoice]]:
    """The invoices overdue on `as_of`, staff-wide, in batches of at most `batch_size` (by id;
    a batch may be shorter, or empty, where corrected invoices were left out). Two queries a
    batch."""
    after = 0
    while True:
        candidates = list(overdue_invoice_candidates(as_of).filter(id__gt=after)[:batch_size])
        if not candidates:
            return
        after = candidates[-1].pk
        yield _outstanding(candidates)
        if len(candidates) < batch_size:
            return
