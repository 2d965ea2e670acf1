"""Invoice data rules (SPEC §7), through `invoices.services.profile.billing_profile_update`:
tax ids (NIP checksum, EU VAT format, VIES), natural person only in Poland, e-mail, ordering party,
currency following the country for future documents only, audit rows, and the buyer-data
correction of the last VAT invoice.

VIES is the local HTTP stub of `test_vies` (a real server, reached over the wire).
"""

from datetime import date

import pytest

from invoices.models import (
    BillingProfile,
    Document,
    DocumentKind,
    TaxIdStatus,
)
from invoices.services.profile import ProfileErrors, billing_profile_update
from seats.models import Account, AuditEntry

from . import factories
from .test_vies import INVALID, MS_UNAVAILABLE, VALID, answer, closed_port_url, running_vies_stub

AS_OF = date(2026, 11, 16)

POLISH_COMPANY = {
    "kind": "company", "name": "Acme sp. z o.o.", "street": "ul. Prosta 1", "postal_code": "00-950",
    "city": "Warszawa", "country": "PL", "tax_id": "1234563218",
    "invoice_email": "faktury@acme.example",
}
GERMAN_COMPANY = {
    "kind": "company", "name": "Acme GmbH", "street": "Musterstraße 1", "postal_code": "10115",
    "city": "Berlin", "country": "DE", "tax_id": "DE136695976",
    "invoice_email": "billing@acme.example",
}


@pytest.fixture
def vies_stub(settings):
    with running_vies_stub(settings) as stub:
        yield stub


@pytest.fixture
def acme(make_account):
    account, admin = make_account("Acme", country="PL")
    return account, admin.user


def update(account, actor, **changes):
    data = {**POLISH_COMPANY, **changes}
    return billing_profile_update(account=account, data=data, actor=actor, as_of=AS_OF)


def errors_of(account, actor, **changes) -> dict:
    with pytest.raises(ProfileErrors) as caught:
        update(account, actor, **changes)
    return caught.value.errors


def issued_document(account, *, kind=DocumentKind.INVOICE, number, issue_date, sequence,
                    currency="PLN"):
    """An issued document (`factories.issued_document`: this module tests the invoice data, not
    issuing), checked to get the number the test names."""
    document = factories.issued_document(
        account, kind=kind, issue_date=issue_date, currency=currency,
        buyer={"name": "Acme sp. z o.o."}, exchange_rate=None if currency == "PLN" else "4.25",
    )
    assert (document.number, document.sequence) == (number, sequence)
    return document


# --- Polish NIP ---------------------------------------------------------------------------------


def test_polish_nip_with_valid_checksum_is_accepted_and_stored_as_ten_digits(acme, vies_stub):
    account, user = acme

    profile = update(account, user, tax_id="PL 123-456-32-18").profile

    assert profile.tax_id == "1234563218"
    assert profile.tax_id_status == TaxIdStatus.NOT_APPLICABLE  # checksum only, no VIES
    assert vies_stub.requests == []


def test_polish_nip_with_wrong_check_digit_is_refused_on_the_tax_id_field(acme):
    account, user = acme

    errors = errors_of(account, user, tax_id="1234563219")

    assert errors == {"tax_id": ["This is not a valid NIP: check its 10 digits (the last one is a "
                                 "check digit)."]}
    assert not BillingProfile.objects.exists()


@pytest.mark.parametrize("value", ["0000000000", "1000000006"])
def test_nip_that_passes_the_checksum_but_not_ksefs_pattern_is_refused(acme, value):
    # issue 15: 0000000000 passed the checksum and was stored, then KSeF would refuse every
    # invoice; 1000000006 has a valid check digit too but its 2nd and 3rd digits are both 0
    account, user = acme

    errors = errors_of(account, user, tax_id=value)

    assert list(errors) == ["tax_id"]
    assert "KSeF" in errors["tax_id"][0]
    assert not BillingProfile.objects.exists()


def test_polish_company_needs_a_nip(acme):
    account, user = acme

    assert errors_of(account, user, tax_id="") == {"tax_id": ["Enter the NIP of the company."]}


def test_polish_postal_code_is_nn_nnn(acme):
    account, user = acme

    assert update(account, user, postal_code="00950").profile.postal_code == "00-950"
    assert set(errors_of(account, user, postal_code="0095")) == {"postal_code"}


