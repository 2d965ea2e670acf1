"""KSeF on the pages and in the API (issue 15): the documents' KSeF status in their JSON, the
finance page's KSeF column and filter (also driving the exports), sending a rejected document
again, and the account admins' XML download on History.

KsefSubmission rows are created directly (the sending job is tested on its own); each respects
the model's check constraints."""

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from invoices.ksef.models import KsefStatus, KsefSubmission
from invoices.models import DocumentKind
from invoices.tests.factories import (
    issued_document,
    rendered,
    staff_user,
    tenant,
    waiting_document,
)
from seats.models import AuditEntry
from tests.helpers import token_client

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
PAGE = "/finance/documents/"
CSV = "/finance/documents/documents.csv"
XLSX = "/finance/documents/documents.xlsx"
ZIP = "/finance/documents/documents.zip"
HISTORY = "/account/history/"
KSEF_NUMBER = "5260250995-20261104-0100001AF629-AF"
REASON = "Błąd weryfikacji semantyki dokumentu: nieprawidłowy NIP nabywcy"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ksef_on(settings):
    settings.KSEF_API_URL = "http://127.0.0.1:9/"  # never called: resending only queues
    settings.KSEF_TOKEN = "test-token"
    settings.KSEF_NIP = "5260250995"


def submission(document, status, **fields):
    """A KsefSubmission row in `status` with what the database constraints ask of it."""
    values = {"queued_at": NOW - timedelta(days=1)}
    if status == KsefStatus.SENT:
        values.update(session_reference="20261119-SO-0000000001-AAAA",
                      invoice_reference="20261119-EE-0000000001-BBBB", xml="<Faktura/>",
                      sent_at=NOW - timedelta(hours=1))
    elif status == KsefStatus.ACCEPTED:
        values.update(session_reference="20261119-SO-0000000001-AAAA",
                      invoice_reference="20261119-EE-0000000001-BBBB", xml="<Faktura/>",
                      invoice_hash="p2Q8oL1H2cJ0b0Yz3vS6Zf8h1Yb4Vq0yW9Xw5Rk3sUo=",
                      ksef_number=KSEF_NUMBER, accepted_at=NOW - timedelta(minutes=30))
    elif status == KsefStatus.REJECTED:
        values.update(rejection_code=450, rejection_reason=REASON)
    values.update(fields)
    return KsefSubmission.objects.create(document=document, status=status, **values)


@pytest.fixture
def acme(make_account, make_member):
    return tenant(make_account, make_member, "Acme")


@pytest.fixture
def globex(make_account, make_member):
    return tenant(make_account, make_member, "Globex")


@pytest.fixture
def books(acme):
    """Acme's documents, one per KSeF status (FV/2026/11/0001…0005 issued 1…5 November), a
    pro-forma and an invoice waiting for its NBP rate."""
    account = acme.account

    def invoice(day):
        return issued_document(account, issue_date=date(2026, 11, day))

    docs = {
        "not_sent": invoice(1),
        "queued": invoice(2),
        "sent": invoice(3),
        "accepted": invoice(4),
        "rejected": invoice(5),
        "retrying": invoice(6),
        "proforma": issued_document(account, kind=DocumentKind.PROFORMA,
                                    issue_date=date(2026, 11, 7)),
        "waiting": waiting_document(account, issue_date=date(2026, 11, 8)),
    }
    submission(docs["queued"], KsefStatus.QUEUED)
    submission(docs["sent"], KsefStatus.SENT)
    submission(docs["accepted"], KsefStatus.ACCEPTED)
    submission(docs["rejected"], KsefStatus.REJECTED)
    submission(docs["retrying"], KsefStatus.QUEUED, attempts=2,
               next_attempt_at=NOW + timedelta(minutes=2),
               last_error="KSeF HTTP 503: Service Unavailable")
    return docs


