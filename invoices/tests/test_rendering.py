"""Rendering, storing and e-mailing document PDFs; notes; the periodic sweep (SPEC §7).

Files go to a temporary MEDIA_ROOT (the default FileSystemStorage); e-mails to Django's locmem
outbox (`mailoutbox`). Tasks run eagerly (conftest), so `render_document.delay` renders inline.
"""

import io
import os
import threading
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.db import connection
from pypdf import PdfReader

from billing_site.celery import app as celery_app
from billing_site.errors import DomainError
from billing_site.schedules import PERIODIC_TASKS
from invoices.models import Document, DocumentKind, DocumentStatus
from invoices.services import rendering
from invoices.tasks.rendering import render_document, render_pending_documents
from invoices.tests.factories import (
    buyer_data,
    issued_document,
    rendered,
    waiting_document,
)
from seats.models import AuditEntry

AS_OF = date(2026, 11, 16)
OLD = 1_000_000_000  # an mtime long ago (2001): a rewrite of the file would change it


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def acme(make_account):
    return make_account("Acme")


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def stored_bytes(document) -> bytes:
    with default_storage.open(document.pdf.name, "rb") as stored:
        return stored.read()


def stored_files(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*.pdf"))


# --- render, store, e-mail ----------------------------------------------------------------------


@pytest.mark.django_db
def test_render_task_stores_the_pdf_and_emails_it_to_the_invoice_address(acme, media,
                                                                         mailoutbox):
    account, _admin = acme
    document = issued_document(account, buyer=buyer_data("Acme Sp. z o.o.",
                                                         email="ksiegowosc@acme.example"))
    assert document.needs_render and not document.pdf

    outcome = render_document.delay(document.pk).get()

    document.refresh_from_db()
    assert outcome == {"document": document.pk, "rendered": True, "emailed": True,
                       "skipped": ""}
    assert document.pdf.name == "documents/2026/11/FV-2026-11-0001.pdf"
    assert stored_files(media) == ["documents/2026/11/FV-2026-11-0001.pdf"]
    assert document.pdf_fingerprint == rendering.document_fingerprint(document)
    assert document.needs_render is False
    assert document.emailed_at is not None
    content = stored_bytes(document)
    assert content.startswith(b"%PDF")
    assert "FV/2026/11/0001" in pdf_text(content)

    [mail] = mailoutbox
    assert mail.to == ["ksiegowosc@acme.example"]
    assert mail.subject == ("Faktura VAT FV/2026/11/0001 / VAT invoice FV/2026/11/0001 — "
                            "Seat Billing Sp. z o.o.")
    assert "w załączniku przesyłamy fakturę VAT nr FV/2026/11/0001" in mail.body
    assert "please find attached our VAT invoice no. FV/2026/11/0001" in mail.body
    # each half in its own language (issue 12)
    assert "72,57 PLN" in mail.body and "płatną do 30 listopada 2026" in mail.body
    assert "72.57 PLN" in mail.body and "due on Nov. 30, 2026" in mail.body
    [(name, attached, mimetype)] = mail.attachments
    assert (name, mimetype) == ("FV-2026-11-0001.pdf", "application/pdf")
    assert attached == content  # the stored file, not another rendering


@pytest.mark.django_db
def test_proforma_email_gives_the_bank_account_and_transfer_title(acme, mailoutbox, settings):
    account, _admin = acme
    document = rendered(issued_document(account, kind=DocumentKind.PROFORMA))

    [mail] = mailoutbox
    assert mail.subject.startswith("Faktura pro forma PF/2026/11/0001 / Pro-forma invoice")
    assert settings.SELLER["bank_account"] in mail.body
    assert "z tytułem „PF/2026/11/0001”" in mail.body
    assert 'with the transfer title "PF/2026/11/0001"' in mail.body
    assert mail.attachments[0][0] == "PF-2026-11-0001.pdf"
    assert document.emailed_at is not None


@pytest.mark.django_db
def test_the_email_goes_out_once_even_when_the_task_runs_twice(acme, mailoutbox):
    account, _admin = acme
    document = issued_document(account)

    render_document.delay(document.pk)
    render_document.delay(document.pk)

    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_an_unchanged_document_is_never_rendered_again(acme, media):
    account, _admin = acme
    document = rendered(issued_document(account))
    path = media / document.pdf.name
    os.utime(path, ns=(OLD * 10**9, OLD * 10**9))
    before = (document.pdf.name, document.pdf_fingerprint, path.read_bytes())

    outcome = rendering.document_render_and_send(document.pk)
    rendering.render_pending_documents()

    document.refresh_from_db()
    assert outcome["rendered"] is False and outcome["skipped"] == "unchanged"
    assert (document.pdf.name, document.pdf_fingerprint, path.read_bytes()) == before
    assert path.stat().st_mtime_ns == OLD * 10**9
    assert stored_files(media) == [document.pdf.name]


@pytest.mark.django_db
def test_a_stored_pdf_that_went_missing_is_rendered_again(acme, media):
    account, _admin = acme
    document = rendered(issued_document(account))
    (media / document.pdf.name).unlink()

    outcome = rendering.document_render_and_send(document.pk)

    assert outcome["rendered"] is True
    assert stored_files(media) == ["documents/2026/11/FV-2026-11-0001.pdf"]


@pytest.mark.django_db
def test_a_document_waiting_for_its_rate_is_not_rendered(acme, media, mailoutbox):
    account, _admin = acme
    document = waiting_document(account)

    outcome = rendering.document_render_and_send(document.pk)

    document.refresh_from_db()
    assert outcome["skipped"] == "not issued"
    assert not document.pdf and document.needs_render
    assert stored_files(media) == [] and mailoutbox == []


def test_fingerprint_covers_what_the_pdf_shows_and_nothing_else(db, make_account):
    account, _admin = make_account("Acme")
    document = issued_document(account)
    fingerprint = rendering.document_fingerprint(document)

    document.emailed_at = datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo("UTC"))
    document.needs_render = False
    assert rendering.document_fingerprint(document) == fingerprint  # bookkeeping only

    document.note = "Zamówienie 117"
    assert rendering.document_fingerprint(document) != fingerprint
    document.note = ""
    document.buyer = {**document.buyer, "name": "Acme S.A."}
    assert rendering.document_fingerprint(document) != fingerprint
    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0  # sha256, hex


