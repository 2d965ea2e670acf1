"""The input boundary (issue 13 items 4-6, 8-10): JSON depth, NUL and lone surrogates, ASCII-only
numbers and dates, one as_of window, ISO dates out, 409 for state conflicts and the limits in the
schema. Requests go through the real app, PostgreSQL and the default parser."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django.core.management import call_command

from billing_site.inputs import StrictDateField, json_depth
from seats.models import MemberRole, Seat
from tests.helpers import token_client

API = "/api/v1/accounts/"
TODAY = date(2026, 11, 16)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def acme(make_account):
    account, admin = make_account("Acme")
    return account, admin


def post_raw(client, path, body: str):
    return client.post(path, body.encode("utf-8", "surrogatepass"),
                       content_type="application/json")


# --- item 4: nesting depth ------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000,
                                  '{"count": ' + "[" * 40 + "]" * 40 + "}"])
def test_json_nested_too_deep_is_a_400_not_a_recursion(acme, body):
    account, admin = acme
    response = post_raw(token_client(admin.user), f"{API}{account.pk}/seats/", body)

    # the code ("json_too_deep") reaches the body with the generic error answers (other branch)
    assert response.status_code == 400
    assert response.json()["detail"] == "The JSON of the request nests deeper than 32 levels."
    assert Seat.objects.filter(account=account).count() == 1


def test_the_depth_limit_is_a_setting(acme, settings):
    account, admin = acme
    settings.JSON_MAX_DEPTH = 2
    response = post_raw(token_client(admin.user), f"{API}{account.pk}/renewal-quote/",
                        '{"until": "2027-01", "add_ons": {"x": [[1]]}}')

    assert response.status_code == 400
    assert response.json()["detail"] == "The JSON of the request nests deeper than 2 levels."


def test_brackets_inside_strings_do_not_count():
    assert json_depth('{"a": "[[[[[[[[", "b": ["\\"[[["]}') == 2
    assert json_depth("3") == 0


# --- item 5: lone surrogates and NUL ----------------------------------------------------------


@pytest.mark.parametrize("body", [
    '{"until": "2027-01", "add_ons": {"\\ud800": 1}}',       # the example: a key
    '{"until": "2027-01", "add_ons": {"chatbot\\udfff": 1}}',
    '{"until": "2027-01\\u0000"}',                          # a NUL in a value
])
def test_unencodable_or_nul_text_is_refused_by_the_parser(acme, body):
    account, admin = acme
    response = post_raw(token_client(admin.user), f"{API}{account.pk}/renewal-quote/", body)

    assert response.status_code == 400
    assert response.json()["detail"] == ("Text may not contain NUL bytes or unpaired surrogate "
                                         "characters.")


def test_a_member_invite_with_a_surrogate_in_the_email_is_a_400(acme):
    account, admin = acme
    response = post_raw(token_client(admin.user), f"{API}{account.pk}/members/",
                        '{"email": "a\\ud83d@example.com", "role": "user"}')

    assert response.status_code == 400


# --- item 6: the package page and NUL in its query / form ---------------------------------------


def test_package_page_refuses_a_nul_code_with_a_400(acme, client):
    account, admin = acme
    client.force_login(admin.user)

    response = client.get("/account/package/?package=%00")
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()

    response = client.post("/account/package/", {"package": "\x00", "accept_terms": "on"})
    assert response.status_code == 400


def test_package_page_refuses_an_overlong_code(acme, client):
    account, admin = acme
    client.force_login(admin.user)

    response = client.get("/account/package/?package=" + "x" * 41)
    assert response.status_code == 400


# --- item 8: ASCII digits only ------------------------------------------------------------------


@pytest.mark.parametrize("count", ["٣", "３", " 3", "3\n", True, 2.5])
def test_seat_count_takes_ascii_digits_only(acme, count):
    account, admin = acme
    response = token_client(admin.user).post(f"{API}{account.pk}/seats/", {"count": count},
                                             format="json")

    assert response.status_code == 400
    assert "count" in response.json()
    assert Seat.objects.filter(account=account).count() == 1


@pytest.mark.parametrize("until", ["２０２７-０１", "2027-01\n", "٢٠٢٧-٠١", " 2027-01"])
def test_target_month_takes_ascii_digits_without_a_newline(acme, until):
    account, admin = acme
    response = token_client(admin.user).post(f"{API}{account.pk}/renewal-quote/",
                                             {"until": until}, format="json")

    assert response.status_code == 400
    assert response.json()["until"] == ["Enter the target month as YYYY-MM."]


@pytest.mark.parametrize("as_of", ["２０２６-１１-１６", "2026-11-16\n", "2026-11-1"])
def test_dates_take_ascii_digits_only(acme, staff, as_of):
    account, _admin = acme
    response = token_client(staff).get(f"{API}{account.pk}/status/", {"as_of": as_of})

    assert response.status_code == 400
    assert "as_of" in response.json()


def test_strict_integer_still_takes_plain_numbers(acme):
    account, admin = acme
    response = token_client(admin.user).post(f"{API}{account.pk}/seats/", {"count": "2"},
                                             format="json")
    assert response.status_code == 201
    assert len(response.json()) == 2


# --- item 9: one as_of window, ISO dates ------------------------------------------------------


def test_as_of_in_year_one_makes_no_order(acme, staff):
    account, _admin = acme
    response = token_client(staff).post(f"{API}{account.pk}/orders/renewal/",
                                        {"until": "0001-12", "as_of": "0001-01-01"},
                                        format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "as_of_range"
    assert response.json()["detail"] == "Pick a date within 5 years of today."
    assert not account.orders.exists()


def test_the_as_of_window_is_a_setting(acme, staff, settings):
    account, _admin = acme
    settings.AS_OF_WINDOW_YEARS = 1
    client = token_client(staff)

    too_far = client.get(f"{API}{account.pk}/status/", {"as_of": "2028-11-17"})
    assert too_far.status_code == 400
    assert too_far.json()["detail"] == "Pick a date within 1 year of today."
    assert client.get(f"{API}{account.pk}/status/", {"as_of": "2027-11-16"}).status_code == 200


def test_ops_preview_uses_the_same_window(acme, admin_client, settings):
    account, _admin = acme
    settings.AS_OF_WINDOW_YEARS = 1
    url = f"/admin/dunning/accounts/{account.pk}/preview/"

    response = admin_client.get(url, {"as_of": "2028-01-01"})
    assert "Pick a date within 1 year of today." in response.content.decode()


def test_dates_serialise_with_four_digit_years():
    assert StrictDateField().to_representation(date(1, 1, 1)) == "0001-01-01"
    assert StrictDateField().to_representation(date(987, 3, 4)) == "0987-03-04"


# --- item 10: 409 for conflicts, limits in the schema -------------------------------------------


def test_removing_an_occupied_seat_is_a_conflict(acme):
    account, admin = acme
    seat = Seat.objects.get(member=admin)
    response = token_client(admin.user).delete(f"{API}{account.pk}/seats/{seat.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "seat_occupied"


def test_assigning_an_occupied_seat_is_a_conflict(acme, make_member):
    account, admin = acme
    user = make_member(account, "user@acme.example", MemberRole.USER)
    seat = Seat.objects.get(member=admin)
    response = token_client(admin.user).post(f"{API}{account.pk}/seats/{seat.pk}/assign/",
                                             {"member": user.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "seat_occupied"


@pytest.fixture
def schema(db):
    from io import StringIO

    out = StringIO()
    call_command("spectacular", "--format", "openapi", stdout=out)
    return yaml.safe_load(out.getvalue())


def test_schema_states_the_limits_and_the_conflicts(schema):
    parts = schema["components"]["schemas"]
    assert parts["SeatsAddInput"]["properties"]["count"]["minimum"] == 1
    assert parts["SeatsAddInput"]["properties"]["count"]["maximum"] == 500
    assert parts["RenewalQuoteInput"]["properties"]["add_seats"]["maximum"] == 500
    assert parts["RenewalQuoteInput"]["properties"]["until"]["pattern"] == "^[0-9]{4}-[0-9]{2}$"
    assert parts["AddOnOrderInput"]["properties"]["add_ons"]["minProperties"] == 1
    note = parts["DocumentNoteInput"]["properties"]["note"]
    assert (note["minLength"], note["maxLength"]) == (1, 500)

    seat_remove = schema["paths"]["/api/v1/accounts/{account_id}/seats/{seat_id}/"]["delete"]
    assert "409" in seat_remove["responses"]


# --- the same kind in other pages: search boxes and posted ids ------------------------------------


def test_search_boxes_refuse_a_nul_byte(admin_client, db):
    assert admin_client.get("/finance/refunds/", {"q": "ac\x00me"}).status_code == 400
    assert admin_client.get("/admin/dunning/accounts/", {"q": "\x00"}).status_code == 400
    assert admin_client.get("/finance/refunds/", {"q": "acme"}).status_code == 200


def test_a_posted_order_id_takes_ascii_digits_only(admin_client, acme, staff):
    account, admin = acme
    from plans import services as plan_services

    order = plan_services.renewal_order_create(account=account, actor=admin.user,
                                               until=(2027, 1), as_of=TODAY)
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(digit)] for digit in str(order.pk))
    for value in (arabic, "x", "9" * 30):
        response = admin_client.post("/finance/transfers/", {"order": value})
        assert response.status_code == 404, value
