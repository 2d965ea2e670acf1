"""Finance pages (SPEC §1, §7): staff of the group "finance" list and filter every account's
documents, download one PDF or a zip of the filtered set, export the filtered list as CSV / XLSX.
"""

import csv
import html
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

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
from plans.models import OrderStatus, OrderVoidReason
from plans.services import order_transition

PAGE = "/finance/documents/"
ZIP = "/finance/documents/documents.zip"
CSV = "/finance/documents/documents.csv"
XLSX = "/finance/documents/documents.xlsx"
HEADER = ["number", "kind", "status", "issue_date", "sale_date", "account", "buyer_name",
          "buyer_tax_id", "currency", "net", "vat", "gross", "vat_pln", "nbp_rate", "vat_code",
          "corrects_number", "net_difference", "vat_difference", "gross_difference",
          "vat_pln_difference", "ksef_status", "ksef_number"]
NO_DIFFERENCE = ["", "", "", "", ""]  # corrects_number and the differences of a non-correction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def books(make_account, make_member):
    """Two accounts' documents over October and November, in PLN and EUR.

    Acme (PL): FV/2026/10/0001 (Oct 20, rendered), FV/2026/11/0001 (Nov 3, rendered),
               PF/2026/11/0001 (Nov 16, not rendered yet).
    Globex (DE): FV/2026/11/0002 in EUR with VAT in PLN (Nov 10, rendered), one invoice waiting
               for its rate.
    """
    acme = tenant(make_account, make_member, "Acme")
    globex = tenant(make_account, make_member, "Globex", country="DE")
    docs = {
        "october": rendered(issued_document(acme.account, issue_date=date(2026, 10, 20))),
        "acme_nov": rendered(issued_document(
            acme.account, issue_date=date(2026, 11, 3),
            lines=[Line("Base — 2 stanowiska / seats", 2, "59.00")])),
        "proforma": issued_document(acme.account, kind=DocumentKind.PROFORMA,
                                    issue_date=date(2026, 11, 16)),
        "globex_eur": rendered(issued_document(
            globex.account, currency="EUR", issue_date=date(2026, 11, 10),
            buyer=buyer_data("=Globex GmbH", country="DE", tax_id="",
                             street="Friedrichstraße 10", postal_code="10117", city="Berlin"),
            lines=[Line("Base — seat", 1, "14.00")], exchange_rate="4.2595",
            exchange_rate_date=date(2026, 11, 9), exchange_rate_table="218/A/NBP/2026")),
        "waiting": waiting_document(globex.account, issue_date=date(2026, 11, 19)),
    }
    return docs


def text(response):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def numbers_listed(response):
    """Document numbers (or #id) in the table, in order."""
    return re.findall(r'<tr id="document-\d+">\s*<td class="num"><a href="[^"]+">([^<]+)</a>',
                      response.content.decode())


def field_errors(response, field):
    return [html.unescape(e) for e in
            re.findall(rf'id="id_{field}_error\d+">([^<]*)<', response.content.decode())]


# --- who may use them ---------------------------------------------------------------------------


def test_finance_staff_and_superusers_see_the_page(books, finance_client, django_user_model):
    assert finance_client.get(PAGE).status_code == 200

    superuser = staff_user(django_user_model, "root@vendor.example", superuser=True)
    client = Client()
    client.force_login(superuser)
    assert client.get(PAGE).status_code == 200


def test_staff_outside_the_finance_group_are_refused(books, django_user_model):
    ops = staff_user(django_user_model, "ops@vendor.example", groups=["ops"])
    client = Client()
    client.force_login(ops)

    for url in (PAGE, ZIP, CSV, XLSX, f"/finance/documents/{books['october'].pk}/pdf/",
                f"/finance/documents/{books['october'].pk}/ksef.xml"):
        assert client.get(url).status_code == 403, url