def text(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def row(response, document):
    match = re.search(rf'<tr id="document-{document.pk}">(.*?)</tr>', response.content.decode(),
                      re.S)
    assert match, f"no row for document #{document.pk}"
    return match.group(1)


def ksef_cell(response, document):
    """The KSeF part of the status cell; "—" when the document has none (pro-forma, waiting)."""
    match = re.search(r'<div class="doc-ksef">(.*?)<!-- /ksef -->', row(response, document), re.S)
    if match is None:
        return "—"
    return match.group(1)


def numbers_listed(response):
    return re.findall(r'<tr id="document-\d+">\s*<td class="num"><a href="[^"]+">([^<]+)</a>',
                      response.content.decode())


def messages_shown(response):
    return [text(m) for m in re.findall(r'<li class="message[^"]*"[^>]*>(.*?)</li>',
                                        response.content.decode(), re.S)]


# --- the documents' JSON ------------------------------------------------------------------------


EXPECTED_JSON = {
    "not_sent": ("not_sent", "", ""),
    "queued": ("queued", "", ""),
    "retrying": ("queued", "", ""),
    "sent": ("sent", "", ""),
    "accepted": ("accepted", KSEF_NUMBER, ""),
    "rejected": ("rejected", "", REASON),
    "proforma": (None, "", ""),
    "waiting": (None, "", ""),
}


def ksef_fields(body):
    return body["ksef_status"], body["ksef_number"], body["ksef_rejection_reason"]


def test_document_json_carries_the_ksef_status_number_and_reason(books, acme):
    client = token_client(acme.admin.user)

    listed = {item["id"]: ksef_fields(item) for item in
              client.get(f"/api/v1/accounts/{acme.account.pk}/documents/").json()}
    assert listed == {books[key].pk: expected for key, expected in EXPECTED_JSON.items()}
    for key, expected in EXPECTED_JSON.items():
        detail = client.get(f"/api/v1/documents/{books[key].pk}/").json()
        assert ksef_fields(detail) == expected, key


def test_the_schema_documents_the_ksef_status_enum(db):
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/schema/",
                             HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert components["DocumentKsefStatusEnum"] == {
        "type": "string", "enum": ["not_sent", "queued", "sent", "accepted", "rejected"]}
    for name in ("Document", "DocumentSummary"):
        properties = components[name]["properties"]
        assert properties["ksef_status"]["allOf"] == [
            {"$ref": "#/components/schemas/DocumentKsefStatusEnum"}]
        assert properties["ksef_status"]["nullable"] is True
        assert properties["ksef_number"]["type"] == "string"
        assert properties["ksef_rejection_reason"]["type"] == "string"


def api_list_queries(client, account):
    with CaptureQueriesContext(connection) as context:
        response = client.get(f"/api/v1/accounts/{account.pk}/documents/")
    assert response.status_code == 200
    return len(response.json()), len(context.captured_queries)


def test_the_document_list_costs_the_same_queries_for_few_and_many_submissions(acme):
    client = token_client(acme.admin.user)
    account = acme.account

    def add(count, day):
        for _ in range(count):
            submission(issued_document(account, issue_date=date(2026, 11, day)),
                       KsefStatus.REJECTED)
            issued_document(account, issue_date=date(2026, 11, day))  # not sent: no row

    add(1, 2)
    few_count, few = api_list_queries(client, account)
    add(10, 3)
    many_count, many = api_list_queries(client, account)

    assert (few_count, many_count) == (2, 22)
    assert few == many


def test_finance_list_and_exports_cost_the_same_queries_for_few_and_many_submissions(
        acme, finance_client):
    account = acme.account

    def queries(url):
        with CaptureQueriesContext(connection) as context:
            response = finance_client.get(url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(context.captured_queries)

    def add(count):
        for status in (KsefStatus.QUEUED, KsefStatus.ACCEPTED, KsefStatus.REJECTED):
            for _ in range(count):
                document = issued_document(account)
                submission(document, status,
                           **({"ksef_number": f"{KSEF_NUMBER[:-2]}{document.pk:02d}"}
                              if status == KsefStatus.ACCEPTED else {}))

    add(1)
    few = [queries(PAGE), queries(CSV), queries(XLSX)]
    add(6)
    assert [queries(PAGE), queries(CSV), queries(XLSX)] == few


# --- the finance page: the KSeF column ----------------------------------------------------------


def test_the_ksef_column_shows_each_status(books, finance_client):
    response = finance_client.get(PAGE)

    assert response.status_code == 200
    cells = {key: text(ksef_cell(response, books[key])) for key in books}
    assert cells == {
        "not_sent": "Not sent",
        "queued": "Queued",
        "sent": "Sent, awaiting KSeF",
        "accepted": f"Accepted {KSEF_NUMBER}",
        "rejected": f"Rejected Rejection reason {REASON} Send to KSeF again",
        "retrying": "Queued retrying: KSeF HTTP 503: Service Unavailable",
        "proforma": "—",
        "waiting": "—",
    }
    assert 'data-ksef-status="accepted"' in response.content.decode()
    # only the rejected one has the resend form
    resend = [re.search(r'action="/finance/documents/(\d+)/ksef/resend/"', ksef_cell(response, d))
              for d in books.values()]
    assert [int(m.group(1)) for m in resend if m] == [books["rejected"].pk]
    assert "csrfmiddlewaretoken" in ksef_cell(response, books["rejected"])


# --- the finance page: the KSeF filter ----------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("", ["#waiting", "PF/2026/11/0001", "FV/2026/11/0006", "FV/2026/11/0005",
          "FV/2026/11/0004", "FV/2026/11/0003", "FV/2026/11/0002", "FV/2026/11/0001"]),
    ("not_sent", ["FV/2026/11/0001"]),
    ("queued", ["FV/2026/11/0006", "FV/2026/11/0002"]),
    ("sent", ["FV/2026/11/0003"]),
    ("accepted", ["FV/2026/11/0004"]),
    ("rejected", ["FV/2026/11/0005"]),
])
def test_filter_by_ksef_status(books, finance_client, value, expected):
    response = finance_client.get(PAGE, {"ksef_status": value})

    assert response.status_code == 200
    expected = [f"#{books['waiting'].pk}" if n == "#waiting" else n for n in expected]
    assert numbers_listed(response) == expected


