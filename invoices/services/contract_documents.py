"""Contract accounts' monthly VAT invoices, issued in batches (SPEC §3, §7; issue 11).

`contract_invoices_issue` issues many VAT invoices at once, in the caller's transaction, each
exactly as `issuing.document_issue` would (the same totals per VAT rate, frozen seller, buyer and
ordering-party snapshots, audit row, PDF and e-mail queued after commit), with per-batch rather
than per-invoice statements:

- the numbers are one block reserved under the counter's lock in one statement
  (`numbering.numbers_reserve`): the batch's numbers are consecutive, and a batch rolled back
  midway returns the whole block, so the series stays gapless;
- documents, lines, VAT totals, audit rows and the `ContractInvoice` rows are each one
  `bulk_create`; the NBP rate (foreign currency with VAT) is read once per currency.

An invoice that needs an NBP rate not published yet is *not* issued (a contract invoice's due
date follows from its issue date, which a document waiting for its rate does not have yet): it
is returned as skipped, and the next run issues it (the job is idempotent per account and
month).

Idempotency is the caller's lock plus the database: the caller holds the accounts' rows locked
and leaves out accounts already invoiced for the month (`contract_invoiced_accounts`); the
unique constraint on `ContractInvoice (account, month)` refuses a second invoice whatever
happens (the whole batch then rolls back, numbers included).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from billing_site.outbox import enqueue_many
from billing_site.vat import money
from invoices.models import (
    BillingProfile,
    ContractInvoice,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    DocumentVatTotal,
)
from seats.audit import audit_entry
from seats.models import AuditEntry

from .issuing import (
    ZERO,
    AppliedRate,
    LineInput,
    _audit_after,
    _lookup_rate,
    buyer_snapshot,
    buyer_treatment,
    document_totals,
    ordering_party_snapshot,
    seller_snapshot,
)
from .numbering import numbers_reserve


@dataclass(frozen=True)
class ContractInvoiceInput:
    """One contract account's invoice for `month` (first day of the month).

    `lines`: net amounts in `currency` (`LineInput`: quantity × unit net price, rounded once);
    `profile`: the account's invoice data (`BillingProfile`), the buyer; `seats`: the confirmed
    seat count billed (kept on the `ContractInvoice` row); `due_on`: the payment due date."""

    account: object  # seats.Account
    profile: BillingProfile
    month: date
    seats: int
    lines: list[LineInput]
    currency: str
    sale_date: date
    due_on: date


@dataclass
class ContractBatchResult:
    issued: list[Document] = field(default_factory=list)
    # inputs not issued because their NBP rate is not known yet (issued by a later run)
    waiting_for_rate: list[ContractInvoiceInput] = field(default_factory=list)


def contract_invoiced_accounts(account_ids: Iterable[int], month: date) -> set[int]:
    """The accounts among `account_ids` that already have their invoice for `month` (first day of
    the month). One query, unordered: the model's ordering (month, account → the account's name)
    would join the accounts and sort for nothing (17 ms a batch of 500 re-run at 100 000
    accounts, 0.1 ms without; bench/bench_month_end.py)."""
    return set(ContractInvoice.objects.filter(account_id__in=list(account_ids), month=month)
               .order_by().values_list("account_id", flat=True))


def contract_invoices_issue(*, inputs: Sequence[ContractInvoiceInput], as_of: date, actor=None,
                            render: bool = True) -> ContractBatchResult:
    """Issue a VAT invoice (series `FV`, issue date `as_of`) for each of `inputs` and record its
    `ContractInvoice` row; see the module docstring. Amounts are net in each input's currency;
    VAT follows each buyer's invoice data (`buyer_treatment`).

    Must run inside the caller's transaction (RuntimeError otherwise, from the numbering), with
    the inputs' accounts locked and not yet invoiced for their month. `render=False` leaves the
    PDFs to the periodic `invoices.render_pending_documents` sweep (the documents keep
    `needs_render`) instead of queuing one task per invoice after commit. Refused with
    `DomainError` as `document_issue` (no lines, precision, negative total): nothing of the
    batch is then written. Statements: the rate per foreign currency, the number block, and one
    insert each for documents, lines, VAT totals, audit rows and contract-invoice rows."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("contract_invoices_issue() must run inside the caller's transaction")
    result = ContractBatchResult()
    prepared = []
    rates: dict[str, AppliedRate | None] = {}
    seller = seller_snapshot()
    for item in inputs:
        treatment = buyer_treatment(item.profile)
        nets, totals = document_totals(kind=DocumentKind.INVOICE, lines=list(item.lines),
                                       treatment=treatment)
        rate = None
        if item.currency != "PLN" and totals.vat > 0:
            if item.currency not in rates:
                rates[item.currency] = _lookup_rate(item.currency, as_of)
            rate = rates[item.currency]
            if rate is None:
                result.waiting_for_rate.append(item)
                continue
        prepared.append((item, treatment, nets, totals, rate))
    if not prepared:
        return result

    numbers = numbers_reserve(kind=DocumentKind.INVOICE, issue_date=as_of, count=len(prepared))
    documents = []
    for (item, treatment, _nets, totals, rate), number in zip(prepared, numbers, strict=True):
        by_rate_pln = [rate.to_pln(t.vat) if rate else None for t in totals.by_rate]
        documents.append(Document(
            kind=DocumentKind.INVOICE, status=DocumentStatus.ISSUED, account=item.account,
            number=number.number, number_year=number.year, number_month=number.month,
            sequence=number.seq, issue_date=as_of, sale_date=item.sale_date,
            due_date=item.due_on, currency=item.currency, seller=seller,
            buyer=buyer_snapshot(item.profile),
            ordering_party=ordering_party_snapshot(item.profile), vat_code=treatment.code,
            net=totals.net, vat=totals.vat, gross=totals.gross,
            vat_pln=sum(by_rate_pln, ZERO) if rate else None,
            exchange_rate=rate.rate if rate else None,
            exchange_rate_date=rate.effective_date if rate else None,
            exchange_rate_table=rate.table if rate else "",
            issued_by=actor if actor is not None and actor.pk else None,
        ))
    Document.objects.bulk_create(documents)
    DocumentLine.objects.bulk_create([
        DocumentLine(
            document=doc, position=position, description=line.description,
            period_start=line.period_start, period_end=line.period_end,
            quantity=Decimal(line.quantity), unit=line.unit, unit_price=money(line.unit_price),
            net=net,
            vat_rate=treatment.rate, vat_code=treatment.code)
        for doc, (item, treatment, nets, _totals, _rate) in zip(documents, prepared, strict=True)
        for position, (line, net) in enumerate(zip(item.lines, nets, strict=True), start=1)
    ])
    DocumentVatTotal.objects.bulk_create([
        DocumentVatTotal(document=doc, vat_code=t.vat_code, vat_rate=t.vat_rate, net=t.net,
                         vat=t.vat, gross=t.gross,
                         vat_pln=rate.to_pln(t.vat) if rate else None)
        for doc, (_item, _treatment, _nets, totals, rate) in zip(documents, prepared,
                                                                 strict=True)
        for t in totals.by_rate
    ])
    AuditEntry.objects.bulk_create([
        audit_entry(account=item.account, actor=actor, action="document.issue", target=doc,
                    after={**_audit_after(doc), "contract_month": item.month.isoformat(),
                           "seats": item.seats})
        for doc, (item, *_rest) in zip(documents, prepared, strict=True)
    ])
    ContractInvoice.objects.bulk_create([
        ContractInvoice(account=item.account, month=item.month, document=doc, seats=item.seats)
        for doc, (item, *_rest) in zip(documents, prepared, strict=True)
    ])
    if render:
        # one insert and one after-commit publication for the whole batch
        enqueue_many("invoices.render_document",
                     [([doc.pk], f"invoices.render_document:{doc.pk}") for doc in documents])
    result.issued = documents
    return result

