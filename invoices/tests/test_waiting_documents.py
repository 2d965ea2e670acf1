"""A document waiting for its NBP rate is numbered with the invoice data as they stand then (issue
7, item 4; see the docstring of `invoices.services.documents`).

The rule that can fail: an unnumbered document has been issued to nobody yet, so a change of the
invoice data while it waits must reach it when it is numbered (name, address, tax id, ordering
party, invoice e-mail) — with no buyer-data correction of it — while its VAT treatment and amounts
stay those it was requested (and quoted) with.

Invoice data change through `billing_profile_update`; NBP is the local HTTP stub reached by the
real rates task; VIES is the local stub of `test_vies`.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from invoices.models import Document, DocumentKind, DocumentStatus, ExchangeRate
from invoices.services.documents import (
    LineInput,
    correction_issue,
    correction_issue_buyer_data,
    document_issue,
)
from invoices.services.profile import billing_profile_update
from invoices.tasks import fetch_nbp_rates
from seats.models import AuditEntry

from .factories import rendered
from .stubs import nbp_table_json, nbp_table_path, stub_server
from .test_pdf import pdf_text
from .test_vies import VALID, running_vies_stub

pytestmark = pytest.mark.django_db

D = Decimal
THU = date(2026, 11, 12)
FRI = date(2026, 11, 13)
MON = date(2026, 11, 16)

# A German company without a VAT id: billed as a consumer, EUR with 23 % Polish VAT, so its
# invoices need the NBP rate of the last business day before the issue date.
BEISPIEL = {
    "kind": "company", "name": "Beispiel GmbH", "street": "Musterstraße 1", "postal_code": "10115",
    "city": "Berlin", "country": "DE", "tax_id": "", "invoice_email": "rechnungen@beispiel.example",
}
RENAMED = {"name": "Beispiel Software GmbH", "street": "Neue Allee 5", "postal_code": "80331",
           "city": "München", "invoice_email": "ap@beispiel-software.example"}
PARENT = {
    "ordering_party_name": "Beispiel Holding AG", "ordering_party_street": "Ring 9",
    "ordering_party_postal_code": "1010", "ordering_party_city": "Wien",
    "ordering_party_country": "AT", "ordering_party_tax_id": "",
}


@pytest.fixture
def nbp_stub(settings):
    with stub_server() as stub:
        settings.NBP_API_URL = stub.url("/api")
        settings.NBP_TIMEOUT = 2
        yield stub


@pytest.fixture
def beispiel(make_account):
    account, admin = make_account("Beispiel", country="DE")
    billing_profile_update(account=account, data=BEISPIEL, actor=admin.user, as_of=THU)
    return account, admin.user


def change_invoice_data(account, actor, **changes):
    return billing_profile_update(account=account, data={**BEISPIEL, **changes}, actor=actor,
                                  as_of=MON)


def eur_invoice(account, as_of=MON):
    """3 seats × 14.00 EUR: net 42.00, VAT 23 % 9.66, gross 51.66."""
    return document_issue(account=account, kind=DocumentKind.INVOICE,
                          lines=[LineInput("Licencja stanowiska", D(3), D("14.00"))],
                          sale_date=as_of, as_of=as_of)


def nbp_publishes_fridays_table(stub):
    """Friday's table arrives; the rates task stores it and issues what waited for it."""
    stub.route(nbp_table_path(FRI), json=nbp_table_json(FRI, number="221/A/NBP/2026",
                                                        rates={"EUR": "4.2345"}))
    return fetch_nbp_rates.delay(as_of=MON.isoformat()).get()


def corrections():
    return Document.objects.filter(kind=DocumentKind.CORRECTION)


