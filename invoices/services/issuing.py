"""Issuing documents: pro-formas, VAT invoices and corrective invoices (SPEC §7).

How a document is issued (`_issue`):
- everything is computed first, outside the transaction: the lines' nets (quantity × unit price,
  rounded once), the totals per VAT rate (VAT once per rate on that rate's net), the frozen
  snapshots of seller, buyer and ordering party, and — for a foreign-currency document carrying
  VAT — the NBP rate of the last business day before the issue date;
- then, in one transaction: the next number of the series is taken under the counter's row lock
  (`numbering.next_number`), the document, its lines and totals are inserted, an audit row is
  written; the PDF is rendered by a Celery task queued after commit;
- an invoice (or correction) that needs a rate not yet known is stored unnumbered with status
  `waiting_for_rate` and issued by `documents_issue_waiting` (`waiting.py`) once the rate
  arrives (the rates task and the manual rate entry call it). While waiting, `issue_date` holds
  the day issuing was requested; the document is issued on the day it is numbered (never
  earlier), so issue dates follow the numbers and the rate is that issue date's.

The documents of an order are in `order_documents.py`, corrections in `corrections.py`;
`invoices.services.documents` re-exports the public names of all of them.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from billing_site.outbox import enqueue
from billing_site.vat import (
    TREATMENTS,
    VatTreatment,
    money,
    totals_by_rate,
    vat_treatment_for_buyer,
)
from invoices.models import (
    BillingProfile,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    DocumentVatTotal,
    PartyKind,
)
from seats.audit import audit_record

from . import rates
from .numbering import next_number

ZERO = Decimal("0.00")


# --- pure computations --------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """One line to invoice. `net` = quantity × unit price, rounded once (2 places, half up)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    period_start: date | None = None
    period_end: date | None = None
    unit: str = "szt."

    @property
    def net(self) -> Decimal:
        return money(Decimal(self.quantity) * Decimal(self.unit_price))


@dataclass(frozen=True)
class AppliedRate:
    """The NBP rate a document shows its VAT in PLN at."""

    rate: Decimal  # PLN per unit
    effective_date: date
    table: str

    def to_pln(self, amount: Decimal) -> Decimal:
        return money(amount * self.rate)


# --- snapshots ----------------------------------------------------------------------------------


def seller_snapshot() -> dict:
    return {key: str(value) for key, value in settings.SELLER.items()}


def buyer_snapshot(profile: BillingProfile) -> dict:
    return {
        "kind": profile.kind,
        "name": profile.name,
        "street": profile.street,
        "postal_code": profile.postal_code,
        "city": profile.city,
        "country": str(profile.country),
        "tax_id": profile.tax_id,
        "tax_id_status": profile.tax_id_status,
        "invoice_email": profile.invoice_email,
    }


def ordering_party_snapshot(profile: BillingProfile) -> dict | None:
    if not profile.ordering_party_name:
        return None
    return {
        "name": profile.ordering_party_name,
        "street": profile.ordering_party_street,
        "postal_code": profile.ordering_party_postal_code,
        "city": profile.ordering_party_city,
        "country": str(profile.ordering_party_country),
        "tax_id": profile.ordering_party_tax_id,
    }


def _profile(account) -> BillingProfile:
    profile = BillingProfile.objects.filter(account=account).first()
    if profile is None:
        raise DomainError(_("Fill in the invoice data first."), code="no_billing_profile")
    return profile


def buyer_treatment(profile: BillingProfile) -> VatTreatment:
    return vat_treatment_for_buyer(country=str(profile.country),
                                   is_company=profile.kind == PartyKind.COMPANY,
                                   tax_id_status=profile.tax_id_status)


# --- issuing ------------------------------------------------------------------------------------


def _lookup_rate(currency: str, issue_date: date) -> AppliedRate | None:
    found = rates.rate_for_issue(currency=currency, issue_date=issue_date)
    if found is None:
        return None
    return AppliedRate(found.rate, found.effective_date, found.table_number)