def test_account_members_are_refused_even_admins(books, make_account):
    _account, admin = make_account("Initech")
    client = Client()
    client.force_login(admin.user)

    for url in (PAGE, CSV, f"/finance/documents/{books['october'].pk}/pdf/",
                f"/finance/documents/{books['october'].pk}/ksef.xml"):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(books):
    response = Client().get(PAGE)

    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- the list -----------------------------------------------------------------------------------


def test_unfiltered_list_shows_every_document_newest_first_with_admin_links(books,
                                                                           finance_client):
    response = finance_client.get(PAGE)

    waiting = books["waiting"]
    assert numbers_listed(response) == [f"#{waiting.pk}", "PF/2026/11/0001", "FV/2026/11/0002",
                                        "FV/2026/11/0001", "FV/2026/10/0001"]
    content = response.content.decode()
    for document in books.values():
        assert reverse("admin:invoices_document_change", args=[document.pk]) in content
    assert "5 documents" in text(response)


def finance_row(response, document):
    match = re.search(rf'<tr id="document-{document.pk}">(.*?)</tr>', response.content.decode(),
                      re.S)
    assert match, f"no row for document #{document.pk}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def test_a_proforma_of_a_cancelled_order_is_listed_as_void_with_the_reason(make_account,
                                                                           finance_client):
    account, _admin = make_account("Acme")
    cancelled, void = order_with_proforma(account)
    order_transition(order=cancelled, to=OrderStatus.CANCELLED, reason=OrderVoidReason.STAFF,
                     actor=None, as_of=date(2026, 11, 18))
    _pending, payable = order_with_proforma(account)

    response = finance_client.get(PAGE)

    assert "Pro-forma Void — order cancelled: our staff cancelled it Nov. 16, 2026" in finance_row(
        response, void)
    assert "Pro-forma Issued Nov. 16, 2026" in finance_row(response, payable)


def test_totals_per_currency(books, finance_client):
    response = finance_client.get(PAGE, {"status": "issued"})

    totals = re.search(r'data-testid="totals-table">(.*?)</table>', response.content.decode(),
                       re.S).group(1)
    rows = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", r)).split())
            for r in re.findall(r"<tr data-currency=[^>]*>(.*?)</tr>", totals, re.S)]
    # EUR: 14,00 + 3,22 VAT (13,72 PLN at 4,2595); PLN: 59 + 118 net of the two VAT invoices —
    # the pro-forma PF/2026/11/0001 (59 net) is not a tax document and is not counted
    assert rows == ["Total EUR 1 14.00 3.22 17.22 13.72",
                    "Total PLN 2 177.00 40.71 217.71 —"]
    assert ("Totals of tax documents: issued VAT invoices, and corrections by their difference. "
            "Pro-formas are not included (not tax documents), nor are documents waiting for the "
            "NBP rate.") in text(response)


@pytest.mark.parametrize("query, expected", [
    ({"issued_from": "2026-11-01", "issued_to": "2026-11-10"},
     ["FV/2026/11/0002", "FV/2026/11/0001"]),
    ({"issued_to": "2026-10-31"}, ["FV/2026/10/0001"]),
    ({"account": "glob"}, ["#waiting", "FV/2026/11/0002"]),
    ({"account": "ACME", "kind": "proforma"}, ["PF/2026/11/0001"]),
    ({"currency": "EUR", "status": "issued"}, ["FV/2026/11/0002"]),
    ({"status": "waiting_for_rate"}, ["#waiting"]),
    ({"kind": "invoice", "currency": "PLN"}, ["FV/2026/11/0001", "FV/2026/10/0001"]),
    ({"account": "nobody"}, []),
])
def test_filters(books, finance_client, query, expected):
    response = finance_client.get(PAGE, query)

    assert response.status_code == 200
    expected = [f"#{books['waiting'].pk}" if n == "#waiting" else n for n in expected]
    assert numbers_listed(response) == expected
    if not expected:
        assert "No documents match the filter." in text(response)


