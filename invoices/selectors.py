"""Reads of documents and rates. Tenant reads take the account and never return another
account's rows; staff-wide reads say so in their name."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from plans.models import OrderStatus

from .ksef.models import KsefStatus
from .models import Document, DocumentKind, DocumentStatus, ExchangeRate
from .services.rates import rate_date_for_issue

ZERO = Decimal("0.00")
# Tax documents: what finance totals add up. A pro-forma is not one (SPEC §7).
TAX_DOCUMENT_KINDS = (DocumentKind.INVOICE, DocumentKind.CORRECTION)
DIFFERENCE_FIELDS = ("net", "vat", "gross", "vat_pln")


def documents_for_account(*, account, kind=None, status=None):
    """The account's documents, newest first, with what lists show (no N+1 on the parties nor
    on the KSeF submissions)."""
    qs = Document.objects.filter(account=account).select_related("corrects", "order",
                                                                 "ksef_submission")
    if kind is not None:
        qs = qs.filter(kind=kind)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.order_by("-issue_date", "-id")


def document_for_account(*, account, document_id) -> Document | None:
    """One document of the account with its lines and totals, or None (also when it belongs to
    another account: callers answer 404 either way)."""
    return (Document.objects.filter(account=account, pk=document_id)
            .select_related("corrects", "order")
            .prefetch_related("lines", "vat_totals").first())


def document_last_invoice(*, account) -> Document | None:
    """The account's latest issued VAT invoice (the one a buyer-data change corrects)."""
    return (Document.objects.filter(account=account, kind=DocumentKind.INVOICE,
                                    status=DocumentStatus.ISSUED)
            .order_by("-issue_date", "-sequence", "-id").first())


def documents_of_order(*, order):
    return Document.objects.filter(order=order).order_by("id")


def document_corrections(document: Document):
    """Issued corrections that refer to `document` (directly), oldest first."""
    return document.corrections.filter(status=DocumentStatus.ISSUED).order_by("id")


def document_void_reason(document: Document) -> str:
    """Why `document` asks for no payment any more, for the lists and the API: a pro-forma whose
    order was cancelled or expired is void ("order cancelled: <the order's reason>"). Derived from
    the order's status each time: the pro-forma row itself stays as issued. "" for anything else
    (a pro-forma of an order still payable or paid, and every tax document). Load the document
    with `select_related("order")` in lists."""
    if document.kind != DocumentKind.PROFORMA or document.order_id is None:
        return ""
    order = document.order
    if order.status == OrderStatus.CANCELLED:
        reason = order.get_status_reason_display()
        return (_("order cancelled: %(reason)s") % {"reason": reason} if reason
                else _("order cancelled"))
    if order.status == OrderStatus.EXPIRED:
        reason = order.get_status_reason_display()
        return (_("order expired: %(reason)s") % {"reason": reason} if reason
                else _("order expired"))
    return ""


@dataclass(frozen=True)
class KsefState:
    """Where a document stands in KSeF, as lists, exports and the API show it."""

    status: str  # a `KsefStatus` value
    ksef_number: str = ""  # only once accepted
    rejection_reason: str = ""  # only while rejected
    attempts: int = 0  # failed attempts for a passing reason (queued only)
    last_error: str = ""

    @property
    def label(self) -> str:
        return str(KsefStatus(self.status).label)

    @property
    def retrying(self) -> bool:
        """Queued again after a passing failure (outage, time-out): `last_error` says which."""
        return self.status == KsefStatus.QUEUED and self.attempts > 0


def document_ksef_state(document: Document) -> KsefState | None:
    """`document`'s KSeF status: None unless it is an issued VAT or corrective invoice (a
    pro-forma is not a tax document, and an invoice waiting for its NBP rate has no e-invoice
    yet); "not sent" when it has no submission row. Load lists with
    `select_related("ksef_submission")` (no query per document)."""
    if document.kind not in TAX_DOCUMENT_KINDS or document.status != DocumentStatus.ISSUED:
        return None
    submission = getattr(document, "ksef_submission", None)
    if submission is None:
        return KsefState(KsefStatus.NOT_SENT)
    return KsefState(
        submission.status,
        ksef_number=submission.ksef_number if submission.status == KsefStatus.ACCEPTED else "",
        rejection_reason=(submission.rejection_reason
                          if submission.status == KsefStatus.REJECTED else ""),
        attempts=submission.attempts if submission.status == KsefStatus.QUEUED else 0,
        last_error=submission.last_error if submission.status == KsefStatus.QUEUED else "",
    )


