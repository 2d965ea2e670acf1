"""Exports of a (filtered) list of documents for finance staff: CSV, XLSX and a zip of the stored
PDFs. Each takes a queryset of documents and reads it once, in chunks.

Columns: `net`, `vat`, `gross`, `vat_pln` are the document's own totals — for a correction the
invoice *as corrected* (see `invoices.services.documents`); the `*_difference` columns are what a
correction changes (its totals minus those of the document it corrects, `corrects_number`),
empty for anything else, and are what a correction adds to a period's books. `kind` tells tax
documents (invoice, correction) from pro-formas, which are not. `ksef_status` is the e-invoice's
KSeF status (issue 15: not_sent, queued, sent, accepted, rejected; empty for a pro-forma and an
invoice waiting for its NBP rate) and `ksef_number` the number KSeF gave it once accepted.

Spreadsheet safety: a text cell that starts with "=", "+", "-", "@" (or a tab / carriage return)
would be run as a formula by spreadsheet programs ("CSV injection"); buyer names are typed by
customers, so the CSV prefixes such text with an apostrophe and the XLSX stores every text cell
explicitly as text.
"""

import csv
import io
import tempfile
import zipfile
from datetime import date
from decimal import Decimal

from billing_site.errors import DomainError

from . import selectors
from .ksef.documents import document_fa3_xml, fa3_file_name
from .models import DocumentKind, DocumentStatus
from .services import rendering

COLUMNS = ["number", "kind", "status", "issue_date", "sale_date", "account", "buyer_name",
           "buyer_tax_id", "currency", "net", "vat", "gross", "vat_pln", "nbp_rate", "vat_code",
           "corrects_number", "net_difference", "vat_difference", "gross_difference",
           "vat_pln_difference", "ksef_status", "ksef_number"]
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MAX_DOCUMENTS = 2000
CHUNK = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def document_row(document) -> list:
    """One export row: text as str, amounts as Decimal, dates as date, missing as None.
    `document` comes from `selectors.documents_with_difference` (the difference columns)."""
    buyer = document.buyer or {}
    ksef = selectors.document_ksef_state(document)
    return [
        document.number, document.kind, document.status, document.issue_date,
        document.sale_date, document.account.name, buyer.get("name", ""),
        buyer.get("tax_id", ""), document.currency, document.net, document.vat, document.gross,
        document.vat_pln, document.exchange_rate, document.vat_code,
        document.corrects_number or "", document.difference_net, document.difference_vat,
        document.difference_gross, document.difference_vat_pln,
        ksef.status if ksef is not None else "", ksef.ksef_number if ksef is not None else "",
    ]


def _rows(documents):
    documents = selectors.documents_with_difference(
        documents.select_related("account", "ksef_submission"))
    return (document_row(d) for d in documents.iterator(CHUNK))


# --- CSV ----------------------------------------------------------------------------------------


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """csv.writer target that hands back what was written (for streaming)."""

    def write(self, value):
        return value


def documents_csv(documents):
    """The CSV as an iterator of text chunks (UTF-8 with a BOM, so spreadsheets read Polish
    letters right): a header row, then one row per document."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(COLUMNS)
    for row in _rows(documents):
        yield writer.writerow([_csv_text(value) for value in row])


# --- XLSX ---------------------------------------------------------------------------------------


def documents_xlsx(documents) -> io.BytesIO:
    """A workbook with one sheet "Documents": a bold, frozen header row with filters, dates as
    dates, amounts as numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Documents")
    widths = {"A": 18, "B": 11, "C": 17, "D": 12, "E": 12, "F": 28, "G": 34, "H": 16}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in _rows(documents):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, Decimal):
                cell.number_format = "0.000000" if value.as_tuple().exponent < -2 else "0.00"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


# --- zip of the stored PDFs ---------------------------------------------------------------------


def documents_zip(documents):
    """A zip (spooled to disk past 32 MB) of the documents' stored PDFs, named after their
    numbers, and the FA(3) e-invoice XML of each issued VAT invoice and corrective invoice
    (issue 15; same name, `.xml`), with a README.txt listing the documents that have no stored
    PDF yet and any XML that did not validate (with the validator's message)."""
    archive = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    included, missing, xml_count, xml_refused = [], [], 0, []
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        # what the FA(3) XML reads, fetched per chunk instead of per document
        documents = documents.select_related(
            "corrects", "ksef_submission", "corrects__ksef_submission").prefetch_related(
            "lines", "vat_totals", "corrects__lines", "corrects__vat_totals")
        for document in documents.iterator(CHUNK):
            label = document.number or f"#{document.pk} ({document.get_status_display()})"
            if _has_e_invoice(document):
                try:
                    zf.writestr(fa3_file_name(document), document_fa3_xml(document))
                    xml_count += 1
                except DomainError as error:
                    xml_refused.append(f"{label}: {error.message}")
            if not document.pdf:
                missing.append(label)
                continue
            try:
                with document.pdf.open("rb") as stored:
                    zf.writestr(rendering.document_file_name(document), stored.read())
            except FileNotFoundError:
                missing.append(label)
                continue
            included.append(label)
        zf.writestr("README.txt", _readme(included, missing, xml_count, xml_refused))
    archive.seek(0)
    return archive


def _has_e_invoice(document) -> bool:
    return (document.status == DocumentStatus.ISSUED
            and document.kind != DocumentKind.PROFORMA)


def _readme(included, missing, xml_count=0, xml_refused=()) -> str:
    lines = [f"Documents in this archive: {len(included)}."]
    if missing:
        lines += ["", f"Documents without a stored PDF yet ({len(missing)}), not included:"]
        lines += [f"- {label}" for label in missing]
        lines += ["", "Their PDFs are being prepared; download them again later."]
    else:
        lines.append("Every document of the filtered list is included.")
    lines += ["", f"FA(3) e-invoice XML files (KSeF) of VAT and corrective invoices: {xml_count}."]
    if xml_refused:
        lines += [f"Not included, not valid FA(3) ({len(xml_refused)}):"]
        lines += [f"- {entry}" for entry in xml_refused]
    return "\n".join(lines) + "\n"