def test_not_sent_includes_corrections_without_a_submission(acme, finance_client):
    invoice = issued_document(acme.account, issue_date=date(2026, 11, 2))
    submission(invoice, KsefStatus.ACCEPTED)
    correction = issued_document(acme.account, kind=DocumentKind.CORRECTION, corrects=invoice,
                                 correction_reason="Dane nabywcy", due_days=None,
                                 issue_date=date(2026, 11, 3))

    response = finance_client.get(PAGE, {"ksef_status": "not_sent"})

    assert numbers_listed(response) == [correction.number]
    assert text(ksef_cell(response, correction)) == "Not sent"
    body = token_client(acme.admin.user).get(f"/api/v1/documents/{correction.pk}/").json()
    assert ksef_fields(body) == ("not_sent", "", "")


def test_the_ksef_filter_combines_with_the_others(books, finance_client):
    response = finance_client.get(PAGE, {"ksef_status": "queued",
                                         "issued_from": "2026-11-03"})

    assert numbers_listed(response) == ["FV/2026/11/0006"]


def test_a_bad_ksef_filter_value_is_a_form_error(books, finance_client):
    for url in (PAGE, CSV, XLSX, ZIP):
        response = finance_client.get(url, {"ksef_status": "lost"})

        assert response.status_code == 400, url
        errors = [html.unescape(e) for e in re.findall(
            r'id="id_ksef_status_error\d+">([^<]*)<', response.content.decode())]
        assert errors == ["Select a valid choice. lost is not one of the available choices."]
        assert numbers_listed(response) == []