# --- notes --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_a_note_re_renders_the_pdf_with_it_but_does_not_email_again(
        acme, media, mailoutbox, django_capture_on_commit_callbacks):
    account, admin = acme
    document = rendered(issued_document(account))
    first = (document.pdf.name, document.pdf_fingerprint)
    assert len(mailoutbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        rendering.document_note_add(account=account, document=document,
                                    note="  Zamówienie ZK/2026/117 — dział IT  ",
                                    actor=admin.user, as_of=AS_OF)

    document.refresh_from_db()
    assert document.note == "Zamówienie ZK/2026/117 — dział IT"
    assert document.needs_render is False
    assert document.pdf_fingerprint != first[1]
    assert document.pdf.name != first[0]
    assert "Uwagi / Note Zamówienie ZK/2026/117 — dział IT" in pdf_text(stored_bytes(document))
    assert stored_files(media) == [document.pdf.name]  # the previous file is deleted
    assert len(mailoutbox) == 1
    entry = AuditEntry.objects.get(action="document.note")
    assert (entry.account, entry.actor, entry.target_id) == (account, admin.user, document.pk)
    assert entry.before == {"note": ""}
    assert entry.after == {"note": "Zamówienie ZK/2026/117 — dział IT", "as_of": "2026-11-16"}


@pytest.mark.django_db
def test_a_note_saves_only_the_fields_that_may_change_after_issuing(acme):
    account, admin = acme
    document = issued_document(account)

    rendering.document_note_add(account=account, document=document, note="Nota",
                                actor=admin.user, as_of=AS_OF)

    # the issued document itself refuses any other change (Document.save)
    document.refresh_from_db()
    document.net = document.net + 1
    with pytest.raises(DomainError):
        document.save()
    assert Document.objects.get(pk=document.pk).note == "Nota"


@pytest.mark.django_db
@pytest.mark.parametrize("note, code, message", [
    ("", "note_empty", "Enter the text of the note."),
    ("   \n ", "note_empty", "Enter the text of the note."),
    ("x" * 501, "note_too_long",
     "A note can be at most 500 characters long (this one has 501)."),
])
def test_a_note_must_not_be_empty_nor_longer_than_500_characters(acme, note, code, message):
    account, admin = acme
    document = issued_document(account)

    with pytest.raises(DomainError) as refused:
        rendering.document_note_add(account=account, document=document, note=note,
                                    actor=admin.user, as_of=AS_OF)

    assert (refused.value.code, refused.value.field, str(refused.value)) == (code, "note",
                                                                            message)
    document.refresh_from_db()
    assert document.note == ""


@pytest.mark.django_db
def test_a_note_of_exactly_500_characters_is_accepted(acme):
    account, admin = acme
    document = issued_document(account)

    rendering.document_note_add(account=account, document=document, note="ą" * 500,
                                actor=admin.user, as_of=AS_OF)

    document.refresh_from_db()
    assert document.note == "ą" * 500


@pytest.mark.django_db
def test_notes_go_on_vat_invoices_and_corrections_only(acme):
    account, admin = acme
    proforma = issued_document(account, kind=DocumentKind.PROFORMA)
    invoice = issued_document(account)
    correction = issued_document(account, kind=DocumentKind.CORRECTION, corrects=invoice,
                                 correction_reason="Dane nabywcy", due_days=None)

    with pytest.raises(DomainError) as refused:
        rendering.document_note_add(account=account, document=proforma, note="Nota",
                                    actor=admin.user, as_of=AS_OF)
    assert refused.value.code == "note_not_allowed"
    assert str(refused.value) == "Notes can be added to VAT invoices and corrective invoices only."

    rendering.document_note_add(account=account, document=correction, note="Nota",
                                actor=admin.user, as_of=AS_OF)
    correction.refresh_from_db()
    assert correction.note == "Nota"


@pytest.mark.django_db
def test_a_note_on_another_accounts_document_is_refused(acme, make_account):
    account, admin = acme
    globex, _globex_admin = make_account("Globex")
    theirs = issued_document(globex)

    with pytest.raises(DomainError) as refused:
        rendering.document_note_add(account=account, document=theirs, note="Nota",
                                    actor=admin.user, as_of=AS_OF)

    assert (refused.value.code, refused.value.status) == ("not_found", 404)
    theirs.refresh_from_db()
    assert theirs.note == "" and not AuditEntry.objects.filter(action="document.note").exists()


@pytest.mark.django_db
def test_a_note_waits_for_the_document_to_be_issued(acme):
    account, admin = acme
    waiting = waiting_document(account)

    with pytest.raises(DomainError) as refused:
        rendering.document_note_add(account=account, document=waiting, note="Nota",
                                    actor=admin.user, as_of=AS_OF)

    assert refused.value.code == "note_not_issued"


# --- the sweep ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sweep_renders_pending_documents_in_bounded_batches(acme, mailoutbox):
    account, _admin = acme
    documents = [issued_document(account) for _ in range(5)]
    waiting = waiting_document(account)

    first = rendering.render_pending_documents(max_documents=3, batch_size=2)
    second = rendering.render_pending_documents(max_documents=3, batch_size=2)
    third = rendering.render_pending_documents(max_documents=3, batch_size=2)

    assert first == {"rendered": 3, "emailed": 3, "failed": 0, "seen": 3}
    assert second == {"rendered": 2, "emailed": 2, "failed": 0, "seen": 2}
    assert third == {"rendered": 0, "emailed": 0, "failed": 0, "seen": 0}
    assert all(d.pdf for d in Document.objects.filter(pk__in=[d.pk for d in documents]))
    assert len(mailoutbox) == 5
    waiting.refresh_from_db()
    assert not waiting.pdf  # not issued: not the sweep's business


@pytest.mark.django_db
def test_sweep_goes_on_past_a_document_that_cannot_be_rendered(acme):
    account, _admin = acme
    broken = Document.objects.create(  # a row of a kind no template knows
        kind="bogus", status=DocumentStatus.ISSUED, account=account, number="X/1", sequence=1,
        issue_date=AS_OF, sale_date=AS_OF, currency="PLN", seller={}, buyer={}, vat_code="23",
        net=0, vat=0, gross=0,
    )
    fine = issued_document(account, kind=DocumentKind.PROFORMA)

    counts = render_pending_documents.delay().get()

    assert counts == {"rendered": 1, "emailed": 1, "failed": 1, "seen": 2}
    fine.refresh_from_db()
    assert fine.pdf and not fine.needs_render
    assert Document.objects.get(pk=broken.pk).needs_render is True


@pytest.mark.django_db
def test_an_email_that_failed_is_sent_by_the_next_sweep(acme, settings, mailoutbox):
    account, _admin = acme
    document = issued_document(account)
    # nothing listens on port 9 of localhost: the SMTP connection is refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    with pytest.raises(OSError):
        rendering.document_render_and_send(document.pk)

    document.refresh_from_db()
    assert document.pdf and document.emailed_at is None and document.needs_render
    stored_name = document.pdf.name

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    counts = rendering.render_pending_documents()

    document.refresh_from_db()
    assert counts == {"rendered": 0, "emailed": 1, "failed": 0, "seen": 1}
    assert document.pdf.name == stored_name  # the stored PDF was right: not rendered again
    assert document.emailed_at is not None and not document.needs_render
    assert len(mailoutbox) == 1


def test_sweep_is_a_registered_task_scheduled_every_ten_minutes():
    assert "invoices.render_pending_documents" in celery_app.tasks
    assert "invoices.render_document" in celery_app.tasks
    schedules = {task: cron for task, cron in PERIODIC_TASKS.values()}
    assert schedules["invoices.render_pending_documents"] == {"minute": "*/10", "hour": "*"}


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_one_email_and_keep_one_file(make_account, media, mailoutbox):
    account, _admin = make_account("Acme")
    document = issued_document(account)
    mailoutbox.clear()  # the admin's invitation (committed for real in this test)
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def run():
        try:
            start.wait(timeout=10)
            outcomes.append(rendering.document_render_and_send(document.pk))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(o["emailed"] for o in outcomes) == [False, True]
    assert len(mailoutbox) == 1
    document.refresh_from_db()
    assert stored_files(media) == [document.pdf.name]
    assert document.emailed_at is not None and not document.needs_render


# --- with the issuing service -------------------------------------------------------------------


@pytest.mark.django_db
def test_issuing_through_the_documents_service_renders_and_emails_the_pdf(
        acme, mailoutbox, django_capture_on_commit_callbacks):
    from invoices.models import BillingProfile
    from invoices.services.documents import LineInput, document_issue

    account, admin = acme
    BillingProfile.objects.create(
        account=account, name="Acme Sp. z o.o.", street="ul. Floriańska 7",
        postal_code="31-019", city="Kraków", country="PL", tax_id="5252344078",
        invoice_email="faktury@acme.example",
    )

    with django_capture_on_commit_callbacks(execute=True):
        document = document_issue(
            account=account, kind=DocumentKind.INVOICE, sale_date=AS_OF, as_of=AS_OF,
            lines=[LineInput("Licencja stanowiska — pakiet Base", 2, "59.00", AS_OF,
                             date(2026, 11, 30))],
            actor=admin.user,
        )

    document.refresh_from_db()
    assert document.status == DocumentStatus.ISSUED and document.pdf
    text = pdf_text(stored_bytes(document))
    assert document.number in text and "Acme Sp. z o.o." in text
    assert "Do zapłaty / Amount due: 145,14 PLN" in text  # 118,00 + 27,14 VAT
    [mail] = mailoutbox
    assert mail.to == ["faktury@acme.example"]



@pytest.mark.django_db(transaction=True)
def test_two_runs_racing_to_send_the_first_email_send_it_once(make_account, settings,
                                                              mailoutbox):
    account, _admin = make_account("Acme")
    document = issued_document(account)
    # first run: the PDF is stored, the e-mail server refuses the connection
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(OSError):
        rendering.document_render_and_send(document.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mailoutbox.clear()
    start = threading.Barrier(4)
    errors = []

    def run():  # nothing to render: straight to sending, all at once
        try:
            start.wait(timeout=10)
            rendering.document_render_and_send(document.pk)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(mailoutbox) == 1
