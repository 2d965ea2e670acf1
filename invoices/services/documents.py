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
  `waiting_for_rate` and issued by `documents_issue_waiting` once the rate arrives (the rates task
  and the manual rate entry call it). While waiting, `issue_date` holds the day issuing was
  requested; the document is issued on the day it is numbered (never earlier), so issue dates
  follow the numbers and the rate is that issue date's.

A waiting document takes its party snapshots when it is numbered, not when it was requested: an
unnumbered document has not been issued to anyone yet, so `_issue_waiting` re-reads the seller
(settings) and the buyer and ordering party (the account's `BillingProfile`, row locked) at
numbering time. A change of the invoice data while a document waits therefore needs no correction
of that document: it simply carries the new name, address, tax id and invoice e-mail (and
`correction_issue_buyer_data` leaves an unnumbered document, or a chain whose next correction is
still waiting, alone). Its VAT treatment does NOT follow the new data: the vat code, the lines'
rates and every amount stay as stored when issuing was requested, because they are what the
buyer was quoted and charged for the order (an invoice of a paid order must state the amount
paid). So a buyer who, while the document waits, gets a VAT id confirmed in VIES (reverse charge
now) or moves to another country still gets the document with the treatment it was requested
with; the audit row of the issue records both treatments when they differ, and any change of the
tax treatment is a separate correction finance issues on purpose. The currency and the NBP rate
(the issue date's) are unaffected by the invoice data as well.

Corrections (`correction_issue`, `correction_issue_buyer_data`) describe the invoice *as corrected*:
their lines and totals are the state after the correction, and the difference is the correction's
totals minus those of the document it corrects (`invoices.selectors.document_difference`). So a
buyer-data correction repeats the lines (difference zero) and a full refund has no lines (the
difference is minus everything). A correction keeps the original's currency, VAT treatment and NBP
rate (art. 31a(2a) of the VAT Act: corrections use the rate applied originally), so it never waits
for a rate. Pro-formas are not tax documents and are never corrected.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from billing_site.jobs import queue_task
from billing_site.vat import (
    TREATMENTS,
    VatTreatment,
    money,
    totals_by_rate,
    vat_treatment_for_buyer,
)
from catalogue.models import AddOn
from invoices.models import (
    BillingProfile,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    DocumentVatTotal,
    PartyKind,
)
from plans.models import Order, OrderStatus
from plans.services import order_refresh, order_vat_treatment
from seats.audit import audit_record

from . import rates
from .numbering import next_number

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
BUYER_DATA_CORRECTION_REASON = "Korekta danych nabywcy (buyer data correction)"
WAITING_BATCH = 500


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


def _percent_text(value: Decimal) -> str:
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def order_lines(order: Order) -> list[LineInput]:
    """The document lines of an order, from the quote it stores (plans.services.quote_json):
    seat lines grouped by identical (start, end, amount) — quantity = seats, unit price = the
    amount per seat, so quantity × unit price is exactly their sum; one line per add-on line;
    the discount as one negative line. Their nets add up to the order's net exactly."""
    quote = order.quote
    # the package the order was quoted for (a package change after ordering must not rename it)
    package_name = order.quote.get("package", {}).get("name") or order.account.package.name
    seat_groups: dict[tuple[str, str, str], int] = {}
    addon_lines = []
    addon_names = None
    for line in quote["lines"]:
        if line.get("add_on"):
            if addon_names is None:
                addon_names = dict(AddOn.objects.values_list("code", "name"))
            name = addon_names.get(line["add_on"], line["add_on"])
            addon_lines.append(LineInput(
                description=f"{name} × {line['packs']} pak., {line['start']} – {line['end']}",
                quantity=Decimal(1), unit_price=Decimal(line["amount"]),
                period_start=date.fromisoformat(line["start"]),
                period_end=date.fromisoformat(line["end"]),
            ))
        else:
            key = (line["start"], line["end"], line["amount"])
            seat_groups[key] = seat_groups.get(key, 0) + 1
    lines = [
        LineInput(
            description=f"Licencja stanowiska — pakiet {package_name}, {start} – {end}",
            quantity=Decimal(count), unit_price=Decimal(amount),
            period_start=date.fromisoformat(start), period_end=date.fromisoformat(end),
        )
        for (start, end, amount), count in seat_groups.items()
    ] + addon_lines
    discount = Decimal(quote.get("discount") or "0")
    if discount > 0:
        lines.append(LineInput(
            description=f"Rabat {_percent_text(quote['discount_percent'])} % za okres "
                        f"{quote['term_months']} mies.",
            quantity=Decimal(1), unit_price=-discount,
        ))
    net = sum((line.net for line in lines), ZERO)
    if net != Decimal(quote["net"]) or net != order.net:
        raise RuntimeError(f"Order #{order.pk}: document lines add up to {net}, "
                           f"the order's net is {order.net}")
    return lines


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
    queue_task("invoices.render_document", document_id)


def _audit_after(doc: Document) -> dict:
    return {"kind": doc.kind, "status": doc.status, "number": doc.number,
            "issue_date": doc.issue_date.isoformat() if doc.issue_date else None,
            "currency": doc.currency, "net": str(doc.net), "vat": str(doc.vat),
            "gross": str(doc.gross), "vat_pln": None if doc.vat_pln is None else str(doc.vat_pln),
            "corrects": doc.corrects_id, "order": doc.order_id}


def _issue(*, account, kind, lines, sale_date, as_of, buyer, ordering_party,
           treatment: VatTreatment, currency, order=None, corrects=None, correction_reason="",
           fixed_rate: AppliedRate | None = None, actor=None) -> Document:
    if kind not in DocumentKind.values:
        raise ValueError(f"Unknown document kind {kind!r}")
    if (kind == DocumentKind.CORRECTION) != (corrects is not None):
        raise ValueError("A correction, and only a correction, refers to the corrected document")
    lines = list(lines)
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
            due_date=None if waits else _due_date(kind, as_of),
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
            transaction.on_commit(partial(_queue_render, doc.pk), robust=True)
    return doc


def document_issue(*, account, kind, lines, sale_date, as_of, order=None, corrects=None,
                   correction_reason="", actor=None, currency=None,
                   treatment: VatTreatment | None = None) -> Document:
    """Issue a document to the account's buyer as its invoice data stand now.

    VAT follows the buyer (`billing_site.vat.buyer_vat_treatment`) unless `treatment` is given (the
    documents of an order use the treatment the order was priced at); the currency is the
    account's unless given (documents of an order are in the order's currency). A correction
    passed here keeps the corrected document's currency, VAT treatment and rate; prefer
    `correction_issue`.
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
        order=order, correction_reason=correction_reason, actor=actor,
    )


# --- documents of an order ----------------------------------------------------------------------


def _order_document(*, order, kind, actor, as_of) -> Document:
    if kind == DocumentKind.PROFORMA:
        # a pending order that can no longer be paid is closed first (in its own transaction,
        # so that the refusal below does not roll the closing back)
        order_refresh(order=order, as_of=as_of)
    with transaction.atomic():
        # The order row serialises concurrent requests: one document of each kind per order.
        order = Order.objects.select_related("account__package").select_for_update(
            of=("self",)).get(pk=order.pk)
        existing = (Document.objects.filter(order=order, kind=kind).order_by("id").first())
        if existing is not None:
            return existing
        if order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
            reason = order.get_status_reason_display() or order.get_status_display()
            raise DomainError(
                _("This order can no longer be paid: %(reason)s. Create a new order on the "
                  "Renew page.") % {"reason": reason},
                code=f"order_{order.status}",
            )
        if kind == DocumentKind.PROFORMA and order.status == OrderStatus.PAID:
            raise DomainError(_("This order is already paid."), code="order_paid")
        return document_issue(account=order.account, kind=kind, lines=order_lines(order),
                              sale_date=as_of, as_of=as_of, order=order, actor=actor,
                              currency=order.currency, treatment=order_vat_treatment(order))


def proforma_issue_for_order(*, order, actor, as_of) -> Document:
    """The pro-forma of a pending order (for a bank transfer); issued once, then returned as is.

    Its VAT is the treatment the order was priced at (decided from the invoice data when it was
    quoted), so it always asks for exactly the order's gross. An order that can no longer be
    paid (`plans.services.order_refresh`: window ended, or the package, seats, VAT treatment or
    currency changed) gets no pro-forma: `DomainError` with code "order_cancelled" or
    "order_expired" and the reason."""
    return _order_document(order=order, kind=DocumentKind.PROFORMA, actor=actor, as_of=as_of)


def invoice_issue_for_order(*, order, actor, as_of) -> Document:
    """The VAT invoice of a paid order (sale date = `as_of`, the payment day); issued once, then
    returned as is (webhooks repeat)."""
    return _order_document(order=order, kind=DocumentKind.INVOICE, actor=actor, as_of=as_of)


# --- corrections --------------------------------------------------------------------------------


def _original_rate(document: Document) -> AppliedRate | None:
    if document.exchange_rate is None:
        return None
    return AppliedRate(document.exchange_rate, document.exchange_rate_date,
                       document.exchange_rate_table)


def _chain_root(document: Document) -> Document:
    while document.corrects_id is not None:
        document = document.corrects
    return document


def _latest_state(original: Document) -> Document:
    """The document that states `original`'s invoice as it stands: the last issued correction
    of its chain, or the document itself."""
    current = original
    while True:
        later = (current.corrections.filter(status=DocumentStatus.ISSUED)
                 .order_by("-id").first())
        if later is None:
            return current
        current = later


def _correctable(original: Document) -> Document:
    """Lock the chain (its root row) and return its latest state, refusing what cannot be
    corrected."""
    if original.kind == DocumentKind.PROFORMA:
        raise DomainError(_("A pro-forma is not a tax document and cannot be corrected."),
                          code="not_correctable")
    root = _chain_root(original)
    Document.objects.select_for_update().filter(pk=root.pk).first()
    current = _latest_state(Document.objects.get(pk=original.pk))
    if current.status != DocumentStatus.ISSUED:
        raise DomainError(_("Only issued documents can be corrected."), code="not_issued")
    if current.corrections.filter(status=DocumentStatus.WAITING_FOR_RATE).exists():
        raise DomainError(_("A correction of this document is waiting for its exchange rate."),
                          code="correction_pending")
    return current


def _lines_of(document: Document) -> list[LineInput]:
    return [
        LineInput(description=line.description, quantity=line.quantity,
                  unit_price=line.unit_price, period_start=line.period_start,
                  period_end=line.period_end, unit=line.unit)
        for line in document.lines.order_by("position")
    ]


def correction_issue(*, original, lines, reason, actor, as_of) -> Document:
    """A corrective invoice of `original` (a VAT invoice or a correction of one): `lines` are the
    invoice's lines after the correction (negative lines allowed, e.g. a refund; none at all for
    a full refund). It refers to the latest state of the chain, keeps its buyer, currency, VAT
    treatment and NBP rate; the difference is computed against that state."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the correction."), field="reason")
    with transaction.atomic():
        current = _correctable(original)
        return _issue(
            account=current.account, kind=DocumentKind.CORRECTION, lines=list(lines),
            sale_date=current.sale_date, as_of=as_of, buyer=current.buyer,
            ordering_party=current.ordering_party, treatment=TREATMENTS[current.vat_code],
            currency=current.currency, order=current.order, corrects=current,
            correction_reason=reason, fixed_rate=_original_rate(current), actor=actor,
        )


