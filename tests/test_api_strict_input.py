"""Strict API input (issue 13): every write operation refuses a key it does not take (a typo such
as `{"cout": 3}` used to be dropped silently and the default applied), reports every field at
fault at once (not the first the service met), and bounds dates ahead (an effective date in
2999) and behind (a transfer received in 1990) with a message naming the allowed range."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from invoices.tests.factories import issued_document
from payments.models import Payment, PaymentMethod, PaymentStatus
from plans import services as plan_services
from seats import services as seat_services
from seats.models import Invitation, Member, MemberRole, MemberState, Seat
from tests.helpers import token_client

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 16)
UNKNOWN = "cout"


@pytest.fixture(autouse=True)
def _fixed_day():
    with time_machine.travel(datetime(2026, 11, 16, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def world(make_account, make_member):
    account, admin = make_account("Acme")
    user = make_member(account, "user@acme.example", MemberRole.USER)
    [free] = seat_services.seats_add(account=account, count=1, actor=None, as_of=TODAY)
    order = plan_services.renewal_order_create(account=account, actor=admin.user, until=(2027, 1),
                                               add_seats=0, add_ons={}, as_of=TODAY)
    document = issued_document(account)
    payment = Payment.objects.create(account=account, order=order, method=PaymentMethod.TRANSFER,
                                     status=PaymentStatus.SUCCEEDED, amount=order.gross,
                                     currency=order.currency)
    root = get_user_model().objects.create_superuser(
        username="root@vendor.example", email="root@vendor.example", password="x")
    ids = {"account_id": account.pk, "seat_id": free.pk, "member_id": user.pk,
           "order_id": order.pk, "document_id": document.pk, "payment_id": payment.pk,
           "ticket_id": 1}  # the respond operation reads its body before the ticket
    seat_services.member_invite(account=account, email="new@elsewhere.example",
                                role=MemberRole.USER, actor=admin.user, as_of=TODAY)
    ids["invitation_id"] = Invitation.objects.get(email="new@elsewhere.example").pk
    return account, admin, user, ids, token_client(root)


def _schema():
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


def _write_operations():
    """(method, path template, operation id, takes a body) of every API write operation."""
    operations = []
    for path, item in _schema()["paths"].items():
        for method, operation in item.items():
            if method in {"post", "put", "patch", "delete"} and path.startswith("/api/v1/"):
                operations.append((method, path, operation["operationId"],
                                   "requestBody" in operation))
    return operations


WRITE_OPERATIONS = _write_operations()


def test_every_write_operation_is_listed():
    assert len(WRITE_OPERATIONS) >= 20
    assert any(not body for *_rest, body in WRITE_OPERATIONS)  # restore, cancel, confirm, remove


@pytest.mark.parametrize(("method", "path", "operation_id", "takes_body"), WRITE_OPERATIONS,
                         ids=[op[2] for op in WRITE_OPERATIONS])
def test_every_write_operation_refuses_an_unknown_field_by_name(world, method, path,
                                                                operation_id, takes_body):
    _account, _admin, _user, ids, root = world
    url = path.format(**ids)

    response = getattr(root, method)(url, {UNKNOWN: 3}, format="json")

    assert response.status_code == 400, (operation_id, response.content[:300])
    body = response.json()
    assert body["code"] == "invalid"
    assert body[UNKNOWN][0].startswith(f"“{UNKNOWN}” is not a field of this request; it takes: ")


def test_a_typo_adds_no_seat_and_says_which_fields_exist(world):
    account, admin, _user, _ids, _root = world
    before = Seat.objects.filter(account=account).count()

    response = token_client(admin.user).post(f"/api/v1/accounts/{account.pk}/seats/",
                                             {"cout": 3}, format="json")
    polish = token_client(admin.user).post(f"/api/v1/accounts/{account.pk}/seats/",
                                           {"count": 1, "cout": 3}, format="json",
                                           HTTP_ACCEPT_LANGUAGE="pl")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.", "code": "invalid",
        "count": ["This field is required."],
        "cout": ["“cout” is not a field of this request; it takes: count."]}
    assert polish.status_code == 400
    assert polish.json()["cout"] == ["„cout” nie jest polem tego żądania; przyjmuje ono: count."]
    assert Seat.objects.filter(account=account).count() == before


def test_a_nested_object_refuses_unknown_keys_too(world):
    account, admin, _user, _ids, _root = world
    body = {"kind": "company", "name": "Acme", "street": "Długa 1", "postal_code": "00-001",
            "city": "Warszawa", "country": "PL", "tax_id": "5260250995",
            "invoice_email": "billing@acme.example",
            "ordering_party": {"name": "Beta", "street": "Krótka 2", "postal_code": "00-002",
                               "city": "Kraków", "country": "PL", "vat": "x"}}

    response = token_client(admin.user).put(f"/api/v1/accounts/{account.pk}/billing-profile/",
                                            body, format="json")

    assert response.status_code == 400
    assert list(response.json()["ordering_party"]) == ["vat"]


def test_an_operation_without_input_refuses_a_body_with_keys(world):
    account, admin, user, _ids, _root = world
    seat_services.member_release(account=account, member=user, state=MemberState.SUSPENDED,
                                 effective=None, remove_seat=False, actor=None, as_of=TODAY)

    response = token_client(admin.user).post(
        f"/api/v1/accounts/{account.pk}/members/{user.pk}/restore/", {"remove_seat": True},
        format="json")

    assert response.status_code == 400
    assert response.json()["remove_seat"] == [
        "“remove_seat” is not a field of this request; it takes: nothing."]
    user.refresh_from_db()
    assert user.state == MemberState.SUSPENDED
    # without a body it still works
    ok = token_client(admin.user).post(f"/api/v1/accounts/{account.pk}/members/{user.pk}/restore/")
    assert ok.status_code == 200


def test_request_bodies_are_documented_as_closed_objects():
    schemas = _schema()["components"]["schemas"]

    assert schemas["SeatsAddInput"]["additionalProperties"] is False
    assert schemas["MemberInviteInput"]["additionalProperties"] is False
    assert "additionalProperties" not in schemas["Seat"]  # answers stay open


# --- every field at fault at once ---------------------------------------------------------------


def test_an_invitation_with_several_bad_fields_reports_them_all(world):
    account, admin, _user, _ids, _root = world

    response = token_client(admin.user).post(
        f"/api/v1/accounts/{account.pk}/members/",
        {"email": "not-an-address", "role": "boss", "colour": "red"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["email"] == ["Enter a valid e-mail address."]
    assert body["role"] == ["“boss” is not one of the accepted values: admin (administrator), "
                            "manager, user."]
    assert "colour" in body
    assert Member.objects.filter(account=account).count() == 3  # admin, user, the invitee


def test_a_transfer_with_several_bad_fields_reports_them_all(world):
    _account, _admin, _user, ids, root = world

    response = root.post(f"/api/v1/orders/{ids['order_id']}/transfers/",
                         {"amount": "12.345", "received_on": "2027-01-01", "reference": ""},
                         format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["amount"] == ["Enter an amount above zero with at most 2 decimal places."]
    assert body["received_on"] == ["The transfer cannot be received after today."]
    assert body["reference"] == ["This field may not be blank."]


# --- dates bounded --------------------------------------------------------------------------------


@pytest.mark.parametrize(("effective", "message"), [
    ("2999-01-01", "Pick a date from Nov. 16, 2026 to Nov. 16, 2027."),
    ("2027-11-17", "Pick a date from Nov. 16, 2026 to Nov. 16, 2027."),
    ("2026-11-15", "The effective date cannot be in the past."),
])
def test_a_suspension_far_ahead_is_refused_with_the_allowed_range(world, effective, message):
    account, admin, user, _ids, _root = world

    response = token_client(admin.user).post(
        f"/api/v1/accounts/{account.pk}/members/{user.pk}/suspend/", {"effective": effective},
        format="json")

    assert response.status_code == 400
    assert response.json()["effective"] == [message]
    user.refresh_from_db()
    assert (user.state, user.pending_state) == (MemberState.ACTIVE, "")


def test_the_last_day_of_the_window_is_accepted(world):
    account, admin, user, _ids, _root = world

    response = token_client(admin.user).post(
        f"/api/v1/accounts/{account.pk}/members/{user.pk}/suspend/",
        {"effective": "2027-11-16"}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.pending_on == date(2027, 11, 16)


def test_the_window_is_a_setting_and_polish_names_the_range(world, settings):
    account, admin, user, _ids, _root = world
    settings.SCHEDULE_WINDOW_DAYS = 30

    response = token_client(admin.user).post(
        f"/api/v1/accounts/{account.pk}/members/{user.pk}/delete/",
        {"effective": "2026-12-17"}, format="json", HTTP_ACCEPT_LANGUAGE="pl")

    assert response.status_code == 400
    assert response.json()["effective"] == ["Wybierz datę od 16 listopada 2026 do 16 grudnia 2026."]


def test_a_transfer_received_long_ago_is_refused_with_the_allowed_range(world):
    _account, _admin, _user, ids, root = world

    response = root.post(f"/api/v1/orders/{ids['order_id']}/transfers/",
                         {"amount": "1.00", "received_on": "1990-01-01", "reference": "x"},
                         format="json")

    assert response.status_code == 400
    assert response.json()["received_on"] == ["Pick a date from Nov. 16, 2021 to Nov. 16, 2026."]


@pytest.mark.parametrize(("language", "date_message", "month_message"), [
    ("en", "Enter the date as YYYY-MM-DD, for example 2026-11-16.",
     "Enter the target month as YYYY-MM."),
    ("pl", "Podaj datę w formacie RRRR-MM-DD, na przykład 2026-11-16.",
     "Podaj miesiąc docelowy w formacie RRRR-MM."),
])
def test_date_and_month_format_hints_are_written_alike_per_language(world, language,
                                                                    date_message,
                                                                    month_message):
    account, admin, user, _ids, _root = world
    client = token_client(admin.user)

    day = client.post(f"/api/v1/accounts/{account.pk}/members/{user.pk}/suspend/",
                      {"effective": "16.11.2026"}, format="json", HTTP_ACCEPT_LANGUAGE=language)
    month = client.post(f"/api/v1/accounts/{account.pk}/renewal-quote/", {"until": "2027/01"},
                        format="json", HTTP_ACCEPT_LANGUAGE=language)

    assert day.json()["effective"] == [date_message]
    assert month.json()["until"] == [month_message]


def test_the_users_page_refuses_a_suspension_past_the_window_before_confirming(world, client):
    account, admin, user, _ids, _root = world
    client.force_login(admin.user)

    response = client.post(f"/account/users/members/{user.pk}/suspend/",
                           {"effective": "2999-01-01"})

    assert response.status_code == 200  # the Users page again, the error on the field
    assert "Pick a date from Nov. 16, 2026 to Nov. 16, 2027." in response.content.decode()
    assert b'data-testid="confirm"' not in response.content
    user.refresh_from_db()
    assert (user.state, user.pending_state) == (MemberState.ACTIVE, "")
