"""PDFs of issued documents: render in the background, store, e-mail once; notes (SPEC §7).

- `document_render_and_send(document_id)` (task `invoices.render_document`, queued after issuing
  and after a note): renders the PDF only when what it shows changed — the stored file's
  `pdf_fingerprint` is compared with `document_fingerprint` — stores it in the default storage,
  then e-mails it to the buyer's invoice address the first time. Never called from a request.
- `document_note_add(...)`: an admin's note on a VAT invoice; the PDF is re-rendered (not
  re-e-mailed).
- `render_pending_documents()`: the periodic sweep that renders what the queued tasks missed
  (worker down, broker lost, e-mail server refused).

`needs_render` means "the render task has work left for this document": it is cleared once the PDF
on file matches the document *and* the first e-mail (when one is due) has gone out, so the sweep
also retries an e-mail that failed. Only `Document.MUTABLE_AFTER_ISSUE` fields are ever saved.

Concurrency: rendering runs outside any lock (it takes ~0.1 s); storing re-reads the row under
`select_for_update` and keeps the new file only if the document still shows what was rendered.
Sending locks the row, re-checks `emailed_at`, sends and records it in the same transaction, so
two concurrent runs send one e-mail. The e-mail is sent before that transaction commits: if the
commit failed after sending, the next run would send it again (at least once, never lost).
"""

import hashlib
import json
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from billing_site.outbox import enqueue
from seats.audit import audit_record

from .. import pdf
from ..ksef.config import ksef_enabled
from ..ksef.models import KsefStatus
from ..models import Document, DocumentKind, DocumentStatus

logger = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 500
NOTE_KINDS = (DocumentKind.INVOICE, DocumentKind.CORRECTION)
SWEEP_BATCH_SIZE = 50
SWEEP_MAX_DOCUMENTS = 500  # per run; the next run (10 minutes later) takes the rest


def document_fingerprint(document) -> str:
    """sha256 of everything the document's PDF shows (parties, lines, totals, note, layout)."""
    return _fingerprint(pdf.document_pdf_data(document))