def _waits_in_chain(original: Document) -> bool:
    """Whether `original` is still unnumbered, or the next state of its chain (a correction of
    its latest issued state) is: either is numbered later with the buyer as the invoice data
    stand then. Call with the chain's root row locked."""
    current = _latest_state(Document.objects.get(pk=original.pk))
    return (current.status == DocumentStatus.WAITING_FOR_RATE
            or current.corrections.filter(status=DocumentStatus.WAITING_FOR_RATE).exists())


def correction_issue_buyer_data(*, original, actor, as_of) -> Document | None:
    """A correction of the buyer data (after the invoice data changed): the same lines and
    totals as the invoice's latest state (difference zero) with the account's buyer and ordering
    party as they are now.

    None, and nothing issued, when `original` still waits for its rate unnumbered, or a
    correction of it does: that document takes the buyer data when it is numbered (module
    docstring), so there is nothing issued with the old data to correct."""
    with transaction.atomic():
        if original.kind != DocumentKind.PROFORMA:  # a pro-forma is refused by _correctable
            root = _chain_root(original)
            Document.objects.select_for_update().filter(pk=root.pk).first()
            if _waits_in_chain(original):
                return None
        current = _correctable(original)
        profile = _profile(current.account)
        return _issue(
            account=current.account, kind=DocumentKind.CORRECTION, lines=_lines_of(current),
            sale_date=current.sale_date, as_of=as_of, buyer=buyer_snapshot(profile),
            ordering_party=ordering_party_snapshot(profile),
            treatment=TREATMENTS[current.vat_code], currency=current.currency,
            order=current.order, corrects=current,
            correction_reason=BUYER_DATA_CORRECTION_REASON,
            fixed_rate=_original_rate(current), actor=actor,
        )