def _due_date(kind: str, issue_date: date) -> date | None:
    if kind == DocumentKind.CORRECTION:
        return None
    return issue_date + timedelta(days=settings.INVOICE_PAYMENT_DAYS)


def _queue_render(document_id: int) -> None:
    """Queue the PDF render (and first e-mail) of a document, in the caller's transaction
    (through the outbox: a broker that is down loses nothing)."""
    enqueue("invoices.render_document", args=[document_id],
            key=f"invoices.render_document:{document_id}")


def _audit_after(doc: Document) -> dict:
    return {"kind": doc.kind, "status": doc.status, "number": doc.number,
            "issue_date": doc.issue_date.isoformat() if doc.issue_date else None,
            "currency": doc.currency, "net": str(doc.net), "vat": str(doc.vat),
            "gross": str(doc.gross), "vat_pln": None if doc.vat_pln is None else str(doc.vat_pln),
            "corrects": doc.corrects_id, "order": doc.order_id}


def document_totals(*, kind: str, lines: list[LineInput], treatment: VatTreatment):
    """(the lines' nets, the totals per VAT rate) of a document with `lines` under `treatment`
    (SPEC §2: each line rounded once, VAT once per rate on its net). Pure. Refused with
    `DomainError`: no lines (but for a correction), unit prices with more than 2 decimal places
    or quantities with more than 4, a total below zero."""
    if not lines and kind != DocumentKind.CORRECTION:
        raise DomainError(_("A document needs at least one line."), code="no_lines")
    for line in lines:
        if Decimal(line.unit_price) != money(line.unit_price):
            raise DomainError(_("Unit prices have at most 2 decimal places."), code="precision")
        if Decimal(line.quantity).as_tuple().exponent < -4:
            raise DomainError(_("Quantities have at most 4 decimal places."), code="precision")
    nets = [line.net for line in lines]
    totals = totals_by_rate((net, treatment) for net in nets)
    if totals.gross < 0:
        raise DomainError(_("A document cannot total less than zero."), code="negative_total")
    return nets, totals


def _issue(*, account, kind, lines, sale_date, as_of, buyer, ordering_party,
           treatment: VatTreatment, currency, order=None, corrects=None, correction_reason="",
           fixed_rate: AppliedRate | None = None, actor=None, paid_by="",
           due_on=None) -> Document:
    if kind not in DocumentKind.values:
        raise ValueError(f"Unknown document kind {kind!r}")
    if (kind == DocumentKind.CORRECTION) != (corrects is not None):
        raise ValueError("A correction, and only a correction, refers to the corrected document")
    lines = list(lines)
    nets, totals = document_totals(kind=kind, lines=lines, treatment=treatment)

    carries_foreign_vat = currency != "PLN" and totals.vat > 0
    rate = None
    if carries_foreign_vat:
        rate = fixed_rate or _lookup_rate(currency, as_of)
    # Pro-formas are not tax documents: they show the PLN VAT when the rate is known, never wait.
    waits = carries_foreign_vat and rate is None and kind != DocumentKind.PROFORMA
    by_rate_pln = [rate.to_pln(t.vat) if rate else None for t in totals.by_rate]

    with transaction.atomic():
        if waits:
            number = None
        else:
            number = next_number(kind=kind, issue_date=as_of)
        doc = Document.objects.create(
            kind=kind,
            status=DocumentStatus.WAITING_FOR_RATE if waits else DocumentStatus.ISSUED,
            account=account, order=order, corrects=corrects,
            number=number.number if number else "",
            number_year=number.year if number else None,
            number_month=number.month if number else None,
            sequence=number.seq if number else None,
            issue_date=as_of,  # while waiting: the day issuing was requested
            sale_date=sale_date,
            due_date=None if waits or paid_by else (due_on or _due_date(kind, as_of)),
            paid_by=paid_by,
            currency=currency, seller=seller_snapshot(), buyer=buyer,
            ordering_party=ordering_party, vat_code=treatment.code,
            net=totals.net, vat=totals.vat, gross=totals.gross,
            vat_pln=sum(by_rate_pln, ZERO) if rate else None,
            exchange_rate=rate.rate if rate else None,
            exchange_rate_date=rate.effective_date if rate else None,
            exchange_rate_table=rate.table if rate else "",
            correction_reason=correction_reason,
            issued_by=actor if actor is not None and actor.pk else None,
        )
        DocumentLine.objects.bulk_create([
            DocumentLine(
                document=doc, position=position, description=line.description,
                period_start=line.period_start, period_end=line.period_end,
                quantity=Decimal(line.quantity), unit=line.unit,
                unit_price=money(line.unit_price), net=net, vat_rate=treatment.rate,
                vat_code=treatment.code,
            )
            for position, (line, net) in enumerate(zip(lines, nets, strict=True), start=1)
        ])
        DocumentVatTotal.objects.bulk_create([
            DocumentVatTotal(document=doc, vat_code=t.vat_code, vat_rate=t.vat_rate, net=t.net,
                             vat=t.vat, gross=t.gross, vat_pln=pln)
            for t, pln in zip(totals.by_rate, by_rate_pln, strict=True)
        ])
        audit_record(account=account, actor=actor,
                     action="document.wait_for_rate" if waits else "document.issue",
                     target=doc, after=_audit_after(doc))
        if not waits:
            _queue_render(doc.pk)
    return doc


