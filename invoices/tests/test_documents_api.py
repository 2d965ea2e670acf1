"""REST API of documents (SPEC §7): the contract, scoping (404 for another tenant, 403 for
members who are not admins), the stored PDF (409 while it is being prepared) and notes."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from invoices.models import DocumentKind
from invoices.tests.factories import (
    Line,
    buyer_data,
    issued_document,
    order_with_proforma,
    rendered,
    staff_user,
    tenant,
    waiting_document,
)
from tests.helpers import NOT_FOUND
from tests.helpers import token_client as client_for

pytestmark = pytest.mark.django_db

DETAIL_KEYS = {
    "id", "kind", "number", "status", "issue_date", "sale_date", "due_date", "currency", "net",
    "vat", "gross", "vat_pln", "exchange_rate", "exchange_rate_date", "exchange_rate_table",
    "vat_code", "buyer", "seller", "ordering_party", "lines", "vat_totals", "note", "corrects",
    "pdf_ready", "void", "void_reason", "ksef_status", "ksef_number", "ksef_rejection_reason",
}
SUMMARY_KEYS = {"id", "kind", "number", "status", "issue_date", "currency", "net", "vat",
                "gross", "corrects", "pdf_ready", "void", "void_reason", "ksef_status",
                "ksef_number", "ksef_rejection_reason"}


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def acme(make_account, make_member):
    return tenant(make_account, make_member, "Acme")


@pytest.fixture
def globex(make_account, make_member):
    return tenant(make_account, make_member, "Globex", country="DE")


@pytest.fixture
def staff(django_user_model):
    return staff_user(django_user_model, "ops@vendor.example")


def eur_invoice(account):
    return issued_document(
        account, currency="EUR",
        buyer=buyer_data("Jan Kowalski", kind="person", country="FR", tax_id="",
                         street="5 rue de Rivoli", postal_code="75001", city="Paris",
                         email="jan@example.fr"),
        ordering_party={"name": "Kowalski Holding", "street": "1 quai", "postal_code": "75002",
                        "city": "Paris", "country": "FR", "tax_id": "FR40303265045"},
        lines=[Line("Base — 2 stanowiska / seats", 2, "14.00", date(2026, 11, 16),
                    date(2026, 11, 30))],
        exchange_rate="4.2595", exchange_rate_date=date(2026, 11, 13),
        exchange_rate_table="221/A/NBP/2026",
    )


# --- the contract -------------------------------------------------------------------------------


def test_document_detail_contract(acme):
    document = eur_invoice(acme.account)

    response = client_for(acme.admin.user).get(f"/api/v1/documents/{document.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == DETAIL_KEYS
    # 2 × 14,00 = 28,00; VAT 6,44 EUR = 27,43 PLN at 4,2595 (27,43118)
    assert {k: body[k] for k in DETAIL_KEYS - {"buyer", "seller", "ordering_party", "lines",
                                               "vat_totals"}} == {
        "id": document.pk, "kind": "invoice", "number": "FV/2026/11/0001", "status": "issued",
        "issue_date": "2026-11-16", "sale_date": "2026-11-16", "due_date": "2026-11-30",
        "currency": "EUR", "net": "28.00", "vat": "6.44", "gross": "34.44", "vat_pln": "27.43",
        "exchange_rate": "4.259500", "exchange_rate_date": "2026-11-13",
        "exchange_rate_table": "221/A/NBP/2026", "vat_code": "23", "note": "",
        "corrects": None, "pdf_ready": False, "void": False, "void_reason": "",
        "ksef_status": "not_sent", "ksef_number": "", "ksef_rejection_reason": "",
    }
    assert body["buyer"] == {"kind": "person", "name": "Jan Kowalski",
                             "street": "5 rue de Rivoli", "postal_code": "75001",
                             "city": "Paris", "country": "FR", "tax_id": "",
                             "invoice_email": "jan@example.fr"}
    assert body["ordering_party"] == {"name": "Kowalski Holding", "street": "1 quai",
                                      "postal_code": "75002", "city": "Paris", "country": "FR",
                                      "tax_id": "FR40303265045"}
    assert body["seller"]["name"] == "Seat Billing Sp. z o.o."
    assert body["seller"]["tax_id"] == "5260250995"
    assert body["seller"]["bank_account"] == "PL61 1090 1014 0000 0712 1981 2874"
    assert body["lines"] == [{
        "position": 1, "description": "Base — 2 stanowiska / seats",
        "period_start": "2026-11-16", "period_end": "2026-11-30", "quantity": "2.0000",
        "unit": "szt.", "unit_price": "14.00", "net": "28.00", "vat_rate": "23.00",
        "vat_code": "23",
    }]
    assert body["vat_totals"] == [{"vat_code": "23", "vat_rate": "23.00", "net": "28.00",
                                   "vat": "6.44", "gross": "34.44", "vat_pln": "27.43"}]


def test_correction_refers_to_the_corrected_document_and_pdf_ready_follows_the_file(acme):
    invoice = rendered(issued_document(acme.account))
    correction = issued_document(acme.account, kind=DocumentKind.CORRECTION, corrects=invoice,
                                 correction_reason="Dane nabywcy", due_days=None)
    client = client_for(acme.admin.user)

    body = client.get(f"/api/v1/documents/{correction.pk}/").json()
    assert (body["kind"], body["corrects"], body["due_date"]) == ("correction", invoice.pk,
                                                                  None)
    assert body["pdf_ready"] is False
    assert client.get(f"/api/v1/documents/{invoice.pk}/").json()["pdf_ready"] is True


def test_account_document_list(acme):
    invoice = rendered(issued_document(acme.account, issue_date=date(2026, 11, 3)))
    proforma = issued_document(acme.account, kind=DocumentKind.PROFORMA)
    waiting = waiting_document(acme.account)

    response = client_for(acme.admin.user).get(f"/api/v1/accounts/{acme.account.pk}/documents/")

    assert response.status_code == 200
    body = response.json()
    assert all(set(item) == SUMMARY_KEYS for item in body)
    assert [(d["id"], d["number"], d["status"], d["pdf_ready"]) for d in body] == [
        (waiting.pk, "", "waiting_for_rate", False),
        (proforma.pk, "PF/2026/11/0001", "issued", False),
        (invoice.pk, "FV/2026/11/0001", "issued", True),
    ]
    assert body[2] == {"id": invoice.pk, "kind": "invoice", "number": "FV/2026/11/0001",
                       "status": "issued", "issue_date": "2026-11-03", "currency": "PLN",
                       "net": "59.00", "vat": "13.57", "gross": "72.57", "corrects": None,
                       "pdf_ready": True, "void": False, "void_reason": "",
                       "ksef_status": "not_sent", "ksef_number": "", "ksef_rejection_reason": ""}


def test_a_proforma_whose_order_expired_is_void_in_the_list_and_the_detail(acme):
    """Derived from the order: the pro-forma stays issued; the list closes the account's orders
    that can no longer be paid before answering, so nobody has to open the order first."""
    pending, proforma = order_with_proforma(acme.account, actor=acme.admin.user)
    client = client_for(acme.admin.user)
    payable = client.get(f"/api/v1/documents/{proforma.pk}/").json()
    assert (payable["status"], payable["void"], payable["void_reason"]) == ("issued", False, "")

    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):  # the order was payable through 30 November
        [item] = client.get(f"/api/v1/accounts/{acme.account.pk}/documents/").json()
        detail = client.get(f"/api/v1/documents/{proforma.pk}/").json()

    expected = ("issued", True, "order expired: its validity window has ended")
    assert (item["id"], item["status"], item["void"], item["void_reason"]) == (
        proforma.pk, *expected)
    assert (detail["status"], detail["void"], detail["void_reason"]) == expected
    pending.refresh_from_db()
    assert pending.status == "expired"


# --- scoping and roles --------------------------------------------------------------------------


def test_another_tenants_documents_are_not_found(acme, globex):
    theirs = rendered(issued_document(globex.account))
    client = client_for(acme.admin.user)

    for method, url, body in (
        ("get", f"/api/v1/documents/{theirs.pk}/", None),
        ("get", f"/api/v1/documents/{theirs.pk}/pdf/", None),
        ("get", f"/api/v1/documents/{theirs.pk}/ksef.xml", None),
        ("post", f"/api/v1/documents/{theirs.pk}/note/", {"note": "Nota"}),
        ("get", f"/api/v1/accounts/{globex.account.pk}/documents/", None),
    ):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, url
        assert response.json() == NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.note == ""


def test_unknown_ids_look_the_same_as_another_tenants(acme):
    response = client_for(acme.admin.user).get("/api/v1/documents/999999/")

    assert response.status_code == 404 and response.json() == NOT_FOUND


@pytest.mark.parametrize("role", ["manager", "user"])
def test_members_who_are_not_admins_are_refused(acme, role):
    document = rendered(issued_document(acme.account))
    client = client_for(getattr(acme, role).user)

    for method, url, body in (
        ("get", f"/api/v1/documents/{document.pk}/", None),
        ("get", f"/api/v1/documents/{document.pk}/pdf/", None),
        ("get", f"/api/v1/documents/{document.pk}/ksef.xml", None),
        ("post", f"/api/v1/documents/{document.pk}/note/", {"note": "Nota"}),
        ("get", f"/api/v1/accounts/{acme.account.pk}/documents/", None),
    ):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, url
        assert response.json()["detail"] == (
            "Only administrators of this organisation can see its invoices.")
    document.refresh_from_db()
    assert document.note == ""


def test_staff_see_any_accounts_documents(acme, globex, staff):
    document = rendered(issued_document(globex.account))
    client = client_for(staff)

    assert client.get(f"/api/v1/documents/{document.pk}/").status_code == 200
    assert client.get(f"/api/v1/documents/{document.pk}/pdf/").status_code == 200
    listed = client.get(f"/api/v1/accounts/{globex.account.pk}/documents/").json()
    assert [d["id"] for d in listed] == [document.pk]


def test_anonymous_requests_are_refused(acme):
    document = issued_document(acme.account)

    response = APIClient().get(f"/api/v1/documents/{document.pk}/")

    assert response.status_code == 401


# --- the PDF ------------------------------------------------------------------------------------


def test_pdf_is_the_stored_file(acme, media):
    document = rendered(issued_document(acme.account))
    client = client_for(acme.admin.user)

    response = client.get(f"/api/v1/documents/{document.pk}/pdf/",
                          HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="FV-2026-11-0001.pdf"'
    assert b"".join(response.streaming_content) == (media / document.pdf.name).read_bytes()


def test_pdf_not_rendered_yet_is_a_409_with_a_clear_message(acme):
    document = issued_document(acme.account)

    for accept in ("application/json", "application/pdf"):
        response = client_for(acme.admin.user).get(f"/api/v1/documents/{document.pk}/pdf/",
                                                   HTTP_ACCEPT=accept)
        assert response.status_code == 409
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": "The PDF of this document is being prepared; try again in a minute.",
            "code": "pdf_not_ready",
        }
    document.refresh_from_db()
    assert not document.pdf  # nothing is rendered in the request


# --- notes --------------------------------------------------------------------------------------


def test_post_note_returns_the_document_and_re_renders_its_pdf(
        acme, django_capture_on_commit_callbacks, mailoutbox):
    document = rendered(issued_document(acme.account))
    fingerprint = document.pdf_fingerprint

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(acme.admin.user).post(
            f"/api/v1/documents/{document.pk}/note/", {"note": " Zamówienie 117 "},
            format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == DETAIL_KEYS
    assert (body["id"], body["note"], body["pdf_ready"]) == (document.pk, "Zamówienie 117",
                                                            True)
    document.refresh_from_db()
    assert document.pdf_fingerprint != fingerprint and not document.needs_render
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("body, message", [
    ({"note": ""}, "Enter the text of the note."),
    ({"note": "z" * 501}, "A note can be at most 500 characters long (this one has 501)."),
])
def test_post_note_refusals_name_the_field(acme, body, message):
    document = issued_document(acme.account)

    response = client_for(acme.admin.user).post(f"/api/v1/documents/{document.pk}/note/", body,
                                                format="json")

    assert response.status_code == 400
    assert response.json()["note"] == [message]
    assert response.json()["detail"] == message


def test_post_note_without_a_note_is_a_field_error(acme):
    document = issued_document(acme.account)

    response = client_for(acme.admin.user).post(f"/api/v1/documents/{document.pk}/note/", {},
                                                format="json")

    assert response.status_code == 400
    assert response.json()["note"] == ["This field is required."]


def test_post_note_on_a_proforma_is_refused(acme):
    proforma = issued_document(acme.account, kind=DocumentKind.PROFORMA)

    response = client_for(acme.admin.user).post(f"/api/v1/documents/{proforma.pk}/note/",
                                                {"note": "Nota"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Notes can be added to VAT invoices and corrective invoices only.",
        "code": "note_not_allowed",
    }


# --- FA(3) e-invoice XML (issue 15) --------------------------------------------------------------


def test_ksef_xml_is_the_validated_fa3_of_the_invoice(acme):
    from invoices.ksef.schema import validation_errors

    document = issued_document(acme.account)
    response = client_for(acme.admin.user).get(f"/api/v1/documents/{document.pk}/ksef.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{document.number.replace("/", "-")}.xml"')
    assert validation_errors(response.content) == []
    assert f"<P_2>{document.number}</P_2>".encode() in response.content
    # the same document always gives the same bytes (DataWytworzeniaFa is its creation time)
    again = client_for(acme.admin.user).get(f"/api/v1/documents/{document.pk}/ksef.xml")
    assert again.content == response.content


def test_ksef_xml_of_a_proforma_is_a_404_saying_why(acme):
    proforma = issued_document(acme.account, kind=DocumentKind.PROFORMA)
    response = client_for(acme.admin.user).get(f"/api/v1/documents/{proforma.pk}/ksef.xml")

    assert response.status_code == 404
    assert response.json()["code"] == "no_e_invoice"
    assert "pro-forma is not a tax document" in response.json()["detail"]


def test_ksef_xml_of_an_invoice_waiting_for_its_rate_is_a_409(acme):
    waiting = waiting_document(acme.account)
    response = client_for(acme.admin.user).get(f"/api/v1/documents/{waiting.pk}/ksef.xml")

    assert response.status_code == 409 and response.json()["code"] == "e_invoice_waiting"