@pytest.mark.parametrize("query, field, error", [
    ({"issued_from": "2026-13-45"}, "issued_from",
     "Enter the date as YYYY-MM-DD, for example 2026-11-16."),
    ({"issued_from": "2026-11-20", "issued_to": "2026-11-01"}, "issued_to",
     "The end date cannot be before the start date."),
    ({"kind": "receipt"}, "kind",
     "Select a valid choice. receipt is not one of the available choices."),
    ({"currency": "GBP"}, "currency",
     "Select a valid choice. GBP is not one of the available choices."),
    ({"account": "x" * 201}, "account",
     "Ensure this value has at most 200 characters (it has 201)."),
])
def test_bad_filter_input_is_shown_on_the_form(books, finance_client, query, field, error):
    response = finance_client.get(PAGE, query)

    assert response.status_code == 400
    assert field_errors(response, field) == [error]
    assert numbers_listed(response) == []
    for url in (ZIP, CSV, XLSX):  # the exports refuse it the same way
        export = finance_client.get(url, query)
        assert export.status_code == 400 and field_errors(export, field) == [error]


# --- downloads ----------------------------------------------------------------------------------


def test_download_one_stored_pdf(books, finance_client, media):
    document = books["globex_eur"]

    response = finance_client.get(f"/finance/documents/{document.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="FV-2026-11-0002.pdf"'
    assert b"".join(response.streaming_content) == (media / document.pdf.name).read_bytes()


def test_a_pdf_not_stored_yet_is_being_prepared(books, finance_client):
    response = finance_client.get(f"/finance/documents/{books['proforma'].pk}/pdf/",
                                  follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "The PDF of PF/2026/11/0001 is being prepared." in text(response)
    books["proforma"].refresh_from_db()
    assert not books["proforma"].pdf


def test_zip_of_the_filtered_set_holds_the_stored_pdfs_and_lists_the_missing(books,
                                                                           finance_client,
                                                                           media):
    response = finance_client.get(ZIP, {"account": "acme"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="documents-20261120.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["FV-2026-10-0001.pdf", "FV-2026-10-0001.xml",
                                          "FV-2026-11-0001.pdf", "FV-2026-11-0001.xml",
                                          "README.txt"]
    assert b"<P_2>FV/2026/11/0001</P_2>" in archive.read("FV-2026-11-0001.xml")
    assert archive.read("FV-2026-11-0001.pdf") == (
        media / books["acme_nov"].pdf.name).read_bytes()
    readme = archive.read("README.txt").decode()
    assert "Documents in this archive: 2." in readme
    assert "Documents without a stored PDF yet (1), not included:\n- PF/2026/11/0001" in readme
    assert "FA(3) e-invoice XML files (KSeF) of VAT and corrective invoices: 2." in readme


def test_csv_export_of_the_filtered_list(books, finance_client):
    response = finance_client.get(CSV, {"issued_from": "2026-11-01", "status": "issued"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="documents-20261120.csv"'
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")  # spreadsheets then read the Polish letters right
    rows = list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))
    assert rows == [
        HEADER,
        ["PF/2026/11/0001", "proforma", "issued", "2026-11-16", "2026-11-16", "Acme",
         "Acme Sp. z o.o.", "5252344078", "PLN", "59.00", "13.57", "72.57", "", "", "23",
         *NO_DIFFERENCE, "", ""],  # a pro-forma has no KSeF status
        # a buyer name that looks like a formula is kept as text
        ["FV/2026/11/0002", "invoice", "issued", "2026-11-10", "2026-11-10", "Globex",
         "'=Globex GmbH", "", "EUR", "14.00", "3.22", "17.22", "13.72", "4.259500", "23",
         *NO_DIFFERENCE, "not_sent", ""],
        ["FV/2026/11/0001", "invoice", "issued", "2026-11-03", "2026-11-03", "Acme",
         "Acme Sp. z o.o.", "5252344078", "PLN", "118.00", "27.14", "145.14", "", "", "23",
         *NO_DIFFERENCE, "not_sent", ""],
    ]


def test_xlsx_export_of_the_filtered_list(books, finance_client):
    response = finance_client.get(XLSX, {"currency": "EUR"})

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["Documents"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    # empty text cells read back as None; the waiting invoice has no number yet
    assert rows[1] == (None, "invoice", "waiting_for_rate", datetime(2026, 11, 19),
                       datetime(2026, 11, 19), "Globex", "Globex GmbH", None, "EUR", 59, 13.57,
                       72.57, None, None, "23", None, None, None, None, None, None, None)
    assert rows[2] == ("FV/2026/11/0002", "invoice", "issued", datetime(2026, 11, 10),
                       datetime(2026, 11, 10), "Globex", "=Globex GmbH", None, "EUR", 14, 3.22,
                       17.22, 13.72, 4.2595, "23", None, None, None, None, None, "not_sent",
                       None)
    assert len(rows) == 3
    name_cell = sheet.cell(row=3, column=7)
    assert name_cell.data_type == "s"  # text, not a formula
    assert sheet.cell(row=3, column=10).number_format == "0.00"
    assert sheet.freeze_panes == "A2"


def test_exports_reflect_exactly_the_filtered_set(books, finance_client):
    filters = {"kind": "invoice", "currency": "PLN"}
    listed = numbers_listed(finance_client.get(PAGE, filters))

    csv_rows = list(csv.reader(io.StringIO(
        b"".join(finance_client.get(CSV, filters).streaming_content).decode("utf-8-sig"))))
    workbook = openpyxl.load_workbook(io.BytesIO(
        b"".join(finance_client.get(XLSX, filters).streaming_content)))

    assert [row[0] for row in csv_rows[1:]] == listed
    assert [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)] == listed
    assert Decimal(csv_rows[1][11]) + Decimal(csv_rows[2][11]) == Decimal("217.71")


def test_currency_totals_have_two_decimal_places_whatever_the_database_sums_to():
    """SQLite (the zero-configuration demo) sums decimal columns as floats."""
    from decimal import Decimal

    from invoices.views_documents import _money_row

    row = _money_row({"currency": "PLN", "count": 2, "net": 1180, "vat": 271.40000000000003,
                      "gross": Decimal("1451.4"), "vat_pln": None})
    assert row == {"currency": "PLN", "count": 2, "net": Decimal("1180.00"),
                   "vat": Decimal("271.40"), "gross": Decimal("1451.40"), "vat_pln": None}
    assert all(str(row[k]).split(".")[1] == "00" or len(str(row[k]).split(".")[1]) == 2
               for k in ("net", "vat", "gross"))


# --- FA(3) e-invoice XML (issue 15) --------------------------------------------------------------


def test_invoices_have_an_xml_link_and_proformas_and_waiting_ones_none(books, finance_client):
    from invoices.ksef.schema import validation_errors

    page = finance_client.get(PAGE).content.decode()
    for key in ("october", "acme_nov", "globex_eur"):
        assert f"/finance/documents/{books[key].pk}/ksef.xml" in page, key
    for key in ("proforma", "waiting"):
        assert f"/finance/documents/{books[key].pk}/ksef.xml" not in page, key

    response = finance_client.get(f"/finance/documents/{books['globex_eur'].pk}/ksef.xml")
    assert response.status_code == 200
    assert validation_errors(response.content) == []
    assert b"<P_14_1W>" in response.content  # EUR with VAT: the VAT in PLN at the NBP rate


def test_xml_of_a_proforma_goes_back_to_the_list_saying_why(books, finance_client):
    response = finance_client.get(f"/finance/documents/{books['proforma'].pk}/ksef.xml",
                                  follow=True)

    assert response.redirect_chain[-1][0] == PAGE
    assert "A pro-forma is not a tax document, so it has no KSeF e-invoice." in text(response)