# --- documents waiting for a rate ---------------------------------------------------------------


def documents_issue_waiting(*, as_of) -> list[Document]:
    """Number and issue every document waiting for an NBP rate that is now known. Each document
    is issued on max(`as_of`, the day it was requested), at that issue date's rate; one without
    its rate keeps waiting. Each takes the seller, buyer and ordering party as they stand when
    it is numbered, and keeps the VAT treatment and amounts it was requested with (module
    docstring). Each is issued in its own transaction; a failure is logged and does not hold up
    the others."""
    issued = []
    waiting = list(Document.objects.filter(status=DocumentStatus.WAITING_FOR_RATE)
                   .order_by("created_at", "id").values_list("pk", flat=True)[:WAITING_BATCH])
    for pk in waiting:
        try:
            doc = _issue_waiting(pk, as_of=as_of)
        except Exception:  # one broken document must not block the rest
            logger.exception("Issuing waiting document #%s failed", pk)
            continue
        if doc is not None:
            issued.append(doc)
    return issued


def _issue_waiting(pk, *, as_of) -> Document | None:
    with transaction.atomic():
        doc = (Document.objects.select_for_update()
               .filter(pk=pk, status=DocumentStatus.WAITING_FOR_RATE).first())
        if doc is None:  # issued meanwhile by a concurrent caller
            return None
        issue_date = max(as_of, doc.issue_date)
        rate = _lookup_rate(doc.currency, issue_date)
        if rate is None:
            return None
        before = {"status": doc.status, "seller": doc.seller, "buyer": doc.buyer,
                  "ordering_party": doc.ordering_party}
        # The parties as they stand on the day of numbering (module docstring). The profile row
        # is locked: a concurrent change of the invoice data either commits first (and shows
        # here) or waits, and then finds this document issued and corrects it as the last one.
        profile = (BillingProfile.objects.select_for_update()
                   .filter(account_id=doc.account_id).first())
        doc.seller = seller_snapshot()
        treatment_now = None
        if profile is not None:
            doc.buyer = buyer_snapshot(profile)
            doc.ordering_party = ordering_party_snapshot(profile)
            treatment_now = buyer_treatment(profile).code
        # ...but never the VAT treatment or the amounts: they stay those requested (and quoted)
        vat_pln = ZERO
        for total in doc.vat_totals.all():
            total.vat_pln = rate.to_pln(total.vat)
            total.save(update_fields=["vat_pln"])  # before the document turns issued
            vat_pln += total.vat_pln
        number = next_number(kind=doc.kind, issue_date=issue_date)
        doc.status = DocumentStatus.ISSUED
        doc.number, doc.number_year, doc.number_month, doc.sequence = number
        doc.issue_date = issue_date
        doc.due_date = _due_date(doc.kind, issue_date)
        doc.vat_pln = vat_pln
        doc.exchange_rate = rate.rate
        doc.exchange_rate_date = rate.effective_date
        doc.exchange_rate_table = rate.table
        doc.save(update_fields=["status", "number", "number_year", "number_month", "sequence",
                                "issue_date", "due_date", "seller", "buyer", "ordering_party",
                                "vat_pln", "exchange_rate", "exchange_rate_date",
                                "exchange_rate_table"])
        after = {**_audit_after(doc), "seller": doc.seller, "buyer": doc.buyer,
                 "ordering_party": doc.ordering_party}
        if treatment_now is not None and treatment_now != doc.vat_code:
            after["buyer_vat_treatment_now"] = treatment_now  # kept the document's (docstring)
            logger.warning("%s issued with VAT treatment %s as requested; the buyer's invoice "
                           "data now give %s", doc.number, doc.vat_code, treatment_now)
        audit_record(account=doc.account, actor=None, action="document.issue", target=doc,
                     before=before, after=after)
        transaction.on_commit(partial(_queue_render, doc.pk), robust=True)
        return doc