# --- EU VAT ids and VIES ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["DE 136 695 976", "de136695976", "136695976", "DE-136.695.976"])
def test_eu_vat_id_is_normalised_to_its_country_prefix_and_number(acme, vies_stub, typed):
    account, user = acme

    profile = update(account, user, **{**GERMAN_COMPANY, "tax_id": typed}).profile

    assert profile.tax_id == "DE136695976"
    assert vies_stub.asked == ["DE136695976"]


def test_greek_vat_id_uses_the_el_prefix(acme, vies_stub):
    account, user = acme

    profile = update(account, user, **{**GERMAN_COMPANY, "country": "GR",
                                       "tax_id": "GR 094014201"}).profile

    assert profile.tax_id == "EL094014201"
    assert vies_stub.asked == ["EL094014201"]


@pytest.mark.parametrize("typed", ["DE123456789", "DE12345", "DEABCDEFGHI"])
def test_eu_vat_id_in_a_wrong_format_is_refused_without_asking_vies(acme, vies_stub, typed):
    account, user = acme

    errors = errors_of(account, user, **{**GERMAN_COMPANY, "tax_id": typed})

    assert errors == {"tax_id": ["This is not a valid VAT id of Germany: check the number and its "
                                 "check digit."]}
    assert vies_stub.requests == []


def test_eu_vat_id_of_another_country_than_the_buyers_is_refused(acme, vies_stub):
    account, user = acme

    errors = errors_of(account, user, **{**GERMAN_COMPANY, "tax_id": "FR40303265045"})

    assert errors == {"tax_id": ["The VAT id of a company in Germany starts with DE."]}


def test_eu_vat_id_valid_in_vies_is_stored_valid_with_the_check_time(acme, vies_stub):
    account, user = acme

    profile = update(account, user, **GERMAN_COMPANY).profile

    assert profile.tax_id_status == TaxIdStatus.VALID
    assert profile.tax_id_checked_at is not None


def test_eu_vat_id_invalid_in_vies_is_refused_with_a_clear_field_error(acme, vies_stub):
    account, user = acme
    vies_stub.answer(INVALID)

    errors = errors_of(account, user, **GERMAN_COMPANY)

    assert list(errors) == ["tax_id"]
    assert errors["tax_id"][0].startswith("VIES says this VAT id is not valid.")
    assert not BillingProfile.objects.exists()


@pytest.mark.parametrize("down", ["MS_UNAVAILABLE", "HTTP 500", "timeout", "connection refused"])
def test_eu_vat_id_vies_unknown_is_saved_pending_never_invalid(acme, vies_stub, settings, down):
    account, user = acme
    if down == "MS_UNAVAILABLE":
        vies_stub.answer(MS_UNAVAILABLE)
    elif down == "HTTP 500":
        vies_stub.answer(answer(body=b"Internal Server Error", status=500))
    elif down == "timeout":
        settings.VIES_TIMEOUT = 0.2
        vies_stub.answer(answer(True, "VALID", delay=1.0))
    else:
        settings.VIES_API_URL = closed_port_url()

    result = update(account, user, **GERMAN_COMPANY)

    assert result.vies_check.status == "unknown"
    profile = BillingProfile.objects.get(account=account)
    assert profile.tax_id == "DE136695976"
    assert profile.tax_id_status == TaxIdStatus.PENDING


def test_eu_company_without_vat_id_is_accepted_as_not_applicable(acme, vies_stub):
    account, user = acme

    profile = update(account, user, **{**GERMAN_COMPANY, "tax_id": ""}).profile

    assert (profile.tax_id, profile.tax_id_status) == ("", TaxIdStatus.NOT_APPLICABLE)
    assert vies_stub.requests == []


def test_a_vat_id_already_valid_is_not_asked_again_when_other_data_changes(acme, vies_stub):
    account, user = acme
    first = update(account, user, **GERMAN_COMPANY).profile

    second = update(account, user, **{**GERMAN_COMPANY, "city": "München"}).profile

    assert len(vies_stub.requests) == 1
    assert second.tax_id_status == TaxIdStatus.VALID
    assert second.tax_id_checked_at == first.tax_id_checked_at


