"""PDF of a document (SPEC §7): bilingual (Polish / English) labels, every field a Polish invoice
must carry, rendered with WeasyPrint from templates/invoices/pdf/document.html.

Two steps, so that what the PDF shows can be fingerprinted without rendering it:
- `document_pdf_data(document)` turns a document into plain, already formatted strings — the
  whole content of the PDF (the layout version included). `invoices.services.rendering` hashes it
  to decide whether a stored PDF is still current;
- `render_document_pdf(data)` (or `document_pdf(document)`) lays it out.

An invoice accepted by KSeF also shows its KSeF number under the verification QR code (KOD I,
`invoices.ksef.verification`), an inline SVG drawn by WeasyPrint itself (nothing fetched).

Works on unsaved documents too (pass `lines` and `vat_totals`), so the benchmark needs no database.

Speed (issue 16, bench/bench_pdf.py, docs/benchmarks.md): every table has a fixed layout with
explicit column widths (pdf.css); documents are laid out with their own small user-agent
stylesheet (pdf-ua.css) and without the template's formatting whitespace between tags; each
Celery worker process calls `warm_up()` before its first task: one sample render (fonts,
stylesheet), then `gc.freeze()`. `html_to_pdf` (any HTML) keeps WeasyPrint's full user-agent
stylesheet.

WeasyPrint never fetches anything remote: the stylesheet is read from this app's static folder and
the fonts come from the system (DejaVu Sans, for Polish glyphs); `LocalOnlyUrlFetcher` refuses any
URL that is not a local file under this app's static folder or the system fonts.
"""

import logging
import re
import threading
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.template.loader import render_to_string
from django.utils import translation
from django_countries import countries

from .ksef.models import KsefStatus
from .ksef.verification import qr_svg, verification_url

# Bump when the layout changes in a way that should re-render stored PDFs on their next render.
LAYOUT_VERSION = "1"

CSS_PATH = Path(__file__).resolve().parent / "static" / "invoices" / "pdf.css"
UA_CSS_PATH = CSS_PATH.with_name("pdf-ua.css")
TEMPLATE = "invoices/pdf/document.html"
# Local folders WeasyPrint may read from (file: URLs only): this app's static files, system fonts.
ALLOWED_FILE_ROOTS = (CSS_PATH.parent.parent.resolve(), Path("/usr/share/fonts"))

TITLES = {
    "invoice": ("Faktura VAT", "VAT invoice"),
    "proforma": ("Faktura pro forma", "Pro-forma invoice"),
    "correction": ("Faktura korygująca", "Corrective invoice"),
}
# VAT rate column for the treatments that carry no Polish rate (legend printed under the table)
RATE_LABELS = {"reverse_charge": "oo", "np": "np."}
NBSP = "\u00a0"
_RENDER_LOCK = threading.Lock()
# Whitespace between two tags that spans a line break is the template's formatting, never text
# (the template keeps inline runs such as `</span> <strong>` on one line)
_BETWEEN_LINES = re.compile(r">[ \t]*\n\s*<")


# --- formatting (Polish conventions: 1 234,56) ---------------------------------------------------


def money(value) -> str:
    if value is None:
        return ""
    value = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{NBSP.join(groups)},{cents}"


def quantity(value) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")


def rate(value) -> str:
    """An exchange rate with its four (or more) significant decimals: 4,2876."""
    text = format(Decimal(value).normalize(), "f")
    if "." not in text:
        text += ".00"
    whole, decimals = text.split(".")
    return f"{whole},{decimals.ljust(4, '0')}"


def vat_rate_label(code, percent) -> str:
    if code in RATE_LABELS:
        return RATE_LABELS[code]
    return f"{format(Decimal(percent).normalize(), 'f')}%"


def iso(day) -> str:
    return day.isoformat() if day else ""


def _country_name(code):
    if not code:
        return ""
    with translation.override("en"):
        return str(countries.name(code)) or code


def _party(data):
    if not data:
        return None
    return {
        "name": data.get("name", ""),
        "street": data.get("street", ""),
        "postal_code": data.get("postal_code", ""),
        "city": data.get("city", ""),
        "country": data.get("country", ""),
        "country_name": _country_name(data.get("country", "")),
        "tax_id": data.get("tax_id", ""),
    }


