"""Finance totals count tax documents, and corrections by their difference (issue 7, item 8).

The rules that can fail:
- the finance list's totals per currency add up issued tax documents only — VAT invoices and
  corrections; a pro-forma is not a tax document (SPEC §7) and never counts;
- a correction stores the invoice *as corrected* (`invoices.services.documents`), so it counts by
  its difference — its totals minus those of the document it corrects — and a chain of
  corrections adds up to the invoice as it finally stands;
- wherever a correction is listed (History, the finance list) its amount is that difference
  (0.00 for a buyer-data correction, negative for a refund), the value after correction beside
  it; the CSV / XLSX exports carry kind, VAT code, the corrected number and the differences;
- all of it costs the same number of queries for 2 documents or 40 (no query per row).

State is built through the documents service (numbers, snapshots and totals as in production).
"""

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from invoices import selectors
from invoices.models import Document, DocumentKind, ExchangeRate, TaxIdStatus
from invoices.services.documents import (
    LineInput,
    correction_issue,
    correction_issue_buyer_data,
    document_issue,
)

from . import billing_profile
from .factories import staff_user

pytestmark = pytest.mark.django_db

D = Decimal
FINANCE = "/finance/documents/"
HISTORY = "/account/history/"
CSV = "/finance/documents/documents.csv"
XLSX = "/finance/documents/documents.xlsx"
FRI, MON = date(2026, 11, 13), date(2026, 11, 16)
TUE, WED, THU = date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)


def seats(count, price="59.00"):
    return [LineInput("Licencja stanowiska — pakiet Base", D(count), D(price))]


def issue(account, kind=DocumentKind.INVOICE, lines=None, as_of=MON):
    return document_issue(account=account, kind=kind, lines=lines or seats(5), sale_date=as_of,
                          as_of=as_of)


def refund_to(document, count, *, as_of, actor=None, price="59.00"):
    """A correction leaving `count` seats on the invoice (a partial refund)."""
    return correction_issue(original=document, lines=seats(count, price),
                            reason="Zwrot za stanowisko", actor=actor, as_of=as_of)


@pytest.fixture
def acme(make_account):
    account, admin = make_account("Acme")
    billing_profile(account)  # Polish company: PLN, 23 %
    return account, admin.user


@pytest.fixture
def finance_client(django_user_model):
    client = Client()
    client.force_login(staff_user(django_user_model, "finance@vendor.example",
                                  groups=["finance"]))
    return client


def admin_client(user):
    client = Client()
    client.force_login(user)
    return client