def test_the_exports_follow_the_ksef_filter_and_carry_status_and_number(books, finance_client):
    content = b"".join(finance_client.get(CSV, {"ksef_status": "accepted"})
                       .streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert [(r[0], r[-2], r[-1]) for r in rows] == [
        ("number", "ksef_status", "ksef_number"),
        ("FV/2026/11/0004", "accepted", KSEF_NUMBER)]

    content = b"".join(finance_client.get(CSV).streaming_content).decode("utf-8-sig")
    by_number = {r["number"] or "#waiting": (r["ksef_status"], r["ksef_number"])
                 for r in csv.DictReader(io.StringIO(content))}
    assert by_number == {
        "FV/2026/11/0001": ("not_sent", ""), "FV/2026/11/0002": ("queued", ""),
        "FV/2026/11/0003": ("sent", ""), "FV/2026/11/0004": ("accepted", KSEF_NUMBER),
        "FV/2026/11/0005": ("rejected", ""), "FV/2026/11/0006": ("queued", ""),
        "PF/2026/11/0001": ("", ""), "#waiting": ("", ""),
    }

    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(
        finance_client.get(XLSX, {"ksef_status": "not_sent"}).streaming_content)))
    header, *body = workbook["Documents"].iter_rows(values_only=True)
    assert [dict(zip(header, values, strict=True))["number"] for values in body] == [
        "FV/2026/11/0001"]
    assert header[-2:] == ("ksef_status", "ksef_number")
    assert body[0][-2:] == ("not_sent", None)  # empty text reads back as None


def test_the_zip_follows_the_ksef_filter_and_serves_the_xml_sent(books, finance_client):
    import zipfile

    response = finance_client.get(ZIP, {"ksef_status": "sent"})

    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["FV-2026-11-0003.xml", "README.txt"]
    assert archive.read("FV-2026-11-0003.xml") == b"<Faktura/>"  # the file as sent


# --- sending a rejected document again ----------------------------------------------------------


def resend_url(document):
    return f"/finance/documents/{document.pk}/ksef/resend/"


def test_finance_sends_a_rejected_document_again(books, finance, finance_client, ksef_on):
    document = books["rejected"]

    response = finance_client.post(resend_url(document) + "?ksef_status=rejected")

    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?ksef_status=rejected#document-{document.pk}"
    row_ = KsefSubmission.objects.get(document=document)
    assert (row_.status, row_.rejection_code, row_.rejection_reason, row_.attempts,
            row_.queued_at, row_.next_attempt_at) == (KsefStatus.QUEUED, None, "", 0, NOW, NOW)
    entry = AuditEntry.objects.get(action="ksef_resend")
    assert (entry.account_id, entry.actor_id, entry.target_id, entry.before["ksef_status"],
            entry.after) == (document.account_id, finance.pk, document.pk, "rejected",
                             {"ksef_status": "queued"})
    page = finance_client.get(response["Location"])
    assert messages_shown(page) == [
        "FV/2026/11/0005 will be sent to KSeF again within a few minutes."]
    assert numbers_listed(page) == []  # no longer rejected
    assert text(ksef_cell(finance_client.get(PAGE), document)) == "Queued"


@pytest.mark.parametrize("key", ["accepted", "queued", "not_sent", "proforma"])
def test_only_a_rejected_document_can_be_sent_again(books, finance_client, ksef_on, key):
    document = books[key]
    before = list(KsefSubmission.objects.order_by("pk").values())

    response = finance_client.post(resend_url(document), follow=True)

    assert response.redirect_chain == [(f"{PAGE}#document-{document.pk}", 302)]
    assert messages_shown(response) == ["Only a document KSeF rejected can be sent again."]
    assert list(KsefSubmission.objects.order_by("pk").values()) == before
    assert not AuditEntry.objects.filter(action="ksef_resend").exists()