# --- content ------------------------------------------------------------------------------------


def _lines_data(lines):
    return [
        {
            "position": str(line.position),
            "description": line.description,
            "period": (f"{iso(line.period_start)} – {iso(line.period_end)}"
                       if line.period_start and line.period_end else ""),
            "quantity": quantity(line.quantity),
            "unit": line.unit,
            "unit_price": money(line.unit_price),
            "net": money(line.net),
            "vat_rate": vat_rate_label(line.vat_code, line.vat_rate),
        }
        for line in sorted(lines, key=lambda line: line.position)
    ]


def _sorted_totals(vat_totals):
    return sorted(vat_totals, key=lambda t: (-Decimal(t.vat_rate), t.vat_code))


def _totals_data(vat_totals, *, with_pln):
    return [
        {
            "vat_rate": vat_rate_label(total.vat_code, total.vat_rate),
            "net": money(total.net),
            "vat": money(total.vat),
            "gross": money(total.gross),
            "vat_pln": money(total.vat_pln) if with_pln and total.vat_pln is not None else "",
        }
        for total in _sorted_totals(vat_totals)
    ]


def _difference(after_totals, before_totals, *, with_pln):
    """Per VAT treatment: the correction's totals minus those of the document it corrects."""
    zero = Decimal("0.00")
    rows = {}
    for sign, totals in ((1, after_totals), (-1, before_totals)):
        for total in totals:
            row = rows.setdefault(total.vat_code, {"code": total.vat_code,
                                                   "rate": Decimal(total.vat_rate),
                                                   "net": zero, "vat": zero, "gross": zero,
                                                   "vat_pln": zero})
            for field in ("net", "vat", "gross", "vat_pln"):
                row[field] += sign * (getattr(total, field) or zero)
    return [
        {"vat_rate": vat_rate_label(row["code"], row["rate"]), "net": money(row["net"]),
         "vat": money(row["vat"]), "gross": money(row["gross"]),
         "vat_pln": money(row["vat_pln"]) if with_pln else ""}
        for row in sorted(rows.values(), key=lambda r: (-r["rate"], r["code"]))
    ]


def _foreign_vat(document):
    return document.currency != "PLN" and document.vat_pln is not None


def _correction_data(document, corrects, after_totals, *, with_pln):
    before_lines = list(corrects.lines.all())
    before_totals = list(corrects.vat_totals.all())
    root = corrects
    while root.corrects_id is not None:
        root = root.corrects
    zero = Decimal("0.00")
    return {
        "corrects": {"number": corrects.number, "issue_date": iso(corrects.issue_date),
                     "title_pl": TITLES[corrects.kind][0], "title_en": TITLES[corrects.kind][1]},
        "original": ({"number": root.number, "issue_date": iso(root.issue_date)}
                     if root.pk != corrects.pk else None),
        "reason": document.correction_reason,
        "before": {
            "lines": _lines_data(before_lines),
            "vat_totals": _totals_data(before_totals, with_pln=with_pln),
            "net": money(corrects.net), "vat": money(corrects.vat),
            "gross": money(corrects.gross),
            "vat_pln": money(corrects.vat_pln) if with_pln and corrects.vat_pln is not None
            else "",
        },
        "difference": {
            "vat_totals": _difference(after_totals, before_totals, with_pln=with_pln),
            "net": money(document.net - corrects.net), "vat": money(document.vat - corrects.vat),
            "gross": money(document.gross - corrects.gross),
            "vat_pln": money((document.vat_pln or zero) - (corrects.vat_pln or zero))
            if with_pln else "",
        },
        # a buyer-data correction shows the data it replaces
        "buyer_before": (_party(corrects.buyer) if _party(corrects.buyer)
                         != _party(document.buyer) else None),
        "ordering_party_before": (_party(corrects.ordering_party)
                                  if _party(corrects.ordering_party)
                                  != _party(document.ordering_party) else None),
    }