def squash(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def totals(response):
    """The totals table's rows as text, e.g. "Total PLN 2 295.00 67.85 362.85 —"."""
    table = re.search(r'data-testid="totals-table">(.*?)</table>', response.content.decode(),
                      re.S)
    if table is None:
        return []
    return [squash(r) for r in re.findall(r"<tr data-currency=[^>]*>(.*?)</tr>", table.group(1),
                                          re.S)]


def row(response, document):
    match = re.search(rf'<tr id="document-{document.pk}">(.*?)</tr>', response.content.decode(),
                      re.S)
    assert match, f"no row for document #{document.pk}"
    return squash(match.group(1))


# --- the issue's examples --------------------------------------------------------------------


def test_a_proforma_is_not_a_tax_document_and_is_not_in_the_totals(acme, finance_client):
    account, _ = acme
    issue(account)  # FV/2026/11/0001: 295.00 + 67.85 = 362.85
    proforma = issue(account, kind=DocumentKind.PROFORMA, lines=seats(2))  # 118.00 / 145.14

    response = finance_client.get(FINANCE)

    assert totals(response) == ["Total PLN 1 295.00 67.85 362.85 —"]
    assert "Pro-formas are not included (not tax documents)" in squash(
        response.content.decode())
    # listed, with its own amounts, but not counted; filtered on its own there is nothing to total
    assert "PF/2026/11/0001 Pro-forma" in row(response, proforma)
    assert totals(finance_client.get(FINANCE, {"kind": "proforma"})) == []


def test_a_buyer_data_correction_shows_and_counts_a_difference_of_zero(acme, finance_client):
    account, user = acme
    invoice = issue(account)
    profile = account.billing_profile
    profile.name = "Acme Polska Sp. z o.o."
    profile.save()
    correction = correction_issue_buyer_data(original=invoice, actor=user, as_of=TUE)
    assert correction.gross == D("362.85")  # stored as the invoice after correction

    history = admin_client(user).get(HISTORY)
    assert row(history, correction) == (
        "KOR/2026/11/0001 Corrective invoice corrects FV/2026/11/0001 Nov. 17, 2026 0.00 "
        "difference; 362.85 after correction PLN Issued PDF being prepared XML (KSeF) Add note "
        "Note on KOR/2026/11/0001 Printed on the invoice PDF (at most 500 characters). "
        "Save note")
    assert "Nov. 16, 2026 362.85 PLN" in row(history, invoice)

    finance = finance_client.get(FINANCE)
    assert ("0.00 295.00 after correction 0.00 67.85 after correction "
            "0.00 PLN 362.85 after correction") in row(finance, correction)
    assert totals(finance) == ["Total PLN 2 295.00 67.85 362.85 —"]  # not 725.70


def test_a_partial_correction_counts_by_its_difference(acme, finance_client):
    account, user = acme
    invoice = issue(account)  # 5 seats: 295.00 / 67.85 / 362.85
    refund = refund_to(invoice, 4, as_of=WED)  # 4 seats: 236.00 / 54.28 / 290.28

    finance = finance_client.get(FINANCE)
    assert totals(finance) == ["Total PLN 2 236.00 54.28 290.28 —"]  # the invoice as corrected
    assert ("-59.00 236.00 after correction -13.57 54.28 after correction "
            "-72.57 PLN 290.28 after correction") in row(finance, refund)
    assert "-72.57 difference; 290.28 after correction" in row(
        admin_client(user).get(HISTORY), refund)
    # the period of the refund alone: what it changed
    assert totals(finance_client.get(FINANCE, {"issued_from": "2026-11-17"})) == [
        "Total PLN 1 -59.00 -13.57 -72.57 —"]


# --- corrections of corrections, currencies, exports --------------------------------------------


@pytest.fixture
def two_chains(acme, make_account):
    """PLN: FV/2026/11/0001 (5 seats, Mon) → buyer data (Tue) → 4 seats (Wed) → 3 seats (Thu).
    EUR (a German company without a VAT id, 23 %, NBP 4.2345): FV/2026/11/0002 (5 × 14.00, Mon)
    → 4 seats (Wed)."""
    account, user = acme
    invoice = issue(account)
    buyer_data = correction_issue_buyer_data(original=invoice, actor=user, as_of=TUE)
    four = refund_to(invoice, 4, as_of=WED)
    three = refund_to(invoice, 3, as_of=THU)
    assert (four.corrects, three.corrects) == (buyer_data, four)

    beispiel, _admin = make_account("Beispiel", country="DE")
    billing_profile(beispiel, tax_id="", tax_id_status=TaxIdStatus.NOT_APPLICABLE)
    ExchangeRate.objects.create(currency="EUR", effective_date=FRI, rate=D("4.2345"))
    eur = issue(beispiel, lines=seats(5, "14.00"))  # 70.00 / 16.10 / 86.10, 68.18 PLN
    eur_four = refund_to(eur, 4, price="14.00", as_of=WED)  # 56.00 / 12.88 / 68.88, 54.54 PLN
    return {"invoice": invoice, "buyer_data": buyer_data, "four": four, "three": three,
            "eur": eur, "eur_four": eur_four}


def test_corrections_of_corrections_count_from_the_previous_state_per_currency(two_chains,
                                                                              finance_client):
    docs = two_chains
    difference = selectors.document_difference(docs["three"])
    assert (difference.net, difference.gross) == (D("-59.00"), D("-72.57"))  # from 4 seats

    # every document: each currency adds up to its invoice as it finally stands
    assert totals(finance_client.get(FINANCE)) == [
        "Total EUR 2 56.00 12.88 68.88 54.54",  # 68.18 − 13.64 PLN
        "Total PLN 4 177.00 40.71 217.71 —",  # 3 seats: 362.85 + 0 − 72.57 − 72.57
    ]
    # from Tuesday: only the corrections, each by what it changed
    assert totals(finance_client.get(FINANCE, {"issued_from": "2026-11-17"})) == [
        "Total EUR 1 -14.00 -3.22 -17.22 -13.64",
        "Total PLN 3 -118.00 -27.14 -145.14 —",
    ]
    assert totals(finance_client.get(FINANCE, {"currency": "EUR"})) == [
        "Total EUR 2 56.00 12.88 68.88 54.54"]
    # the selector agrees with document_difference, document by document
    annotated = selectors.documents_with_difference(Document.objects.all())
    for document in annotated:
        expected = selectors.document_difference(document)
        got = (document.difference_net, document.difference_vat, document.difference_gross,
               document.difference_vat_pln)
        assert got == ((None,) * 4 if expected is None else
                       (expected.net, expected.vat, expected.gross, expected.vat_pln))


def test_exports_carry_kind_vat_code_corrected_number_and_differences(two_chains,
                                                                      finance_client):
    content = b"".join(finance_client.get(CSV).streaming_content).decode("utf-8-sig")
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(content))}
    picked = ["kind", "vat_code", "gross", "corrects_number", "net_difference", "vat_difference",
              "gross_difference", "vat_pln_difference"]
    assert {number: [r[k] for k in picked] for number, r in rows.items()} == {
        "FV/2026/11/0001": ["invoice", "23", "362.85", "", "", "", "", ""],
        "KOR/2026/11/0001": ["correction", "23", "362.85", "FV/2026/11/0001", "0.00", "0.00",
                             "0.00", ""],
        "KOR/2026/11/0002": ["correction", "23", "290.28", "KOR/2026/11/0001", "-59.00",
                             "-13.57", "-72.57", ""],
        "KOR/2026/11/0003": ["correction", "23", "217.71", "KOR/2026/11/0002", "-59.00",
                             "-13.57", "-72.57", ""],
        "FV/2026/11/0002": ["invoice", "23", "86.10", "", "", "", "", ""],
        "KOR/2026/11/0004": ["correction", "23", "68.88", "FV/2026/11/0002", "-14.00", "-3.22",
                             "-17.22", "-13.64"],
    }

    workbook = openpyxl.load_workbook(io.BytesIO(
        b"".join(finance_client.get(XLSX, {"currency": "EUR"}).streaming_content)))
    sheet = workbook["Documents"]
    header, *body = sheet.iter_rows(values_only=True)
    assert sheet.auto_filter.ref == "A1:V3"
    got = [dict(zip(header, values, strict=True)) for values in body]
    assert [(r["number"], r["corrects_number"], r["gross_difference"], r["vat_pln_difference"])
            for r in got] == [("KOR/2026/11/0004", "FV/2026/11/0002", -17.22, -13.64),
                              ("FV/2026/11/0002", None, None, None)]


# --- no query per row ----------------------------------------------------------------------------


def queries(client, url, params=None):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_lists_and_exports_cost_the_same_queries_for_few_and_many_corrections(
        acme, finance_client):
    account, user = acme
    client = admin_client(user)

    def chains(count):
        for _ in range(count):
            refund_to(refund_to(issue(account), 4, as_of=WED), 3, as_of=THU)
            issue(account, kind=DocumentKind.PROFORMA)

    chains(1)
    few = [queries(finance_client, FINANCE), queries(finance_client, CSV),
           queries(finance_client, XLSX), queries(client, HISTORY)]
    chains(12)
    assert Document.objects.count() == 13 * 4
    many = [queries(finance_client, FINANCE), queries(finance_client, CSV),
            queries(finance_client, XLSX), queries(client, HISTORY)]
    assert few == many
    assert totals(finance_client.get(FINANCE)) == [
        "Total PLN 39 2,301.00 529.23 2,830.23 —"]  # 13 invoices as corrected: 13 × 3 seats
