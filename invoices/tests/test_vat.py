"""VAT rules (SPEC §7) and VAT arithmetic (SPEC §2): per rate, on the rate's net total, half up."""

from datetime import date
from decimal import Decimal

import pytest

from billing_site.errors import DomainError
from billing_site.vat import (
    VatTreatment,
    totals_by_rate,
    vat_amount,
    vat_treatment,
    vat_treatment_for_buyer,
)
from invoices.models import DocumentStatus, ExchangeRate, TaxIdStatus
from invoices.services.documents import LineInput, document_issue

from . import billing_profile

D = Decimal
AS_OF = date(2026, 11, 16)
RATE_DAY = date(2026, 11, 13)
STANDARD = VatTreatment(D("23"), "23")
NP = VatTreatment(D("0"), "np")


def issue(account, lines=None, **kwargs):
    lines = lines or [LineInput("Licencja stanowiska", D(2), D("59.00"))]
    return document_issue(account=account, kind="invoice", lines=lines, sale_date=AS_OF,
                          as_of=AS_OF, **kwargs)


# --- the rules, as a pure function ---------------------------------------------------------------


@pytest.mark.parametrize("country, business_valid, expected", [
    ("PL", False, ("23", D("23"))),
    ("PL", True, ("23", D("23"))),  # a Polish business pays Polish VAT, never reverse charge
    ("DE", True, ("reverse_charge", D("0"))),
    ("DE", False, ("23", D("23"))),
    ("CZ", True, ("reverse_charge", D("0"))),
    ("US", False, ("np", D("0"))),
    ("US", True, ("np", D("0"))),
    ("NO", True, ("np", D("0"))),  # EEA but not EU: outside the EU VAT area
    ("gb", False, ("np", D("0"))),
])
def test_vat_treatment_by_country_and_vat_status(country, business_valid, expected):
    treatment = vat_treatment(country=country, eu_business_with_valid_vat_id=business_valid)
    assert (treatment.code, treatment.rate) == expected


@pytest.mark.parametrize("is_company, status, code", [
    (True, TaxIdStatus.VALID, "reverse_charge"),
    (True, TaxIdStatus.PENDING, "23"),  # VIES down: not (yet) a reverse charge
    (True, TaxIdStatus.INVALID, "23"),
    (True, TaxIdStatus.NOT_APPLICABLE, "23"),
    (False, TaxIdStatus.VALID, "23"),
])
def test_reverse_charge_needs_a_business_with_a_vat_id_valid_in_vies(is_company, status, code):
    assert vat_treatment_for_buyer(country="DE", is_company=is_company,
                                   tax_id_status=status).code == code


def test_reverse_charge_and_np_carry_their_annotations():
    assert "odwrotne obciążenie" in vat_treatment(
        country="FR", eu_business_with_valid_vat_id=True).annotation
    assert vat_treatment(country="US").label == "np."
    assert vat_treatment(country="PL").annotation == ""


# --- arithmetic ----------------------------------------------------------------------------------


def test_vat_is_computed_once_on_the_rates_net_total_not_per_line():
    # per line: 0.10 × 23 % = 0.023 → 0.02, three lines 0.06; on the total: 0.30 → 0.069 → 0.07
    totals = totals_by_rate([(D("0.10"), STANDARD)] * 3)
    assert (totals.net, totals.vat, totals.gross) == (D("0.30"), D("0.07"), D("0.37"))


def test_vat_rounds_half_up():
    assert vat_amount(D("1.50"), D("23")) == D("0.35")  # 0.345 → 0.35 (half-even: 0.34)
    assert vat_amount(D("3.50"), D("23")) == D("0.81")  # 0.805 → 0.81 (half-even: 0.80)
    assert vat_amount(D("1.00"), D("23")) == D("0.23")
    assert vat_amount(D("0.10"), D("25")) == D("0.03")  # 0.025 → 0.03 (half-even: 0.02)


def test_totals_are_kept_per_rate_and_summed():
    totals = totals_by_rate([(D("100.00"), STANDARD), (D("0.10"), STANDARD),
                             (D("50.00"), NP), (D("-10.00"), STANDARD)])
    by_code = {t.vat_code: t for t in totals.by_rate}
    assert (by_code["23"].net, by_code["23"].vat) == (D("90.10"), D("20.72"))  # 20.723
    assert (by_code["np"].net, by_code["np"].vat) == (D("50.00"), D("0.00"))
    assert (totals.net, totals.vat, totals.gross) == (D("140.10"), D("20.72"), D("160.82"))
    assert [t.vat_code for t in totals.by_rate] == ["23", "np"]  # highest rate first


