"""FA(3) XML of every document kind and buyer type validates against the official schema
(issue 15), and carries the values the document shows."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from invoices.ksef.fa3 import CorrectedInvoice, Fa3NotApplicable, build_fa3
from invoices.ksef.schema import NAMESPACE, nip_accepted_by_ksef, validation_errors
from invoices.models import DocumentKind

from .factories import Line, buyer_data, issued_document

pytestmark = pytest.mark.django_db

CREATED = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
NS = {"fa": NAMESPACE}


def fa3(document, corrected=None):
    xml = build_fa3(document, created_at=CREATED, corrected=corrected)
    assert validation_errors(xml) == []
    return etree.fromstring(xml)


def text(tree, path):
    found = tree.find(path, NS)
    return None if found is None else found.text


def correction_of(original, *, lines=None, buyer=None, reason="Zwrot za stanowisko"):
    return issued_document(original.account, kind=DocumentKind.CORRECTION, corrects=original,
                           lines=lines, buyer=buyer or original.buyer, correction_reason=reason,
                           currency=original.currency, vat_code=original.vat_code,
                           exchange_rate=original.exchange_rate)


def named(original, ksef_number=""):
    return CorrectedInvoice(original.number, original.issue_date, ksef_number)


@pytest.fixture
def account(make_account):
    return make_account("Acme")[0]


def test_polish_company_invoice_has_the_buyers_nip_and_23_percent(account):
    document = issued_document(account, lines=[Line("Base — seat", 3, "59.00")])
    tree = fa3(document)
    assert text(tree, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NIP") == "5252344078"
    assert text(tree, "fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:NIP") == document.seller["tax_id"]
    assert text(tree, "fa:Fa/fa:P_2") == document.number
    assert text(tree, "fa:Fa/fa:P_13_1") == "177.00"
    assert text(tree, "fa:Fa/fa:P_14_1") == "40.71"
    assert text(tree, "fa:Fa/fa:P_15") == "217.71"
    assert text(tree, "fa:Fa/fa:FaWiersz/fa:P_12") == "23"
    assert text(tree, "fa:Fa/fa:RodzajFaktury") == "VAT"
    assert text(tree, "fa:Fa/fa:Adnotacje/fa:P_18") == "2"
    assert text(tree, "fa:Fa/fa:Platnosc/fa:TerminPlatnosci/fa:Termin") == "2026-11-30"


def test_polish_consumer_invoice_has_no_buyer_id(account):
    document = issued_document(account, buyer=buyer_data("Jan Kowalski", tax_id="",
                                                         kind="person"))
    tree = fa3(document)
    assert text(tree, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:BrakID") == "1"
    assert tree.find("fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NIP", NS) is None


def test_eu_business_reverse_charge_has_vat_id_np_ii_and_the_annotation(account):
    document = issued_document(
        account, currency="EUR", vat_code="reverse_charge",
        buyer=buyer_data("Muster GmbH", country="DE", tax_id="DE136695976"),
        lines=[Line("Base — seat", 2, "14.00")])
    tree = fa3(document)
    assert text(tree, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:KodUE") == "DE"
    assert text(tree, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NrVatUE") == "136695976"
    assert text(tree, "fa:Fa/fa:P_13_9") == "28.00"
    assert tree.find("fa:Fa/fa:P_13_1", NS) is None
    assert text(tree, "fa:Fa/fa:FaWiersz/fa:P_12") == "np II"
    assert text(tree, "fa:Fa/fa:Adnotacje/fa:P_18") == "1"
    assert text(tree, "fa:Fa/fa:KodWaluty") == "EUR"


def test_greek_vat_id_uses_the_vies_prefix_el(account):
    document = issued_document(account, currency="EUR", vat_code="reverse_charge",
                               buyer=buyer_data("Alpha AE", country="GR", tax_id="EL094259216"))
    tree = fa3(document)
    assert text(tree, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:KodUE") == "EL"
    assert text(tree, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NrVatUE") == "094259216"


def test_non_eu_buyer_is_not_subject_np_i_with_country_and_tax_id(account):
    document = issued_document(account, currency="USD", vat_code="np",
                               buyer=buyer_data("Acme Inc.", country="US", tax_id="12-3456789"))
    tree = fa3(document)
    assert text(tree, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:KodKraju") == "US"
    assert text(tree, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NrID") == "12-3456789"
    assert text(tree, "fa:Podmiot2/fa:Adres/fa:KodKraju") == "US"
    assert text(tree, "fa:Fa/fa:P_13_8") == "59.00"
    assert text(tree, "fa:Fa/fa:FaWiersz/fa:P_12") == "np I"


def test_eur_invoice_with_vat_gives_the_vat_in_pln_at_the_nbp_rate(account):
    # an EU consumer: 23 % charged in EUR; 2 × 14.00 = 28.00 net, VAT 6.44 EUR × 4.2345
    document = issued_document(
        account, currency="EUR", buyer=buyer_data("Hans Muster", country="DE", tax_id=""),
        lines=[Line("Base — seat", 2, "14.00")], exchange_rate="4.2345",
        exchange_rate_date=date(2026, 11, 13))
    tree = fa3(document)
    assert text(tree, "fa:Fa/fa:P_14_1") == "6.44"
    assert text(tree, "fa:Fa/fa:P_14_1W") == str(document.vat_pln) == "27.27"
    assert text(tree, "fa:Fa/fa:FaWiersz/fa:KursWaluty") == "4.2345"


def test_correction_of_lines_lists_before_and_after_and_totals_the_difference(account):
    original = issued_document(account, lines=[Line("Base — seat", 5, "59.00")])
    correction = correction_of(original, lines=[Line("Base — seat", 3, "59.00")])
    tree = fa3(correction, named(original, "5260250995-20261116-0100A0B1C2D3-E4"))
    assert text(tree, "fa:Fa/fa:RodzajFaktury") == "KOR"
    assert text(tree, "fa:Fa/fa:PrzyczynaKorekty") == "Zwrot za stanowisko"
    assert text(tree, "fa:Fa/fa:DaneFaKorygowanej/fa:NrFaKorygowanej") == original.number
    assert text(tree, "fa:Fa/fa:DaneFaKorygowanej/fa:NrKSeFFaKorygowanej") == \
        "5260250995-20261116-0100A0B1C2D3-E4"
    assert text(tree, "fa:Fa/fa:P_13_1") == "-118.00"  # 3 − 5 seats × 59.00
    assert text(tree, "fa:Fa/fa:P_14_1") == "-27.14"
    rows = tree.findall("fa:Fa/fa:FaWiersz", NS)
    assert [(text(r, "fa:P_8B"), text(r, "fa:StanPrzed")) for r in rows] == \
        [("5", "1"), ("3", None)]


def test_correction_of_buyer_data_carries_the_old_buyer_and_a_zero_difference(account):
    original = issued_document(account)
    moved = buyer_data("Acme Sp. z o.o.", street="ul. Nowa 2", tax_id="5213017228")
    correction = correction_of(original, buyer=moved, reason="Dane nabywcy")
    tree = fa3(correction, named(original))
    assert text(tree, "fa:Fa/fa:DaneFaKorygowanej/fa:NrKSeFN") == "1"
    assert text(tree, "fa:Fa/fa:Podmiot2K/fa:DaneIdentyfikacyjne/fa:NIP") == "5252344078"
    assert text(tree, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NIP") == "5213017228"
    assert text(tree, "fa:Fa/fa:P_15") == "0.00"
    assert text(tree, "fa:Fa/fa:TypKorekty") == "1"


def test_a_paid_invoice_says_paid_with_the_form_of_payment(account):
    document = issued_document(account)
    document.paid_by = "card"  # not saved: the builder reads the snapshot it is given
    tree = fa3(document)
    assert text(tree, "fa:Fa/fa:Platnosc/fa:Zaplacono") == "1"
    assert text(tree, "fa:Fa/fa:Platnosc/fa:FormaPlatnosci") == "2"


def test_a_proforma_has_no_e_invoice(account):
    proforma = issued_document(account, kind=DocumentKind.PROFORMA)
    with pytest.raises(Fa3NotApplicable):
        build_fa3(proforma, created_at=CREATED)


def test_the_validator_names_what_is_wrong(account):
    xml = build_fa3(issued_document(account), created_at=CREATED)
    broken = xml.replace(b"<P_2>", b"<P_2X>").replace(b"</P_2>", b"</P_2X>")
    errors = validation_errors(broken)
    assert errors and "P_2X" in errors[0]
    assert validation_errors(b"<not-closed>")[0].startswith("line 1:")


@pytest.mark.parametrize(("nip", "accepted"), [
    ("0000000000", False),  # passes the checksum, refused by the schema's pattern
    ("1001000000", False),  # second and third digits both 0
    ("5252344078", True),
    ("5260250995", True),
])
def test_nip_pattern_of_the_schema(nip, accepted):
    assert nip_accepted_by_ksef(nip) is accepted


def test_amounts_keep_two_decimals_and_quantities_their_own_precision(account):
    document = issued_document(account, lines=[Line("Base — seat (prorated)", "0.5", "59.00")])
    tree = fa3(document)
    assert text(tree, "fa:Fa/fa:FaWiersz/fa:P_8B") == "0.5"
    assert Decimal(text(tree, "fa:Fa/fa:FaWiersz/fa:P_11")) == Decimal("29.50")