def test_waiting_invoice_is_numbered_with_the_invoice_data_as_they_stand_then(beispiel, nbp_stub):
    """The issue's example: an EUR invoice waits for its rate; the invoice data's name and
    address change; the rate arrives; the invoice is issued with the new name and address (on
    its PDF and to the new invoice address too) and no correction is issued for it."""
    account, user = beispiel
    doc = eur_invoice(account)
    assert doc.status == DocumentStatus.WAITING_FOR_RATE
    assert doc.buyer["name"] == "Beispiel GmbH"

    result = change_invoice_data(account, user, **RENAMED)
    assert result.correction is None  # nothing issued with the old data yet

    assert nbp_publishes_fridays_table(nbp_stub)["issued"] == ["FV/2026/11/0001"]
    doc.refresh_from_db()
    assert (doc.status, doc.number, doc.issue_date) == (DocumentStatus.ISSUED,
                                                       "FV/2026/11/0001", MON)
    assert {key: doc.buyer[key] for key in RENAMED} == RENAMED
    assert (doc.buyer["country"], doc.buyer["tax_id"]) == ("DE", "")
    assert doc.ordering_party is None
    # the amounts are those requested; the VAT in PLN at Friday's rate
    assert (doc.vat_code, doc.net, doc.vat, doc.gross) == ("23", D("42.00"), D("9.66"),
                                                           D("51.66"))
    assert doc.vat_pln == D("40.91")  # 9.66 × 4.2345 = 40.905… → 40.91
    assert not corrections().exists()
    audit = AuditEntry.objects.get(action="document.issue", target_id=doc.pk)
    assert audit.before["buyer"]["name"] == "Beispiel GmbH"
    assert audit.after["buyer"]["name"] == "Beispiel Software GmbH"
    assert "buyer_vat_treatment_now" not in audit.after

    doc = rendered(doc)
    text = pdf_text(doc.pdf.open("rb").read())
    assert "Beispiel Software GmbH" in text and "Neue Allee 5" in text and "München" in text
    assert "Beispiel GmbH" not in text and "Musterstraße" not in text
    assert [message.to for message in mail.outbox] == [["ap@beispiel-software.example"]]


def test_waiting_invoice_keeps_its_vat_treatment_when_the_buyer_turns_reverse_charge(
        beispiel, nbp_stub, settings):
    """While the invoice waits, VIES confirms the buyer's new VAT id: new documents are reverse
    charge, but the waiting invoice keeps the 23 % and the amounts it was requested (and quoted)
    with; it shows the VAT id, and the audit row records the buyer's treatment now."""
    account, user = beispiel
    doc = eur_invoice(account)
    with running_vies_stub(settings) as vies:
        vies.answer(VALID)
        change_invoice_data(account, user, tax_id="DE136695976")

    nbp_publishes_fridays_table(nbp_stub)
    doc.refresh_from_db()
    assert (doc.buyer["tax_id"], doc.buyer["tax_id_status"]) == ("DE136695976", "valid")
    assert (doc.vat_code, doc.net, doc.vat, doc.gross, doc.vat_pln) == (
        "23", D("42.00"), D("9.66"), D("51.66"), D("40.91"))
    assert list(doc.lines.values_list("vat_code", "vat_rate", "net")) == [
        ("23", D("23.00"), D("42.00"))]
    assert list(doc.vat_totals.values_list("vat_code", "net", "vat", "gross", "vat_pln")) == [
        ("23", D("42.00"), D("9.66"), D("51.66"), D("40.91"))]
    audit = AuditEntry.objects.get(action="document.issue", target_id=doc.pk)
    assert audit.after["buyer_vat_treatment_now"] == "reverse_charge"
    # what changed is the treatment of documents requested from now on
    assert eur_invoice(account).vat_code == "reverse_charge"
    assert not corrections().exists()


def test_ordering_party_added_while_waiting_is_on_the_issued_invoice(beispiel, nbp_stub):
    account, user = beispiel
    doc = eur_invoice(account)
    assert doc.ordering_party is None

    change_invoice_data(account, user, **PARENT)
    nbp_publishes_fridays_table(nbp_stub)

    doc.refresh_from_db()
    assert doc.ordering_party == {"name": "Beispiel Holding AG", "street": "Ring 9",
                                  "postal_code": "1010", "city": "Wien", "country": "AT",
                                  "tax_id": ""}
    assert doc.buyer["name"] == "Beispiel GmbH"
    assert not corrections().exists()


