"""Sending issued invoices to KSeF and tracking them (issue 15), over HTTP against the local KSeF
stub (`ksef_stub.py`) with the real client library: acceptance with number and UPO, outages with
backoff, rejections and resending, invalid XML never sent, lost answers caught by KSeF's duplicate
check, corrections after their invoice, two runs at once."""

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from billing_site.errors import DomainError
from billing_site.outbox import OutboxMessage
from invoices.ksef import sending
from invoices.ksef.fa3 import NAMESPACE
from invoices.ksef.models import KsefStatus, KsefSubmission
from invoices.models import DocumentKind
from seats.models import AuditEntry

from .conftest import KSEF_NIP
from .factories import Line, buyer_data, issued_document

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
def account(make_account):
    return make_account("Acme")[0]


def submission(document) -> KsefSubmission:
    return KsefSubmission.objects.get(document=document)


def only(document):
    """Leave in the queue only `document` (accounts made by fixtures issue their own)."""
    KsefSubmission.objects.exclude(document=document).delete()


@pytest.mark.django_db
def test_sending_is_off_without_configuration(account, settings):
    settings.KSEF_API_URL = ""
    issued_document(account)
    assert sending.ksef_sync(now=NOW) == {"enabled": False}
    assert not KsefSubmission.objects.exists()