# payment method code → (Polish, English) on the PDF of an invoice issued for a paid order
PAID_BY = {
    "card": {"pl": "kartą płatniczą", "en": "by card"},
    "blik": {"pl": "BLIK", "en": "by BLIK"},
    "p24": {"pl": "Przelewy24", "en": "via Przelewy24"},
    "transfer": {"pl": "przelewem", "en": "by bank transfer"},
}


def document_pdf_data(document, *, lines=None, vat_totals=None) -> dict:
    """Everything the PDF of `document` shows, as JSON-safe strings and lists.

    `lines` / `vat_totals` default to the document's rows (a saved document); pass them for an
    unsaved one. A corrective invoice shows the corrected document's lines and totals (before),
    its own (after: corrections state the invoice as corrected) and the difference, which is
    what is to be paid or refunded."""
    if lines is None:
        lines = list(document.lines.all())
    if vat_totals is None:
        vat_totals = list(document.vat_totals.all())
    seller = document.seller or {}
    corrects = document.corrects if document.corrects_id else None
    # PLN figures: the document's own, or (a correction) those of the document it corrects
    with_pln = _foreign_vat(document) or (corrects is not None and _foreign_vat(corrects))
    data = {
        "layout": LAYOUT_VERSION,
        "kind": document.kind,
        "title_pl": TITLES[document.kind][0],
        "title_en": TITLES[document.kind][1],
        "number": document.number,
        "issue_date": iso(document.issue_date),
        "sale_date": iso(document.sale_date),
        "due_date": iso(document.due_date),
        "place_of_issue": seller.get("city", ""),
        "currency": document.currency,
        "seller": _party(seller),
        "buyer": _party(document.buyer),
        "ordering_party": _party(document.ordering_party),
        "vat_code": document.vat_code,
        "lines": _lines_data(lines),
        "vat_totals": _totals_data(vat_totals, with_pln=with_pln),
        "net": money(document.net),
        "vat": money(document.vat),
        "gross": money(document.gross),
        "vat_pln": money(document.vat_pln) if with_pln and document.vat_pln is not None else "",
        "with_pln": with_pln,
        "exchange_rate": "",
        "exchange_rate_date": "",
        "exchange_rate_table": "",
        "legend_reverse_charge": document.vat_code == "reverse_charge"
        or any(line.vat_code == "reverse_charge" for line in lines),
        "legend_np": document.vat_code == "np" or any(line.vat_code == "np" for line in lines),
        "correction": (_correction_data(document, corrects, vat_totals, with_pln=with_pln)
                       if corrects is not None else None),
        "note": document.note,
        "bank": None,
        "transfer_title": "",
    }
    if with_pln:
        source = document if document.exchange_rate is not None else corrects
        if source is not None and source.exchange_rate is not None:
            data["exchange_rate"] = rate(source.exchange_rate)
            data["exchange_rate_date"] = iso(source.exchange_rate_date)
            data["exchange_rate_table"] = source.exchange_rate_table
    due = Decimal(document.gross)
    if corrects is not None:
        due = Decimal(document.gross) - Decimal(corrects.gross)
    data["refund"] = due < 0
    data["amount_due"] = money(abs(due))
    if document.kind == "invoice" and document.paid_by:
        # issued for money already received: it says so and asks for nothing (only then is the
        # key present, so the PDFs of other documents keep their fingerprints)
        data["paid"] = PAID_BY.get(document.paid_by, PAID_BY["transfer"])
        data["amount_due"] = money(0)
    elif document.kind in ("proforma", "invoice") and seller.get("bank_account"):
        data["bank"] = {"name": seller.get("bank_name", ""), "account": seller["bank_account"]}
        data["transfer_title"] = document.number
    submission = _accepted_submission(document)
    if submission is not None:
        # accepted by KSeF: its number under the verification QR code (KOD I). Only then is the
        # key present, so the PDFs of documents not (yet) accepted keep their fingerprints, and
        # acceptance changes the fingerprint: the PDF is rendered once more
        url = verification_url(submission)
        data["ksef"] = {"number": submission.ksef_number, "url": url, "qr_svg": qr_svg(url)}
    return data