def test_invoice_data_change_corrects_the_last_issued_invoice_and_not_the_waiting_ones(
        beispiel, nbp_stub):
    """An invoice issued on Friday (Thursday's rate known) and two requested on Monday that wait
    for Friday's rate. Changing the name corrects Friday's invoice (the last one issued) only;
    both waiting invoices are numbered later with the new name, in the order requested."""
    account, user = beispiel
    ExchangeRate.objects.create(currency="EUR", effective_date=THU, rate=D("4.2300"))
    issued = eur_invoice(account, as_of=FRI)
    first, second = eur_invoice(account), eur_invoice(account)
    assert (issued.status, first.status, second.status) == (
        DocumentStatus.ISSUED, DocumentStatus.WAITING_FOR_RATE, DocumentStatus.WAITING_FOR_RATE)

    correction = change_invoice_data(account, user, name="Beispiel Software GmbH").correction
    assert (correction.corrects, correction.buyer["name"]) == (issued, "Beispiel Software GmbH")
    assert (correction.net, correction.gross) == (issued.net, issued.gross)

    assert nbp_publishes_fridays_table(nbp_stub)["issued"] == ["FV/2026/11/0002",
                                                               "FV/2026/11/0003"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert [(d.number, d.buyer["name"]) for d in (first, second)] == [
        ("FV/2026/11/0002", "Beispiel Software GmbH"),
        ("FV/2026/11/0003", "Beispiel Software GmbH"),
    ]
    assert list(corrections().values_list("corrects_id", flat=True)) == [issued.pk]


def test_buyer_data_correction_of_an_unnumbered_document_issues_nothing(beispiel):
    """Asked directly, the buyer-data correction of a waiting document issues nothing: the
    document takes the buyer data when it is numbered."""
    account, user = beispiel
    doc = eur_invoice(account)
    assert correction_issue_buyer_data(original=doc, actor=user, as_of=MON) is None
    assert not corrections().exists()
    doc.refresh_from_db()
    assert (doc.status, doc.number) == (DocumentStatus.WAITING_FOR_RATE, "")


def test_invoice_data_can_change_while_a_correction_of_the_last_invoice_waits(beispiel, nbp_stub):
    """A correction can wait too: one re-invoicing after a full refund carries VAT again, and the
    refund (no VAT) has no rate to keep. Changing the invoice data then must not be refused
    because that correction waits; the waiting correction takes the new data when numbered."""
    account, user = beispiel
    ExchangeRate.objects.create(currency="EUR", effective_date=THU, rate=D("4.2300"))
    invoice = eur_invoice(account, as_of=FRI)
    refund = correction_issue(original=invoice, lines=[], reason="Zwrot", actor=user, as_of=FRI)
    assert (refund.gross, refund.exchange_rate) == (D("0.00"), None)
    again = correction_issue(original=invoice, reason="Ponowne obciążenie", actor=user, as_of=MON,
                             lines=[LineInput("Licencja stanowiska", D(1), D("14.00"))])
    assert again.status == DocumentStatus.WAITING_FOR_RATE

    result = change_invoice_data(account, user, **RENAMED)
    assert result.changed and result.correction is None

    nbp_publishes_fridays_table(nbp_stub)
    again.refresh_from_db()
    assert (again.status, again.number, again.corrects) == (DocumentStatus.ISSUED,
                                                           "KOR/2026/11/0002", refund)
    assert again.buyer["name"] == "Beispiel Software GmbH"
    assert (again.net, again.vat, again.gross) == (D("14.00"), D("3.22"), D("17.22"))
    assert corrections().count() == 2  # the refund and the re-invoicing; no buyer-data one