def documents_with_ksef_status(documents, status: str):
    """`documents` (a queryset) narrowed to KSeF status `status` (a `KsefStatus` value):
    "not sent" = issued VAT and corrective invoices without a submission row."""
    if status == KsefStatus.NOT_SENT:
        return documents.filter(kind__in=TAX_DOCUMENT_KINDS, status=DocumentStatus.ISSUED,
                                ksef_submission__isnull=True)
    return documents.filter(ksef_submission__status=status)


@dataclass(frozen=True)
class Difference:
    """What a correction changes: its totals minus those of the document it corrects."""

    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_pln: Decimal | None
    by_code: dict  # vat_code → {"net", "vat", "gross"} differences


def document_difference(document: Document) -> Difference | None:
    """None for anything but a correction."""
    if document.corrects_id is None:
        return None
    before = document.corrects
    by_code: dict = {}
    for sign, doc in ((1, document), (-1, before)):
        for total in doc.vat_totals.all():
            row = by_code.setdefault(total.vat_code, {"net": ZERO, "vat": ZERO, "gross": ZERO})
            for field in ("net", "vat", "gross"):
                row[field] += sign * getattr(total, field)
    vat_pln = None
    if document.vat_pln is not None or before.vat_pln is not None:
        vat_pln = (document.vat_pln or ZERO) - (before.vat_pln or ZERO)
    return Difference(document.net - before.net, document.vat - before.vat,
                      document.gross - before.gross, vat_pln, by_code)


# --- differences and totals in the database (lists, exports) -------------------------------------

_MONEY = DecimalField(max_digits=12, decimal_places=2)
_IS_CORRECTION = Q(kind=DocumentKind.CORRECTION)  # a database constraint: ⇔ corrects is set


def _difference_expression(field):
    """A correction's `field` minus that of the document it corrects (a join on `corrects`), as
    `document_difference` computes it; NULL for anything but a correction. The VAT in PLN of a
    document without one counts as zero, and the difference is NULL only when neither has one."""
    if field == "vat_pln":
        either = Q(vat_pln__isnull=False) | Q(corrects__vat_pln__isnull=False)
        zero = Value(ZERO, output_field=_MONEY)
        then = Coalesce(F("vat_pln"), zero) - Coalesce(F("corrects__vat_pln"), zero)
        return Case(When(_IS_CORRECTION & either, then=then), default=None,
                    output_field=_MONEY)
    return Case(When(_IS_CORRECTION, then=F(field) - F(f"corrects__{field}")), default=None,
                output_field=_MONEY)


def documents_with_difference(documents):
    """`documents` (a queryset) with, on each row, `difference_<net|vat|gross|vat_pln>` — what a
    correction changes, its totals minus those of the document it corrects (corrections store
    the state after correction), None for anything else — and `corrects_number`, the corrected
    document's number; all in the same query."""
    return documents.annotate(
        corrects_number=F("corrects__number"),
        **{f"difference_{field}": _difference_expression(field) for field in DIFFERENCE_FIELDS},
    )


def document_totals(documents) -> list[dict]:
    """Totals per currency (sorted by currency) of the tax documents among `documents`: issued
    VAT invoices by their totals and issued corrections by their difference, so an invoice and
    its corrections add up to the invoice as corrected, and a correction in the list without
    its invoice counts for what it changed. Pro-formas (not tax documents) and documents waiting
    for their NBP rate (not issued yet) are left out. One query; each row holds `currency`,
    `count`, `net`, `vat`, `gross` and `vat_pln` (None when no document has VAT in PLN)."""
    def counted(field):
        return Coalesce(_difference_expression(field), F(field), output_field=_MONEY)

    rows = (documents.filter(kind__in=TAX_DOCUMENT_KINDS, status=DocumentStatus.ISSUED)
            .order_by().values("currency")
            .annotate(total_count=Count("id"),
                      **{f"total_{field}": Sum(counted(field)) for field in DIFFERENCE_FIELDS})
            .order_by("currency"))
    return [{"currency": row["currency"], "count": row["total_count"],
             **{field: row[f"total_{field}"] for field in DIFFERENCE_FIELDS}} for row in rows]


def documents_waiting_for_rate(*, as_of: date) -> list[tuple[Document, date]]:
    """Staff-wide: documents waiting for an NBP rate, each with the day whose rate it needs if
    issued on `as_of` (what staff enter by hand when NBP cannot deliver)."""
    waiting = Document.objects.filter(status=DocumentStatus.WAITING_FOR_RATE).select_related(
        "account").order_by("created_at", "id")
    return [(doc, rate_date_for_issue(max(as_of, doc.issue_date))) for doc in waiting]


def exchange_rate_on(*, currency: str, day: date) -> ExchangeRate | None:
    return ExchangeRate.objects.filter(currency=currency, effective_date=day).first()
