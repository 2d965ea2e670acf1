"""Page "Payments → Invoice data" (/account/invoice-data/): admins edit the buyer and an optional
ordering party, see every error beside its field, the VIES status, and what a change means
(future documents, currency, buyer-data correction). Managers and users get 403.

Forms are posted as a browser would post them; VIES is the local stub of `test_vies`.
"""

import html
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from invoices.models import BillingProfile, DocumentKind, TaxIdStatus
from invoices.services.profile import billing_profile_update
from seats.models import MemberRole

from .test_profile import issued_document
from .test_vies import INVALID, MS_UNAVAILABLE, running_vies_stub

PAGE = "/account/invoice-data/"
TODAY = date(2026, 11, 16)

pytestmark = pytest.mark.django_db

BUYER = {
    "buyer-kind": "company", "buyer-name": "Acme sp. z o.o.", "buyer-street": "ul. Prosta 1",
    "buyer-postal_code": "00-950", "buyer-city": "Warszawa", "buyer-country": "PL",
    "buyer-tax_id": "1234563218", "buyer-invoice_email": "faktury@acme.example",
}
GERMAN = {**BUYER, "buyer-name": "Acme GmbH", "buyer-street": "Musterstraße 1",
          "buyer-postal_code": "10115", "buyer-city": "Berlin", "buyer-country": "DE",
          "buyer-tax_id": "DE 136 695 976"}
ORDERING = {
    "ordering-enabled": "on", "ordering-name": "Holding SA", "ordering-street": "ul. Długa 2",
    "ordering-postal_code": "31-001", "ordering-city": "Kraków", "ordering-country": "PL",
    "ordering-tax_id": "",
}


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def vies_stub(settings):
    with running_vies_stub(settings) as stub:
        yield stub


@pytest.fixture
def acme(make_account):
    return make_account("Acme", country="PL")


@pytest.fixture
def admin_client(client, acme):
    client.force_login(acme[1].user)
    return client


def text(response):
    return html.unescape(response.content.decode())


def field_errors(response, field_id):
    """The error paragraphs rendered beside one field (ids like id_buyer-tax_id_error1)."""
    return re.findall(rf'<p class="field-error" id="{re.escape(field_id)}_error\d+">([^<]*)</p>',
                      text(response))


def test_admin_sees_an_empty_form_preset_to_the_accounts_country(admin_client):
    response = admin_client.get(PAGE)

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Invoice data</h1>" in page
    assert 'name="buyer-name"' in page and 'name="ordering-name"' in page
    assert re.search(r'<option value="PL" selected>', page)
    assert "A separate ordering party" in page
    assert "Changes apply to documents issued from now on" in page