@pytest.mark.django_db
def test_an_invoice_is_sent_and_accepted_with_its_ksef_number_and_upo(account, ksef):
    invoice = issued_document(account)
    result = sending.ksef_sync(now=NOW)

    row = submission(invoice)
    taken = ksef.invoices[row.invoice_reference]
    assert row.status == KsefStatus.ACCEPTED
    assert row.ksef_number == taken.ksef_number
    assert row.ksef_number.startswith(f"{KSEF_NIP}-")
    assert row.accepted_at == datetime.fromisoformat(taken.acquired_at)
    # what KSeF got is what we stored, and the hash is the SHA-256 of those bytes
    assert row.xml.encode() == taken.xml
    assert row.invoice_hash == base64.b64encode(hashlib.sha256(taken.xml).digest()).decode()
    assert etree.fromstring(taken.xml).findtext(f"{{{NAMESPACE}}}Fa/{{{NAMESPACE}}}P_2") == \
        invoice.number
    assert f"<NumerKSeFDokumentu>{row.ksef_number}</NumerKSeFDokumentu>" in row.upo
    assert result["sent"] >= 1 and result["accepted"] >= 1 and result["error"] == ""
    # the PDF is rendered once more (it shows the number and the QR code)
    invoice.refresh_from_db()
    assert invoice.needs_render
    assert OutboxMessage.objects.filter(task_name="invoices.render_document",
                                        args=[invoice.pk]).exists()
    actions = list(AuditEntry.objects.filter(target_id=invoice.pk, action__startswith="ksef_")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["ksef_sent", "ksef_accepted"]
    # one authentication, one session, closed at the end
    assert ksef.calls("POST", r"/v2/auth/ksef-token") == 1
    assert ksef.calls("POST", r"/v2/sessions/online") == 1
    assert ksef.calls("POST", r"/v2/sessions/online/[^/]+/close") == 1


@pytest.mark.django_db
def test_a_proforma_and_an_invoice_issued_before_ksef_are_not_queued(account, ksef, settings):
    settings.KSEF_START_DATE = NOW.date()
    proforma = issued_document(account, kind=DocumentKind.PROFORMA, issue_date=NOW.date())
    old = issued_document(account, issue_date=NOW.date() - timedelta(days=1))
    sending.queue_documents(now=NOW)
    assert not KsefSubmission.objects.filter(document__in=[proforma, old]).exists()


@pytest.mark.django_db
def test_still_processing_is_asked_again_next_run(account, ksef):
    invoice = issued_document(account)
    ksef.processing_polls = 1
    sending.ksef_sync(now=NOW)
    assert submission(invoice).status == KsefStatus.SENT
    sending.ksef_sync(now=NOW + timedelta(minutes=1))
    assert submission(invoice).status == KsefStatus.ACCEPTED


@pytest.mark.django_db
def test_an_outage_leaves_the_invoice_queued_and_retried_with_backoff(account, ksef):
    invoice = issued_document(account)
    ksef.outage = True
    result = sending.ksef_sync(now=NOW)
    row = submission(invoice)
    assert row.status == KsefStatus.QUEUED
    assert row.attempts == 1
    assert row.next_attempt_at == NOW + timedelta(minutes=1)
    assert "503" in row.last_error and "503" in result["error"]

    sending.ksef_sync(now=NOW + timedelta(seconds=30))  # still down, and not due yet
    assert submission(invoice).attempts == 1
    sending.ksef_sync(now=NOW + timedelta(minutes=1))  # due, still down: waits twice as long
    row = submission(invoice)
    assert row.attempts == 2
    assert row.next_attempt_at == NOW + timedelta(minutes=3)

    ksef.outage = False
    sending.ksef_sync(now=NOW + timedelta(minutes=3))
    row = submission(invoice)
    assert row.status == KsefStatus.ACCEPTED
    assert row.last_error == ""


def test_retry_delay_doubles_up_to_an_hour():
    assert [sending.retry_delay(n).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == \
        [60, 120, 240, 1920, 3600, 3600]


@pytest.mark.django_db
def test_a_rejection_keeps_ksefs_code_and_reason_and_finance_can_resend(account, ksef,
                                                                        admin_user):
    invoice = issued_document(account)
    ksef.reject_next(450, "Błąd weryfikacji semantyki dokumentu faktury",
                     ["Nieprawidłowy NIP nabywcy."])
    sending.ksef_sync(now=NOW)
    row = submission(invoice)
    assert row.status == KsefStatus.REJECTED
    assert row.rejection_code == 450
    assert row.rejection_reason == ("Błąd weryfikacji semantyki dokumentu faktury: "
                                    "Nieprawidłowy NIP nabywcy.")

    sending.submission_resend(document=invoice, actor=admin_user, now=NOW)
    row = submission(invoice)
    assert (row.status, row.rejection_code, row.rejection_reason) == ("queued", None, "")
    assert AuditEntry.objects.filter(target_id=invoice.pk, action="ksef_resend",
                                     actor=admin_user).exists()
    sending.ksef_sync(now=NOW + timedelta(minutes=1))
    assert submission(invoice).status == KsefStatus.ACCEPTED


@pytest.mark.django_db
def test_only_a_rejected_document_can_be_resent(account, ksef, settings):
    invoice = issued_document(account)
    sending.ksef_sync(now=NOW)
    with pytest.raises(DomainError) as refused:
        sending.submission_resend(document=invoice, actor=None, now=NOW)
    assert (refused.value.code, refused.value.status) == ("ksef_not_rejected", 409)
    settings.KSEF_TOKEN = ""
    with pytest.raises(DomainError) as off:
        sending.submission_resend(document=invoice, actor=None, now=NOW)
    assert off.value.code == "ksef_off"


@pytest.mark.django_db
def test_an_invoice_whose_xml_does_not_validate_is_never_sent(account, ksef):
    # a buyer NIP KSeF's schema refuses (it passes the checksum): stored before issue 15's check
    invoice = issued_document(account, buyer=buyer_data(tax_id="0000000000"))
    sending.ksef_sync(now=NOW)
    row = submission(invoice)
    assert row.status == KsefStatus.REJECTED
    assert row.rejection_code is None
    assert "does not match the FA(3) schema" in row.rejection_reason
    assert row.xml == ""
    assert not ksef.invoices  # nothing reached KSeF


@pytest.mark.django_db
def test_a_wrong_token_is_reported_and_retried(account, ksef, settings):
    invoice = issued_document(account)
    settings.KSEF_TOKEN = "not-the-token"
    sending.ksef_sync(now=NOW)
    row = submission(invoice)
    assert row.status == KsefStatus.QUEUED
    assert row.attempts == 1
    assert "Authentication failed: 450" in row.last_error
    assert not ksef.invoices


@pytest.mark.django_db
def test_a_lost_answer_is_caught_by_ksefs_duplicate_check(account, ksef, settings):
    """KSeF took the invoice but the answer never came (time-out): the next attempt sends the
    same file again, KSeF answers 440 naming the first copy, and that copy's number is kept."""
    invoice = issued_document(account)
    ksef.send_delay = 2.5
    settings.KSEF_TIMEOUT = 1
    sending.ksef_sync(now=NOW)
    row = submission(invoice)
    assert row.status == KsefStatus.QUEUED and row.attempts == 1
    (first,) = ksef.invoices.values()
    assert first.code == 200  # KSeF has it

    ksef.send_delay = 0
    settings.KSEF_TIMEOUT = 5
    sending.ksef_sync(now=NOW + timedelta(minutes=1))
    row = submission(invoice)
    assert row.status == KsefStatus.ACCEPTED
    assert row.ksef_number == first.ksef_number
    assert row.session_reference == first.session
    assert sorted(i.code for i in ksef.invoices.values()) == [200, 440]
    assert first.ksef_number in row.upo


@pytest.mark.django_db
def test_a_correction_is_sent_after_its_invoice_and_names_its_ksef_number(account, ksef):
    invoice = issued_document(account)
    correction = issued_document(
        account, kind=DocumentKind.CORRECTION, corrects=invoice, correction_reason="Zwrot",
        lines=[Line("Base — 1 stanowisko / seat", 1, "0.00")])
    ksef.processing_polls = 1
    sending.ksef_sync(now=NOW)
    assert submission(invoice).status == KsefStatus.SENT
    assert submission(correction).status == KsefStatus.QUEUED  # waits for its invoice
    sending.ksef_sync(now=NOW + timedelta(minutes=1))
    assert submission(invoice).status == KsefStatus.ACCEPTED
    sending.ksef_sync(now=NOW + timedelta(minutes=2))
    sending.ksef_sync(now=NOW + timedelta(minutes=3))
    row = submission(correction)
    assert row.status == KsefStatus.ACCEPTED
    tree = etree.fromstring(row.xml.encode())
    assert tree.findtext(f".//{{{NAMESPACE}}}NrKSeFFaKorygowanej") == \
        submission(invoice).ksef_number


@pytest.mark.django_db
def test_a_missing_upo_is_fetched_by_a_later_run(account, ksef):
    invoice = issued_document(account)
    ksef.upo_missing = True
    sending.ksef_sync(now=NOW)
    row = submission(invoice)
    assert row.status == KsefStatus.ACCEPTED and row.upo == ""
    ksef.upo_missing = False
    result = sending.ksef_sync(now=NOW + timedelta(minutes=1))
    assert result["upo_fetched"] == 1
    assert row.ksef_number in submission(invoice).upo


@pytest.mark.django_db
def test_ops_see_submissions_read_only_in_the_admin(account, ksef, admin_client):
    from django.urls import reverse

    invoice = issued_document(account)
    sending.ksef_sync(now=NOW)
    row = submission(invoice)
    listing = admin_client.get(reverse("admin:invoices_ksefsubmission_changelist"))
    assert listing.status_code == 200
    assert row.ksef_number in listing.content.decode()
    change = admin_client.get(reverse("admin:invoices_ksefsubmission_change", args=[row.pk]))
    assert change.status_code == 200
    assert change.context["adminform"].readonly_fields


@pytest.mark.django_db
def test_the_first_email_waits_for_ksefs_acceptance(account, ksef, mailoutbox):
    """A copy given outside KSeF must carry the KSeF verification code: the PDF is rendered at
    once, but e-mailed only after the acceptance (which renders it again)."""
    from invoices.services.rendering import document_render_and_send

    invoice = issued_document(account)
    first = document_render_and_send(invoice.pk)
    assert (first["rendered"], first["emailed"]) == (True, False)
    assert mailoutbox == []
    invoice.refresh_from_db()
    assert invoice.emailed_at is None and not invoice.needs_render

    sending.ksef_sync(now=NOW)
    assert submission(invoice).status == KsefStatus.ACCEPTED
    second = document_render_and_send(invoice.pk)
    assert second["emailed"] is True
    assert [m.to for m in mailoutbox] == [["faktury@acme.example"]]


@pytest.mark.django_db
def test_without_ksef_the_first_email_goes_at_once(account, settings, mailoutbox):
    from invoices.services.rendering import document_render_and_send

    settings.KSEF_TOKEN = ""
    invoice = issued_document(account)
    assert document_render_and_send(invoice.pk)["emailed"] is True
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_status_ksef_cannot_find_is_noted_and_asked_again(account, ksef):
    invoice = issued_document(account)
    ksef.processing_polls = 1
    sending.ksef_sync(now=NOW)
    row = submission(invoice)
    KsefSubmission.objects.filter(pk=row.pk).update(invoice_reference="20261205-EE-UNKNOWN")
    other = issued_document(account)
    result = sending.ksef_sync(now=NOW + timedelta(minutes=1))  # the other one still goes
    row.refresh_from_db()
    assert row.status == KsefStatus.SENT
    assert row.last_error.startswith("KSeF HTTP 404")
    assert submission(other).status in (KsefStatus.SENT, KsefStatus.ACCEPTED)
    assert result["error"] == ""