def test_resending_when_ksef_is_not_configured_says_so(books, finance_client, settings):
    settings.KSEF_API_URL = ""
    document = books["rejected"]

    response = finance_client.post(resend_url(document), follow=True)

    assert messages_shown(response) == [
        "Sending to KSeF is not configured on this installation."]
    assert KsefSubmission.objects.get(document=document).status == KsefStatus.REJECTED


def test_a_get_of_the_resend_address_changes_nothing(books, finance_client, ksef_on):
    document = books["rejected"]

    response = finance_client.get(resend_url(document))

    assert (response.status_code, response["Location"]) == (302, f"{PAGE}#document-{document.pk}")
    assert KsefSubmission.objects.get(document=document).status == KsefStatus.REJECTED
    assert finance_client.get(f"/finance/documents/{10**9}/ksef/resend/").status_code == 404
    assert finance_client.put(resend_url(document)).status_code == 405


def test_the_resend_form_needs_a_csrf_token(books, finance, ksef_on):
    client = Client(enforce_csrf_checks=True)
    client.force_login(finance)

    response = client.post(resend_url(books["rejected"]))

    assert response.status_code == 403
    assert KsefSubmission.objects.get(document=books["rejected"]).status == KsefStatus.REJECTED


def test_only_finance_may_send_again(books, acme, django_user_model, ksef_on):
    ops = staff_user(django_user_model, "ops@vendor.example", groups=["ops"])
    for user in (ops, acme.admin.user):
        client = Client()
        client.force_login(user)
        assert client.post(resend_url(books["rejected"])).status_code == 403
    anonymous = Client().post(resend_url(books["rejected"]))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert KsefSubmission.objects.get(document=books["rejected"]).status == KsefStatus.REJECTED


# --- History: the XML download and the KSeF number ----------------------------------------------


def history_client(acme):
    client = Client()
    client.force_login(acme.admin.user)
    return client


def test_history_offers_the_xml_of_invoices_and_shows_the_ksef_number(books, acme):
    response = history_client(acme).get(HISTORY)

    content = response.content.decode()
    for key in ("not_sent", "queued", "sent", "accepted", "rejected"):
        assert f'href="/account/documents/{books[key].pk}/ksef.xml"' in content, key
    for key in ("proforma", "waiting"):
        assert f"/account/documents/{books[key].pk}/ksef.xml" not in content, key
    assert f"KSeF number: {KSEF_NUMBER}" in text(row(response, books["accepted"]))
    assert "KSeF number" not in text(row(response, books["rejected"]))


def test_history_downloads_the_accounts_own_xml(acme):
    from invoices.ksef.schema import validation_errors

    invoice = rendered(issued_document(acme.account))

    response = history_client(acme).get(f"/account/documents/{invoice.pk}/ksef.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="FV-2026-11-0001.xml"'
    assert validation_errors(response.content) == []
    assert b"<P_2>FV/2026/11/0001</P_2>" in response.content


def test_history_xml_of_another_account_is_not_found(acme, globex):
    theirs = issued_document(globex.account)

    assert history_client(acme).get(f"/account/documents/{theirs.pk}/ksef.xml").status_code == 404


def test_history_xml_of_a_proforma_goes_back_saying_why(acme):
    proforma = issued_document(acme.account, kind=DocumentKind.PROFORMA)

    response = history_client(acme).get(f"/account/documents/{proforma.pk}/ksef.xml",
                                        follow=True)

    assert response.redirect_chain == [(f"{HISTORY}#documents", 302)]
    assert messages_shown(response) == [
        "A pro-forma is not a tax document, so it has no KSeF e-invoice."]


@pytest.mark.parametrize("role", ["manager", "user"])
def test_history_xml_is_for_admins_only(acme, role):
    invoice = issued_document(acme.account)
    client = Client()
    client.force_login(getattr(acme, role).user)

    assert client.get(f"/account/documents/{invoice.pk}/ksef.xml").status_code == 403