def document_issue(*, account, kind, lines, sale_date, as_of, order=None, corrects=None,
                   correction_reason="", actor=None, currency=None,
                   treatment: VatTreatment | None = None, paid_by="",
                   due_on=None) -> Document:
    """Issue a document to the account's buyer as its invoice data stand now.

    VAT follows the buyer (`billing_site.vat.buyer_vat_treatment`) unless `treatment` is given (the
    documents of an order use the treatment the order was priced at); the currency is the
    account's unless given (documents of an order are in the order's currency). A correction
    passed here keeps the corrected document's currency, VAT treatment and rate; prefer
    `correction_issue`. `paid_by` (a payment method code) marks an invoice issued for money
    already received: it has no due date and its PDF says it is paid. `due_on` overrides the
    due date (a pro-forma is due when its order stops being payable).
    """
    profile = _profile(account)
    if corrects is not None:
        if corrects.account_id != account.pk:
            raise ValueError("A correction belongs to the account of the corrected document")
        if corrects.kind == DocumentKind.PROFORMA or corrects.status != DocumentStatus.ISSUED:
            raise DomainError(_("Only issued VAT invoices and corrections can be corrected."),
                              code="not_correctable")
        if currency is not None and currency != corrects.currency:
            raise DomainError(_("A correction is in the currency of the corrected document."),
                              code="currency")
        return _issue(
            account=account, kind=kind, lines=lines, sale_date=sale_date, as_of=as_of,
            buyer=buyer_snapshot(profile), ordering_party=ordering_party_snapshot(profile),
            treatment=TREATMENTS[corrects.vat_code], currency=corrects.currency, order=order,
            corrects=corrects, correction_reason=correction_reason,
            fixed_rate=_original_rate(corrects), actor=actor,
        )
    return _issue(
        account=account, kind=kind, lines=lines, sale_date=sale_date, as_of=as_of,
        buyer=buyer_snapshot(profile), ordering_party=ordering_party_snapshot(profile),
        treatment=treatment or buyer_treatment(profile), currency=currency or account.currency,
        order=order, correction_reason=correction_reason, actor=actor, paid_by=paid_by,
        due_on=due_on,
    )


# --- corrections keep the rate of the document they correct ------------------------------------


def _original_rate(document: Document) -> AppliedRate | None:
    if document.exchange_rate is None:
        return None
    return AppliedRate(document.exchange_rate, document.exchange_rate_date,
                       document.exchange_rate_table)
