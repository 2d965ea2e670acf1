"""Documents waiting for an NBP rate: numbered and issued once the rate is known
(`documents_issue_waiting`, called by the rates task and the admin's manual rate entry).

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
"""

import logging

from django.db import transaction

from invoices.models import BillingProfile, Document, DocumentStatus
from seats.audit import audit_record

from .issuing import (
    ZERO,
    _audit_after,
    _due_date,
    _lookup_rate,
    _queue_render,
    buyer_snapshot,
    buyer_treatment,
    ordering_party_snapshot,
    seller_snapshot,
)
from .numbering import next_number

logger = logging.getLogger(__name__)

WAITING_BATCH = 500


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
        doc.due_date = None if doc.paid_by else _due_date(doc.kind, issue_date)
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
        _queue_render(doc.pk)
        return doc
