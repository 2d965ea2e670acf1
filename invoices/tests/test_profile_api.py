"""API of the invoice data: GET/PUT /api/v1/accounts/{id}/billing-profile/ — contract, field-level
400s, roles (admins and staff), tenant isolation (another tenant's account is a 404).

VIES is the local stub of `test_vies`.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from invoices.models import BillingProfile, TaxIdStatus
from seats.models import MemberRole
from tests.helpers import token_client as client_for

from .test_vies import INVALID, MS_UNAVAILABLE, running_vies_stub

BODY = {
    "kind": "company", "name": "Acme sp. z o.o.", "street": "ul. Prosta 1",
    "postal_code": "00-950", "city": "Warszawa", "country": "PL", "tax_id": "123-456-32-18",
    "invoice_email": "faktury@acme.example",
}
GERMAN = {**BODY, "name": "Globex GmbH", "street": "Musterstraße 1", "postal_code": "10115",
          "city": "Berlin", "country": "DE", "tax_id": "DE 136 695 976"}
HOLDING = {"name": "Holding SA", "street": "ul. Długa 2", "postal_code": "31-001",
           "city": "Kraków", "country": "PL", "tax_id": ""}
CONTRACT_FIELDS = {"kind", "name", "street", "postal_code", "city", "country", "tax_id",
                   "tax_id_status", "invoice_email", "ordering_party"}


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
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
def globex(make_account):
    return make_account("Globex", country="DE")


def url(account):
    return f"/api/v1/accounts/{account.pk}/billing-profile/"


def test_get_before_any_invoice_data_is_404_no_invoice_data_yet(acme):
    account, admin = acme

    response = client_for(admin.user).get(url(account))

    assert response.status_code == 404
    assert response.json() == {"detail": "No invoice data yet.", "code": "no_invoice_data"}


def test_put_creates_the_profile_and_get_returns_the_contract(acme):
    account, admin = acme
    client = client_for(admin.user)

    put = client.put(url(account), BODY, format="json")

    assert put.status_code == 200
    expected = {**BODY, "tax_id": "1234563218", "tax_id_status": "n/a", "ordering_party": None}
    assert put.json() == expected
    get = client.get(url(account))
    assert get.status_code == 200
    assert set(get.json()) == CONTRACT_FIELDS
    assert get.json() == expected


def test_put_with_an_ordering_party_returns_it_nested_and_null_removes_it(acme):
    account, admin = acme
    client = client_for(admin.user)

    response = client.put(url(account), {**BODY, "ordering_party": HOLDING}, format="json")

    assert response.json()["ordering_party"] == HOLDING
    assert BillingProfile.objects.get(account=account).ordering_party_name == "Holding SA"

    response = client.put(url(account), {**BODY, "ordering_party": None}, format="json")
    assert response.json()["ordering_party"] is None
    assert BillingProfile.objects.get(account=account).ordering_party_name == ""


def test_put_reports_every_field_at_fault_in_the_shape_of_the_input(acme):
    account, admin = acme

    response = client_for(admin.user).put(url(account), {
        **BODY, "tax_id": "1234563219", "invoice_email": "faktury@", "city": "",
        "ordering_party": {**HOLDING, "street": ""},
    }, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.", "code": "invalid",
        "city": ["This field is required."],
        "tax_id": ["This is not a valid NIP: check its 10 digits (the last one is a check "
                   "digit)."],
        "invoice_email": ["Enter a valid e-mail address."],
        "ordering_party": {"street": ["This field is required."]},
    }
    assert not BillingProfile.objects.exists()


def test_put_natural_person_outside_poland_is_400_on_kind(globex, vies_stub):
    account, admin = globex

    response = client_for(admin.user).put(
        url(account), {**GERMAN, "kind": "person", "tax_id": ""}, format="json")

    assert response.status_code == 400
    assert list(response.json()["kind"]) == [
        "A natural person can be the buyer only in Poland; for another country choose company."]


def test_put_missing_or_malformed_fields_is_400(acme):
    account, admin = acme

    response = client_for(admin.user).put(url(account), {"kind": "robot"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert {"kind", "name", "street", "postal_code", "city", "country",
            "invoice_email"} <= set(body)


def test_put_eu_vat_id_valid_in_vies(globex, vies_stub):
    account, admin = globex

    response = client_for(admin.user).put(url(account), GERMAN, format="json")

    assert response.status_code == 200
    assert (response.json()["tax_id"], response.json()["tax_id_status"]) == ("DE136695976",
                                                                             "valid")


def test_put_eu_vat_id_invalid_in_vies_is_400_on_tax_id(globex, vies_stub):
    account, admin = globex
    vies_stub.answer(INVALID)

    response = client_for(admin.user).put(url(account), GERMAN, format="json")

    assert response.status_code == 400
    assert response.json()["tax_id"][0].startswith("VIES says this VAT id is not valid.")


def test_put_with_vies_down_is_saved_pending(globex, vies_stub):
    account, admin = globex
    vies_stub.answer(MS_UNAVAILABLE)

    response = client_for(admin.user).put(url(account), GERMAN, format="json")

    assert response.status_code == 200
    assert response.json()["tax_id_status"] == TaxIdStatus.PENDING


def test_put_changes_the_account_currency_with_the_country(acme, vies_stub):
    account, admin = acme
    client = client_for(admin.user)

    client.put(url(account), {**GERMAN, "name": "Acme GmbH"}, format="json")

    assert client.get(f"/api/v1/accounts/{account.pk}/").json()["currency"] == "EUR"


@pytest.mark.parametrize("role", [MemberRole.MANAGER, MemberRole.USER])
def test_managers_and_users_get_403(acme, make_member, role):
    account, admin = acme
    member = make_member(account, f"{role}@acme.example", role)
    client = client_for(member.user)

    assert client.get(url(account)).status_code == 403
    assert client.put(url(account), BODY, format="json").status_code == 403
    assert not BillingProfile.objects.exists()


def test_another_tenants_admin_gets_404_and_cannot_touch_its_profile(acme, globex, vies_stub):
    account_a, admin_a = acme
    account_b, admin_b = globex
    client_for(admin_b.user).put(url(account_b), GERMAN, format="json")
    intruder = client_for(admin_a.user)

    assert intruder.get(url(account_b)).status_code == 404
    response = intruder.put(url(account_b), {**BODY, "name": "Hijacked"}, format="json")

    assert response.status_code == 404
    assert BillingProfile.objects.get(account=account_b).name == "Globex GmbH"
    assert not BillingProfile.objects.filter(account=account_a).exists()


def test_an_unknown_account_is_404(acme):
    _account, admin = acme

    assert client_for(admin.user).get("/api/v1/accounts/999999/billing-profile/").status_code == 404


def test_staff_can_read_and_write_any_accounts_profile(acme, django_user_model):
    account, _admin = acme
    staff = django_user_model.objects.create_user(username="ops@vendor.example",
                                                  email="ops@vendor.example", is_staff=True)
    client = client_for(staff)

    assert client.put(url(account), BODY, format="json").status_code == 200
    assert client.get(url(account)).json()["name"] == "Acme sp. z o.o."


def test_anonymous_requests_get_401(acme):
    account, _admin = acme

    assert APIClient().get(url(account)).status_code == 401


def test_the_schema_documents_both_operations_and_the_profile(db):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operations = schema["paths"]["/api/v1/accounts/{account_id}/billing-profile/"]
    assert {method: op["operationId"] for method, op in operations.items()} == {
        "get": "billing_profile_retrieve", "put": "billing_profile_update"}
    components = schema["components"]["schemas"]
    assert set(components["BillingProfile"]["properties"]) == CONTRACT_FIELDS
    assert components["PartyKindEnum"]["enum"] == ["company", "person"]
    assert set(components["OrderingParty"]["properties"]) == {
        "name", "street", "postal_code", "city", "country", "tax_id"}