def _accepted_submission(document):
    """The document's KSeF submission if KSeF accepted it, else None. Loaders of PDFs
    `select_related("ksef_submission")`; an unsaved document has none (no query)."""
    submission = getattr(document, "ksef_submission", None)
    if submission is None or submission.status != KsefStatus.ACCEPTED:
        return None
    return submission


# --- rendering ----------------------------------------------------------------------------------


@cache
def _weasyprint():
    # WeasyPrint logs every layout step at INFO; a worker rendering thousands would drown its log
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    import weasyprint  # imported lazily: Pango is loaded on first use, not at Django start-up

    return weasyprint


@cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class LocalOnlyUrlFetcher(URLFetcher):
        """Refuses every URL that is not a local file under ALLOWED_FILE_ROOTS (no http, no
        https, no data: tricks to reach the network)."""

        def __init__(self):
            super().__init__(allowed_protocols={"file"})

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"Refusing to fetch a non-local resource: {url}")
            path = Path(unquote(parts.path)).resolve()
            if not any(path.is_relative_to(root) for root in ALLOWED_FILE_ROOTS):
                raise ValueError(f"Refusing to read a file outside ALLOWED_FILE_ROOTS: {url}")
            return super().fetch(url, headers)

    return LocalOnlyUrlFetcher


def url_fetcher():
    return _fetcher_class()()


@cache
def _stylesheet():
    """Parsed once per process: the stylesheet and the font configuration it needs."""
    weasyprint = _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = weasyprint.CSS(string=CSS_PATH.read_text(), base_url=str(CSS_PATH.parent) + "/",
                         url_fetcher=url_fetcher(), font_config=fonts)
    return css, fonts


@cache
def _document_html_class():
    """`weasyprint.HTML` with the documents' own small user-agent stylesheet (UA_CSS_PATH,
    parsed once) instead of WeasyPrint's full HTML one: matching every element against the full
    sheet's ~250 rules was ~9 % of a one-page render (issue 16). Overrides `_ua_stylesheets`,
    the hook WeasyPrint's own `HTML.render` asks for them (WeasyPrint 70; the PDF tests render
    through it and look at the result, so a WeasyPrint that drops the hook fails them)."""
    weasyprint = _weasyprint()
    user_agent = weasyprint.CSS(string=UA_CSS_PATH.read_text(), url_fetcher=url_fetcher())

    class DocumentHTML(weasyprint.HTML):
        def _ua_stylesheets(self, forms=False):
            return [user_agent]

    return DocumentHTML


def _write_pdf(html: str, html_class) -> bytes:
    css, fonts = _stylesheet()
    with _RENDER_LOCK:
        document = html_class(string=html, base_url=str(CSS_PATH.parent) + "/",
                              url_fetcher=url_fetcher())
        return document.write_pdf(stylesheets=[css], font_config=fonts)


def html_to_pdf(html: str) -> bytes:
    """Any HTML to PDF with the invoice stylesheet, WeasyPrint's full user-agent stylesheet and
    the local-only fetcher.

    One rendering at a time per process: the parsed stylesheet and font configuration are
    shared, and Pango/fontconfig are not safe to drive from several threads at once (Celery's
    prefork workers are single-threaded anyway; this guards threaded callers)."""
    return _write_pdf(html, _weasyprint().HTML)


def render_document_pdf(data: dict) -> bytes:
    """The PDF (bytes) of `document_pdf_data`'s dict: the template, its formatting whitespace
    between tags taken out (each run would otherwise become a text box that WeasyPrint builds,
    styles and collapses), laid out with the documents' user-agent stylesheet."""
    html = _BETWEEN_LINES.sub("><", render_to_string(TEMPLATE, {"doc": data}))
    return _write_pdf(html, _document_html_class())


def document_pdf(document, *, lines=None, vat_totals=None) -> bytes:
    return render_document_pdf(document_pdf_data(document, lines=lines, vat_totals=vat_totals))


# The worker warm-up (issue 16) lives in invoices/pdf_warm_up.py; named here for its callers.
from .pdf_warm_up import _sample_data, warm_up  # noqa: E402, F401