def test_non_eu_company_tax_id_is_optional_free_text(acme, vies_stub):
    account, user = acme
    us = {**GERMAN_COMPANY, "country": "US", "postal_code": "10001", "city": "New York"}

    assert update(account, user, **{**us, "tax_id": ""}).profile.tax_id == ""
    profile = update(account, user, **{**us, "tax_id": "EIN  12-3456789"}).profile

    assert (profile.tax_id, profile.tax_id_status) == ("EIN 12-3456789",
                                                       TaxIdStatus.NOT_APPLICABLE)
    assert vies_stub.requests == []


# --- buyer type, e-mail, country, ordering party --------------------------------------------------


def test_natural_person_is_accepted_in_poland_without_a_tax_id(acme):
    account, user = acme

    profile = update(account, user, kind="person", name="Jan Kowalski", tax_id="").profile

    assert (profile.kind, profile.tax_id) == ("person", "")


def test_natural_person_only_in_poland(acme):
    account, user = acme

    errors = errors_of(account, user, **{**GERMAN_COMPANY, "kind": "person", "tax_id": ""})

    assert errors == {"kind": ["A natural person can be the buyer only in Poland; for another "
                               "country choose company."]}


def test_invoice_email_is_validated(acme):
    account, user = acme

    assert errors_of(account, user, invoice_email="faktury@") == {
        "invoice_email": ["Enter a valid e-mail address."]}
    assert errors_of(account, user, invoice_email="") == {
        "invoice_email": ["This field is required."]}


def test_country_must_be_a_known_iso_code(acme):
    account, user = acme

    assert errors_of(account, user, country="XX") == {
        "country": ["“XX” is not a known country code."]}


def test_every_field_at_fault_is_reported_at_once(acme):
    account, user = acme

    errors = errors_of(account, user, name=" ", city="", tax_id="1234563219",
                       invoice_email="nope", kind="robot")

    assert set(errors) == {"kind", "name", "city", "tax_id", "invoice_email"}


def test_ordering_party_is_optional_and_complete_when_given(acme):
    account, user = acme

    assert update(account, user).profile.ordering_party_name == ""
    errors = errors_of(account, user, ordering_party_name="Holding SA")
    assert set(errors) == {"ordering_party_street", "ordering_party_postal_code",
                           "ordering_party_city", "ordering_party_country"}

    profile = update(
        account, user, ordering_party_name="Holding SA", ordering_party_street="ul. Długa 2",
        ordering_party_postal_code="31-001", ordering_party_city="Kraków",
        ordering_party_country="pl", ordering_party_tax_id="526-025-09-95",
    ).profile
    assert (profile.ordering_party_country, profile.ordering_party_tax_id) == ("PL", "5260250995")
    assert set(errors_of(account, user, ordering_party_name="Holding SA",
                         ordering_party_street="x", ordering_party_postal_code="31-001",
                         ordering_party_city="Kraków", ordering_party_country="PL",
                         ordering_party_tax_id="5260250996")) == {"ordering_party_tax_id"}


def test_person_only_in_poland_is_also_a_database_constraint(acme):
    from django.db import IntegrityError

    account, _user = acme
    with pytest.raises(IntegrityError):
        BillingProfile.objects.create(account=account, kind="person", name="Hans", street="x",
                                      postal_code="1", city="Berlin", country="DE",
                                      invoice_email="h@example.com")


# --- currency, audit ----------------------------------------------------------------------------


@pytest.mark.parametrize("country,buyer,currency", [
    ("DE", {"country": "PL"}, "PLN"),
    ("PL", {"country": "CZ", "tax_id": "CZ25123891", "postal_code": "110 00"}, "CZK"),
    ("PL", {"country": "DE", "tax_id": "DE136695976", "postal_code": "10115"}, "EUR"),
    ("PL", {"country": "NO", "tax_id": "", "postal_code": "0150"}, "EUR"),
    ("PL", {"country": "US", "tax_id": "", "postal_code": "10001"}, "USD"),
])
def test_currency_follows_the_country_for_future_documents_only(make_account, vies_stub,
                                                                 country, buyer, currency):
    account, admin = make_account("Acme", country=country)
    old_currency = account.currency
    issued = issued_document(account, number="FV/2026/10/0001", issue_date=date(2026, 10, 31),
                             sequence=1, currency=old_currency)

    result = update(account, admin.user, **buyer)

    account.refresh_from_db()
    assert account.currency == currency
    assert account.country.code == buyer["country"]
    assert result.currency_changed
    issued.refresh_from_db()
    assert issued.currency == old_currency  # issued documents keep theirs
    entry = AuditEntry.objects.get(action="account.billing_country_change")
    assert (entry.before, entry.after) == (
        {"country": country, "currency": old_currency},
        {"country": buyer["country"], "currency": currency},
    )