def _fingerprint(data) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def document_file_stem(document) -> str:
    """FV/2026/11/0001 → FV-2026-11-0001 (file names of stored PDFs, downloads and e-mails)."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in document.number)


def document_file_name(document) -> str:
    return f"{document_file_stem(document)}.pdf"


def _storage_name(document) -> str:
    day = document.issue_date
    return f"documents/{day:%Y}/{day:%m}/{document_file_name(document)}"


def _pdf_stored(document) -> bool:
    return bool(document.pdf) and document.pdf.storage.exists(document.pdf.name)


def _load(document_id):
    # the KSeF submission too: an accepted invoice's PDF shows its KSeF number and QR code
    return (Document.objects.select_related("corrects", "ksef_submission")
            .prefetch_related("lines", "vat_totals").filter(pk=document_id).first())


def document_render_and_send(document_id):
    """Render (if changed), store and e-mail (once) one document. Returns what it did, for the
    task result: {"document", "rendered", "emailed", "skipped"}."""
    outcome = {"document": document_id, "rendered": False, "emailed": False, "skipped": ""}
    document = _load(document_id)
    if document is None:
        outcome["skipped"] = "missing"
        return outcome
    if document.status != DocumentStatus.ISSUED:
        outcome["skipped"] = "not issued"  # numbered later; issuing queues the render again
        return outcome

    data = pdf.document_pdf_data(document)
    fingerprint = _fingerprint(data)
    current = document.pdf_fingerprint == fingerprint and _pdf_stored(document)
    if current and document.emailed_at is not None and not document.needs_render:
        outcome["skipped"] = "unchanged"  # nothing to do: no render, no write
        return outcome
    if not current:
        outcome["rendered"] = _store(document, pdf.render_document_pdf(data), fingerprint)
        if not outcome["rendered"]:
            outcome["skipped"] = "changed while rendering"
            return outcome  # the change queued its own render (and the sweep is there too)
    outcome["emailed"] = _send_once(document_id, fingerprint)
    return outcome


def _store(document, content: bytes, fingerprint: str) -> bool:
    """Save the rendered file and point the row at it, unless the document changed meanwhile."""
    storage = document.pdf.storage
    name = storage.save(_storage_name(document), ContentFile(content))
    try:
        with transaction.atomic():
            Document.objects.select_for_update().filter(pk=document.pk).first()  # lock the row
            row = _load(document.pk)  # re-read under the lock (its lines and parties too)
            current = document_fingerprint(row)
            if current != fingerprint or (row.pdf_fingerprint == fingerprint
                                          and _pdf_stored(row)):
                # changed since we read it (a note), or a concurrent run stored the same content
                transaction.on_commit(lambda: storage.delete(name))
                return current == fingerprint
            old_name = row.pdf.name
            row.pdf.name = name
            row.pdf_fingerprint = fingerprint
            row.save(update_fields=["pdf", "pdf_fingerprint"])
            if old_name and old_name != name:
                transaction.on_commit(lambda: storage.delete(old_name))
    except Exception:
        # the database failed (a dropped connection: the task retries and renders again); the
        # file no row points at is not left behind
        storage.delete(name)
        raise
    logger.info("Rendered %s to %s", row.number, name)
    return True


def _send_once(document_id, fingerprint) -> bool:
    """E-mail the stored PDF the first time; clear `needs_render`. True if an e-mail was sent."""
    with transaction.atomic():
        Document.objects.select_for_update().filter(pk=document_id).first()  # lock the row
        row = _load(document_id)
        if row.pdf_fingerprint != fingerprint or document_fingerprint(row) != fingerprint:
            # a note came in since: its render (queued by the note, or the sweep) sends, and
            # `needs_render` stays set until then
            return False
        address = (row.buyer or {}).get("invoice_email", "")
        sent = False
        if row.emailed_at is None and address and waits_for_ksef(row):
            # sent with the KSeF number and QR code once KSeF accepts it: the acceptance marks
            # the document for rendering again, and that render e-mails it
            logger.info("Document %s: e-mail waits for KSeF's acceptance", row.number)
        elif row.emailed_at is None and address:
            _send(row, address)
            row.emailed_at = timezone.now()
            sent = True
        if not address and row.emailed_at is None:
            logger.warning("Document %s: the buyer has no invoice e-mail; not sent", row.number)
        row.needs_render = False
        row.save(update_fields=["emailed_at", "needs_render"])
    return sent


def waits_for_ksef(document) -> bool:
    """True while a VAT / corrective invoice that goes to KSeF (sending configured, issued on or
    after `KSEF_START_DATE`) has no KSeF number yet: a copy handed to the buyer outside KSeF must
    carry the KSeF verification code (KOD I), so its first e-mail waits for the acceptance."""
    if not ksef_enabled() or document.kind == DocumentKind.PROFORMA:
        return False
    if document.issue_date < settings.KSEF_START_DATE:
        return False
    submission = getattr(document, "ksef_submission", None)
    return submission is None or submission.status != KsefStatus.ACCEPTED


def _send(document, address):
    context = {"document": document, "seller": document.seller, "buyer": document.buyer,
               "title_pl": pdf.TITLES[document.kind][0],
               "title_en": pdf.TITLES[document.kind][1],
               "amount": f"{pdf.money(document.gross)} {document.currency}"}
    subject = " ".join(
        render_to_string("invoices/email/document_subject.txt", context).split()
    )
    body = render_to_string("invoices/email/document_body.txt", context)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    with document.pdf.open("rb") as stored:
        message.attach(document_file_name(document), stored.read(), "application/pdf")
    message.send()


# --- notes --------------------------------------------------------------------------------------


def document_note_add(*, account, document, note, actor, as_of):
    """Set the note printed on a VAT invoice (or corrective invoice) of `account`; the PDF is
    re-rendered after commit. `as_of` is the business date, recorded with the audit row."""
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Enter the text of the note."), code="note_empty", field="note")
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            _("A note can be at most %(max)d characters long (this one has %(length)d).")
            % {"max": NOTE_MAX_LENGTH, "length": len(note)},
            code="note_too_long", field="note",
        )
    with transaction.atomic():
        row = Document.objects.select_for_update().filter(pk=document.pk,
                                                          account=account).first()
        if row is None:
            raise DomainError(_("There is no such document in this organisation."),
                              code="not_found", status=404)
        if row.kind not in NOTE_KINDS:
            raise DomainError(
                _("Notes can be added to VAT invoices and corrective invoices only."),
                code="note_not_allowed",
            )
        if row.status != DocumentStatus.ISSUED:
            raise DomainError(
                _("This document has not been issued yet; add the note once it has a number."),
                code="note_not_issued", status=409,
            )
        before = row.note
        row.note = note
        row.needs_render = True
        row.save(update_fields=["note", "needs_render"])
        audit_record(account=account, actor=actor, action="document.note", target=row,
                     before={"note": before}, after={"note": note, "as_of": as_of.isoformat()})
        _queue_render(row.pk)
    return row


def _queue_render(document_id):
    enqueue("invoices.render_document", args=[document_id],
            key=f"invoices.render_document:{document_id}")


# --- the sweep ----------------------------------------------------------------------------------


def render_pending_documents(*, max_documents=SWEEP_MAX_DOCUMENTS,
                             batch_size=SWEEP_BATCH_SIZE):
    """Render (and e-mail) issued documents still marked `needs_render`, oldest first, at most
    `max_documents` per run in batches of `batch_size`. One failing document is logged and does
    not stop the others. Returns counts."""
    counts = {"rendered": 0, "emailed": 0, "failed": 0, "seen": 0}
    last_id = 0
    while counts["seen"] < max_documents:
        take = min(batch_size, max_documents - counts["seen"])
        ids = list(
            Document.objects.filter(status=DocumentStatus.ISSUED, needs_render=True,
                                    pk__gt=last_id)
            .order_by("pk").values_list("pk", flat=True)[:take]
        )
        if not ids:
            break
        for document_id in ids:
            counts["seen"] += 1
            try:
                outcome = document_render_and_send(document_id)
            except Exception:  # one broken document must not block the rest of the sweep
                logger.exception("Rendering document #%s failed", document_id)
                counts["failed"] += 1
                continue
            counts["rendered"] += outcome["rendered"]
            counts["emailed"] += outcome["emailed"]
        last_id = ids[-1]
    return counts