def test_line_net_is_quantity_times_unit_price_rounded_once_half_up():
    assert LineInput("x", D("0.5"), D("0.05")).net == D("0.03")  # 0.025 → 0.03
    assert LineInput("x", D("3"), D("19.99")).net == D("59.97")
    assert LineInput("x", D("1.3333"), D("10.00")).net == D("13.33")


# --- on documents --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_buyer_in_poland_pays_23_percent(make_account):
    account, _ = make_account("Acme")
    billing_profile(account)
    doc = issue(account)
    assert (doc.vat_code, doc.net, doc.vat, doc.gross) == ("23", D("118.00"), D("27.14"),
                                                           D("145.14"))
    assert [(t.vat_code, t.vat_rate, t.net, t.vat) for t in doc.vat_totals.all()] == [
        ("23", D("23.00"), D("118.00"), D("27.14"))]
    assert {line.vat_rate for line in doc.lines.all()} == {D("23")}


@pytest.mark.django_db
def test_polish_natural_person_pays_23_percent(make_account):
    account, _ = make_account("Jan")
    billing_profile(account, kind="person", name="Jan Kowalski", tax_id="")
    assert issue(account).vat_code == "23"


@pytest.mark.django_db
def test_eu_business_with_a_valid_vat_id_gets_reverse_charge_at_zero(make_account):
    account, _ = make_account("Beispiel", country="DE")
    billing_profile(account)  # DE, VAT id valid in VIES
    doc = issue(account, lines=[LineInput("Licencja stanowiska", D(2), D("14.00"))])
    assert doc.status == DocumentStatus.ISSUED  # no VAT, so no NBP rate is needed
    assert (doc.currency, doc.vat_code, doc.net, doc.vat, doc.gross) == (
        "EUR", "reverse_charge", D("28.00"), D("0.00"), D("28.00"))
    assert doc.vat_pln is None and doc.exchange_rate is None
    assert doc.buyer["tax_id_status"] == "valid"


@pytest.mark.django_db
@pytest.mark.parametrize("status", [TaxIdStatus.PENDING, TaxIdStatus.INVALID])
def test_eu_business_whose_vat_id_is_not_confirmed_pays_23_percent(make_account, status):
    account, _ = make_account("Beispiel", country="DE")
    billing_profile(account, tax_id_status=status)
    ExchangeRate.objects.create(currency="EUR", effective_date=RATE_DAY, rate=D("4.2345"))
    doc = issue(account, lines=[LineInput("Licencja stanowiska", D(2), D("14.00"))])
    assert (doc.vat_code, doc.vat) == ("23", D("6.44"))


@pytest.mark.django_db
def test_eu_consumer_pays_23_percent(make_account):
    account, _ = make_account("Privat", country="FR")
    billing_profile(account, name="Marie Dupont", tax_id="")
    ExchangeRate.objects.create(currency="EUR", effective_date=RATE_DAY, rate=D("4.2345"))
    doc = issue(account, lines=[LineInput("Licencja stanowiska", D(1), D("14.00"))])
    assert (doc.vat_code, doc.vat, doc.gross) == ("23", D("3.22"), D("17.22"))


@pytest.mark.django_db
def test_buyer_outside_the_eu_is_not_subject_to_polish_vat(make_account):
    account, _ = make_account("Example", country="US")
    billing_profile(account)
    doc = issue(account, lines=[LineInput("Licencja stanowiska", D(3), D("15.00"))])
    assert (doc.currency, doc.vat_code, doc.vat, doc.gross) == ("USD", "np", D("0.00"),
                                                                D("45.00"))
    assert doc.status == DocumentStatus.ISSUED and doc.vat_pln is None


@pytest.mark.django_db
def test_document_vat_is_per_rate_on_the_net_total(make_account):
    account, _ = make_account("Acme")
    billing_profile(account)
    doc = issue(account, lines=[LineInput(f"Pozycja {i}", D(1), D("0.10")) for i in range(3)])
    assert [line.net for line in doc.lines.all()] == [D("0.10")] * 3
    assert (doc.net, doc.vat, doc.gross) == (D("0.30"), D("0.07"), D("0.37"))


@pytest.mark.django_db
def test_unit_prices_beyond_cents_are_refused(make_account):
    account, _ = make_account("Acme")
    billing_profile(account)
    with pytest.raises(DomainError):
        issue(account, lines=[LineInput("x", D(3), D("0.335"))])