def test_currency_set_by_staff_survives_edits_that_keep_the_country(acme):
    account, user = acme
    update(account, user)
    Account.objects.filter(pk=account.pk).update(currency="EUR")  # staff, in the admin

    result = update(account, user, city="Kraków", postal_code="31-001")

    account.refresh_from_db()
    assert account.currency == "EUR"
    assert not result.currency_changed


def test_every_change_writes_an_audit_row_with_before_and_after(acme):
    account, user = acme

    update(account, user)
    update(account, user, name="Acme Polska sp. z o.o.")

    created, changed = AuditEntry.objects.filter(
        action__startswith="billing_profile.").order_by("id")
    assert (created.action, created.before, created.after["name"]) == (
        "billing_profile.create", None, "Acme sp. z o.o.")
    assert changed.action == "billing_profile.update"
    assert (changed.before["name"], changed.after["name"]) == ("Acme sp. z o.o.",
                                                               "Acme Polska sp. z o.o.")
    assert changed.actor == user


def test_saving_the_same_data_again_changes_nothing(acme):
    account, user = acme
    update(account, user)
    audit_rows = AuditEntry.objects.count()

    result = update(account, user, tax_id="123-456-32-18")  # the same NIP, typed differently

    assert not result.changed
    assert AuditEntry.objects.count() == audit_rows


# --- buyer-data correction of the last invoice ----------------------------------------------------


def test_editing_buyer_data_issues_a_correction_of_the_last_issued_invoice(acme):
    account, user = acme
    update(account, user)
    issued_document(account, number="FV/2026/10/0001", issue_date=date(2026, 10, 31), sequence=1)
    last = issued_document(account, number="FV/2026/11/0001", issue_date=date(2026, 11, 2),
                           sequence=1)
    issued_document(account, kind=DocumentKind.PROFORMA, number="PF/2026/11/0001",
                    issue_date=date(2026, 11, 10), sequence=1)

    result = update(account, user, name="Acme Polska sp. z o.o.")

    correction = result.correction
    assert correction is not None
    assert correction.kind == DocumentKind.CORRECTION
    assert correction.corrects_id == last.pk
    assert correction.account_id == account.pk
    assert correction.buyer["name"] == "Acme Polska sp. z o.o."


def test_no_correction_when_nothing_changed(acme):
    account, user = acme
    update(account, user)
    issued_document(account, number="FV/2026/11/0001", issue_date=date(2026, 11, 2), sequence=1)

    result = update(account, user)

    assert result.correction is None
    assert not Document.objects.filter(kind=DocumentKind.CORRECTION).exists()


def test_no_correction_when_only_the_invoice_email_changed(acme):
    account, user = acme
    update(account, user)
    issued_document(account, number="FV/2026/11/0001", issue_date=date(2026, 11, 2), sequence=1)

    result = update(account, user, invoice_email="ksiegowosc@acme.example")

    assert result.changed and result.correction is None


def test_no_correction_without_an_issued_vat_invoice(acme):
    account, user = acme
    update(account, user)
    issued_document(account, kind=DocumentKind.PROFORMA, number="PF/2026/11/0001",
                    issue_date=date(2026, 11, 2), sequence=1)

    result = update(account, user, name="Acme Polska sp. z o.o.")

    assert result.correction is None


def test_vies_is_asked_before_the_account_is_locked(acme, vies_stub):
    """A VIES answer that takes seconds must not hold the account row: the check happens before
    the transaction (an invalid answer refuses the update without writing anything)."""
    account, user = acme
    vies_stub.answer(VALID)
    update(account, user, **GERMAN_COMPANY)
    vies_stub.answer(INVALID)

    with pytest.raises(ProfileErrors):
        update(account, user, **{**GERMAN_COMPANY, "tax_id": "DE 811 569 869"})

    assert BillingProfile.objects.get(account=account).tax_id == "DE136695976"