def test_admin_saves_the_invoice_data_and_sees_it_applies_to_future_documents(admin_client,
                                                                             acme):
    response = admin_client.post(PAGE, BUYER, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    profile = BillingProfile.objects.get(account=acme[0])
    assert (profile.name, profile.tax_id, profile.ordering_party_name) == (
        "Acme sp. z o.o.", "1234563218", "")
    page = text(response)
    assert ("Invoice data saved. The changes apply to documents issued from now on; documents "
            "already issued stay as they are.") in page
    assert 'value="Acme sp. z o.o."' in page  # the form shows what is stored


def test_admin_sees_each_error_beside_its_field_and_nothing_is_saved(admin_client, vies_stub):
    response = admin_client.post(PAGE, {
        **BUYER, "buyer-kind": "person", "buyer-country": "DE", "buyer-tax_id": "",
        "buyer-city": "", "buyer-invoice_email": "faktury@",
        **ORDERING, "ordering-city": "", "ordering-tax_id": "5260250996",
    })

    assert response.status_code == 200
    assert field_errors(response, "id_buyer-kind") == [
        "A natural person can be the buyer only in Poland; for another country choose company."]
    assert field_errors(response, "id_buyer-city") == ["This field is required."]
    assert field_errors(response, "id_buyer-invoice_email") == ["Enter a valid e-mail address."]
    assert field_errors(response, "id_ordering-city") == ["This field is required."]
    assert len(field_errors(response, "id_ordering-tax_id")) == 1
    assert field_errors(response, "id_buyer-name") == []
    assert 'value="faktury@"' in text(response)  # what was typed stays in the form
    assert not BillingProfile.objects.exists()


def test_bad_nip_is_shown_on_the_tax_id_field(admin_client):
    response = admin_client.post(PAGE, {**BUYER, "buyer-tax_id": "1234563219"})

    assert field_errors(response, "id_buyer-tax_id") == [
        "This is not a valid NIP: check its 10 digits (the last one is a check digit)."]


def test_vat_id_invalid_in_vies_is_shown_on_the_tax_id_field(admin_client, vies_stub):
    vies_stub.answer(INVALID)

    response = admin_client.post(PAGE, GERMAN)

    [error] = field_errors(response, "id_buyer-tax_id")
    assert error.startswith("VIES says this VAT id is not valid.")
    assert not BillingProfile.objects.exists()


def test_vat_id_valid_in_vies_is_shown_valid(admin_client, acme, vies_stub):
    response = admin_client.post(PAGE, GERMAN, follow=True)

    page = text(response)
    assert re.search(r'data-testid="vies-status">valid in VIES<', page)
    assert "New documents will be in EUR." in page
    assert re.search(r'data-testid="currency">EUR<', page)


def test_vies_down_saves_the_vat_id_pending_and_says_so(admin_client, acme, vies_stub):
    vies_stub.answer(MS_UNAVAILABLE)

    response = admin_client.post(PAGE, GERMAN, follow=True)

    assert BillingProfile.objects.get(account=acme[0]).tax_id_status == TaxIdStatus.PENDING
    page = text(response)
    assert re.search(r'data-testid="vies-status">pending re-check in VIES<', page)
    assert "VIES could not be reached to confirm your VAT id" in page


def test_ordering_party_is_saved_only_with_its_checkbox_ticked(admin_client, acme):
    admin_client.post(PAGE, {**BUYER, **ORDERING})
    profile = BillingProfile.objects.get(account=acme[0])
    assert (profile.ordering_party_name, profile.ordering_party_city) == ("Holding SA", "Kraków")

    page = text(admin_client.get(PAGE))
    assert re.search(r'<input type="checkbox" name="ordering-enabled"[^>]*checked', page)

    admin_client.post(PAGE, {**BUYER, **ORDERING, "ordering-enabled": ""})
    profile.refresh_from_db()
    assert profile.ordering_party_name == ""


def test_buyer_data_correction_of_the_last_invoice_is_announced(admin_client, acme):
    account, admin = acme
    billing_profile_update(account=account, actor=admin.user, as_of=TODAY, data={
        key.removeprefix("buyer-"): value for key, value in BUYER.items()})
    invoice = issued_document(account, number="FV/2026/11/0001", issue_date=date(2026, 11, 2),
                              sequence=1)
    assert "correction of the buyer data of your last invoice, FV/2026/11/0001" in text(
        admin_client.get(PAGE))

    response = admin_client.post(PAGE, {**BUYER, "buyer-name": "Acme Polska sp. z o.o."},
                                 follow=True)

    correction = invoice.corrections.get()
    assert correction.kind == DocumentKind.CORRECTION
    assert (f"A correction of the buyer data of invoice FV/2026/11/0001 was issued: "
            f"{correction.number}.") in text(response)


def test_saving_unchanged_data_says_nothing_changed(admin_client):
    admin_client.post(PAGE, BUYER)

    response = admin_client.post(PAGE, BUYER, follow=True)

    assert "Nothing changed: your invoice data is as it was." in text(response)


@pytest.mark.parametrize("role", [MemberRole.MANAGER, MemberRole.USER])
def test_managers_and_users_get_403(client, acme, make_member, role):
    member = make_member(acme[0], f"{role}@acme.example", role)
    client.force_login(member.user)

    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, BUYER).status_code == 403
    assert not BillingProfile.objects.exists()


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_post_without_csrf_token_is_refused(acme):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(acme[1].user)

    assert browser.post(PAGE, BUYER).status_code == 403
    assert not BillingProfile.objects.exists()

    page = browser.get(PAGE)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(page))[1]
    assert browser.post(PAGE, {**BUYER, "csrfmiddlewaretoken": token}).status_code == 302
    assert BillingProfile.objects.filter(account=acme[0]).exists()


def test_other_methods_are_not_allowed(admin_client):
    assert admin_client.put(PAGE).status_code == 405
