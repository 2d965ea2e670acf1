"""The FA(3) e-invoice of a stored document (issue 15): built from its frozen snapshot and
validated against the official schema before anyone gets it; once sent to KSeF, the file sent.

A corrective invoice names the corrected invoice's KSeF number when KSeF accepted it, and says it
has none (NrKSeFN=1) otherwise (issued before KSeF, or sending is off); `sending` sends a
correction only after the invoice it corrects was accepted.
"""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from invoices.models import Document, DocumentKind, DocumentStatus
from invoices.services.rendering import document_file_stem

from .fa3 import CorrectedInvoice, build_fa3
from .schema import validation_errors


def _corrected(document: Document) -> CorrectedInvoice | None:
    if document.kind != DocumentKind.CORRECTION:
        return None
    original = document.corrects
    submission = getattr(original, "ksef_submission", None)
    ksef_number = submission.ksef_number if submission is not None else ""
    return CorrectedInvoice(original.number, original.issue_date, ksef_number=ksef_number)


def document_fa3_xml(document: Document) -> bytes:
    """The FA(3) XML (UTF-8 bytes) of an issued VAT invoice or corrective invoice: the file sent
    to KSeF once there is one, else built now. Its creation time (DataWytworzeniaFa) is the
    document's `created_at`, so the same document gives the same bytes (a correction's change
    once the corrected invoice gets its KSeF number).

    Raises DomainError: `no_e_invoice` (404) for a pro-forma, which is not a tax document;
    `e_invoice_waiting` (409) for an invoice still waiting for its NBP rate (unnumbered);
    `e_invoice_invalid` (409) when the XML does not validate against the FA(3) schema, with the
    validator's first messages (nothing invalid is ever handed out or sent)."""
    if document.kind == DocumentKind.PROFORMA:
        raise DomainError(_("A pro-forma is not a tax document, so it has no KSeF e-invoice."),
                          code="no_e_invoice", status=404)
    if document.status != DocumentStatus.ISSUED:
        raise DomainError(_("This invoice is waiting for its NBP exchange rate; its e-invoice "
                            "exists once it is numbered."), code="e_invoice_waiting", status=409)
    submission = getattr(document, "ksef_submission", None)
    if submission is not None and submission.xml:
        return submission.xml.encode("utf-8")
    created_at = timezone.localtime(document.created_at)
    xml = build_fa3(document, created_at=created_at, corrected=_corrected(document))
    errors = validation_errors(xml)
    if errors:
        raise DomainError(
            _("The e-invoice of %(number)s does not match the FA(3) schema: %(errors)s")
            % {"number": document.number, "errors": "; ".join(errors[:3])},
            code="e_invoice_invalid", status=409)
    return xml


def fa3_attachment(document: Document) -> HttpResponse:
    """The validated FA(3) XML as a download named like the PDF (API and finance page alike).
    Raises what `document_fa3_xml` raises."""
    response = HttpResponse(document_fa3_xml(document),
                            content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{fa3_file_name(document)}"'
    return response


def fa3_file_name(document: Document) -> str:
    """The PDF's file name with `.xml`, e.g. FV-2026-11-0001.xml."""
    return f"{document_file_stem(document)}.xml"
