"""The REST API of issue 3: entitlements, renewal quotes, package changes, orders and the billing
period. Contract (exact JSON), tenant isolation, roles, bad input and the staff `as_of` preview.

Time is frozen at 2026-11-16 12:00 Europe/Warsaw (the conftest's AS_OF): the fixtures' seats were
added today, are valid until 2026-11-30 and were never paid. Amounts are worked out by hand (Base:
59 PLN per seat and month, Chatbot pack: 20 PLN per month).
"""

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from catalogue.models import AddOn, Package
from plans.models import AccountAddOn, Order, PackageChange
from seats import services as seat_services
from seats.models import Account, AuditEntry, BillingPeriod, MemberRole, Seat
from seats.tests.helpers import seats_pay_through, seats_set_validity
from tests.helpers import NOT_FOUND
from tests.helpers import token_client as client_for

TODAY = date(2026, 11, 16)
API = "/api/v1/accounts/"
QUOTE_KEYS = {"currency", "term_months", "discount_percent", "lines", "net_before_discount",
              "discount", "net", "vat_rate", "vat_code", "vat_reason", "vat_note", "vat",
              "gross", "valid_until"}
LINE_KEYS = {"seat", "start", "end", "months", "days", "days_in_month", "partials",
             "unit_price", "amount"}
DOMESTIC_VAT = {"vat_code": "23", "vat_reason": "domestic",
                "vat_note": "23 % VAT: the buyer is in Poland."}
ADMIN_ONLY = "Only administrators of this organisation can manage its package and payments."


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


def tenant(make_account, make_member, name, country, domain):
    """An account with an admin, a manager, a user (each on a seat) and one free seat."""
    account, admin = make_account(name, country=country, admin_email=f"admin@{domain}")
    manager = make_member(account, f"manager@{domain}", MemberRole.MANAGER)
    user = make_member(account, f"user@{domain}", MemberRole.USER)
    [free_seat] = seat_services.seats_add(account=account, count=1, actor=None, as_of=TODAY)
    seats = list(Seat.objects.filter(account=account).order_by("id").values_list("id", flat=True))
    return SimpleNamespace(account=account, admin=admin, manager=manager, user=user,
                           free_seat=free_seat, seats=seats)


@pytest.fixture
def acme(make_account, make_member):
    return tenant(make_account, make_member, "Acme", "PL", "acme.example")


@pytest.fixture
def globex(make_account, make_member):
    return tenant(make_account, make_member, "Globex", "DE", "globex.example")


def url(t, path):
    return f"{API}{t.account.pk}/{path}"


def pay_until(t, day):
    """The seats as a booked renewal leaves them: valid and paid through `day`."""
    seats_pay_through(Seat.objects.filter(account=t.account), day)


def line(seat, start, end, months, days, dim, unit_price, amount, **extra):
    """A quote line as the API returns it; a line with one partial month lists it in
    `partials` (pass `partials=` for a line with two)."""
    return {"seat": seat, "start": start, "end": end, "months": months, "days": days,
            "days_in_month": dim, "partials": [[days, dim]] if days else [],
            "unit_price": unit_price, "amount": amount, **extra}


def db_state(account):
    """Everything these endpoints could change for an account."""
    account = Account.objects.get(pk=account.pk)
    return (
        account.package_id, account.billing_period,
        list(Seat.objects.filter(account=account).order_by("id")
             .values_list("id", "valid_until", "paid_through")),
        Order.objects.filter(account=account).count(),
        PackageChange.objects.filter(account=account).count(),
        AuditEntry.objects.filter(account=account).count(),
    )


# Every endpoint of issue 3: name -> (method, path under the account, body).
ENDPOINTS = {
    "entitlements": ("get", "entitlements/", None),
    "renewal_quote": ("post", "renewal-quote/", {"until": "2026-12"}),
    "package_change": ("post", "package-change/", {"package": "automation", "dry_run": False}),
    "orders_list": ("get", "orders/", None),
    "order_renewal": ("post", "orders/renewal/", {"until": "2027-01"}),
    "order_add_ons": ("post", "orders/add-ons/", {"add_ons": {"chatbot": 1}}),
    "billing_period": ("post", "billing-period/", {"billing_period": "annual"}),
}
ADMIN_ONLY_ENDPOINTS = [name for name in ENDPOINTS if name != "entitlements"]


def call(client, t, name):
    method, path, body = ENDPOINTS[name]
    if body is None:
        return getattr(client, method)(url(t, path))
    return getattr(client, method)(url(t, path), body, format="json")


# --- entitlements -------------------------------------------------------------------------------


def acme_entitlements(**changes):
    return {
        "package": "base", "features": ["contacts", "deals", "email"], "seats": 4,
        "storage_gb_per_seat": 3, "storage_quota_gb": 12,
        "add_ons": [{"code": "chatbot", "name": "Chatbot conversations", "pack_size": 100,
                     "included": 100, "bought": 0, "packs": 0, "cap": 500}],
        "automations_paused": False, **changes,
    }


@pytest.mark.parametrize("role", ["admin", "manager", "user"])
def test_entitlements_are_readable_by_every_active_member(acme, role):
    response = client_for(getattr(acme, role).user).get(url(acme, "entitlements/"))

    assert response.status_code == 200
    assert response.json() == acme_entitlements()


def test_entitlements_show_bought_packs_the_package_and_the_storage_quota(acme, staff):
    AccountAddOn.objects.create(account=acme.account, addon=AddOn.objects.get(code="chatbot"),
                                packs=3)
    Account.objects.filter(pk=acme.account.pk).update(
        package=Package.objects.get(code="professional")
    )
    seat_services.seat_remove(account=acme.account, seat=acme.free_seat, actor=None, as_of=TODAY)

    response = client_for(staff).get(url(acme, "entitlements/"))

    assert response.status_code == 200
    assert response.json() == acme_entitlements(
        package="professional", seats=3, storage_gb_per_seat=15, storage_quota_gb=45,
        features=["contacts", "deals", "email", "automations", "sequences", "advanced_reports"],
        add_ons=[{"code": "chatbot", "name": "Chatbot conversations", "pack_size": 100,
                  "included": 500, "bought": 300, "packs": 3, "cap": 10000}],
    )


# --- renewal quote ------------------------------------------------------------------------------


def test_renewal_quote_returns_exactly_the_contract_json(acme):
    response = client_for(acme.admin.user).post(
        url(acme, "renewal-quote/"), {"until": "2026-12", "add_seats": 1,
                                      "add_ons": {"chatbot": 1}}, format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == QUOTE_KEYS
    assert all(set(x) == LINE_KEYS for x in body["lines"][:5])
    # each never-paid seat: 16–30 Nov (15/30) + December = 59 × 1.5; the pack 20 × 1.5
    seat_line = ("2026-11-16", "2026-12-31", 1, 15, 30, "59.00", "88.50")
    assert body == {
        "currency": "PLN", "term_months": 1, "discount_percent": "0.00",
        "lines": [line(seat, *seat_line) for seat in acme.seats] + [
            line(None, *seat_line),
            line(None, "2026-11-16", "2026-12-31", 1, 15, 30, "20.00", "30.00",
                 add_on="chatbot", packs=1),
        ],
        "net_before_discount": "472.50", "discount": "0.00", "net": "472.50",
        "vat_rate": "23.00", **DOMESTIC_VAT, "vat": "108.68", "gross": "581.18",
        "valid_until": "2026-12-31",
    }
    assert db_state(acme.account)[2:4] == ([(s, date(2026, 11, 30), None) for s in acme.seats],
                                           0)  # a quote changes nothing


def test_renewal_quote_defaults_to_no_new_seats_and_shows_the_discount(acme):
    pay_until(acme, date(2026, 11, 30))

    response = client_for(acme.admin.user).post(url(acme, "renewal-quote/"),
                                                {"until": "2027-11"}, format="json")

    assert response.status_code == 200
    body = response.json()
    # 12 months × 59 × 4 seats = 2832.00; 10 % off; VAT 23 % of 2548.80
    assert [x["seat"] for x in body["lines"]] == acme.seats
    assert {k: body[k] for k in ("term_months", "discount_percent", "net_before_discount",
                                 "discount", "net", "vat", "gross", "valid_until")} == {
        "term_months": 12, "discount_percent": "10.00", "net_before_discount": "2832.00",
        "discount": "283.20", "net": "2548.80", "vat": "586.22", "gross": "3135.02",
        "valid_until": "2027-11-30",
    }


def test_renewal_quote_is_in_the_accounts_currency_with_its_vat(globex):
    response = client_for(globex.admin.user).post(url(globex, "renewal-quote/"),
                                                  {"until": "2026-11"}, format="json")

    assert response.status_code == 200
    body = response.json()
    # 15/30 of 14 EUR = 7.00 per seat; Germany is in the EU: 23 %
    assert (body["currency"], body["lines"][0]["unit_price"], body["net"], body["vat"]) == (
        "EUR", "14.00", "28.00", "6.44"
    )


@pytest.mark.parametrize(
    ("as_of", "start", "amount"),
    [
        # 5 days expired: paid from the never-paid seats' creation (16 Nov), grace days included,
        # 15/30 + 1 month of 59 = 88.50 (SPEC §5)
        ("2026-12-05", "2026-11-16", "88.50"),
        ("2026-12-20", "2026-12-20", "22.84"),  # 20 days expired: forward only, 12/31 × 59
    ],
)
def test_staff_preview_a_quote_as_of_another_date(acme, staff, as_of, start, amount):
    response = client_for(staff).post(url(acme, "renewal-quote/"),
                                      {"until": "2026-12", "as_of": as_of}, format="json")

    assert response.status_code == 200
    assert {(x["start"], x["amount"]) for x in response.json()["lines"]} == {(start, amount)}


def test_a_member_asking_for_another_date_is_refused(acme):
    before = db_state(acme.account)

    response = client_for(acme.admin.user).post(
        url(acme, "renewal-quote/"), {"until": "2026-12", "as_of": "2026-12-20"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Only staff may preview another date.",
                               "code": "staff_only",
                               "as_of": ["Only staff may preview another date."]}
    assert db_state(acme.account) == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "until", "This field is required."),
        ({"until": "12/2026"}, "until", "Enter the target month as YYYY-MM."),
        ({"until": "2026-13"}, "until", "Enter the target month as YYYY-MM."),
        ({"until": "2026-10"}, "until", "The target month 2026-10 is in the past."),
        ({"until": "2029-12"}, "until",
         "The target month 2029-12 is too far ahead: renewals reach at most 36 months beyond this "
         "month or the seats' current validity, whichever is later (here 2029-11)."),
        ({"until": "2026-12", "add_seats": -1}, "add_seats",
         "New seats must be a whole number, 0 or more."),
        ({"until": "2026-12", "add_seats": 501}, "add_seats",
         "At most 500 new seats can be added at once."),
        ({"until": "2026-12", "add_seats": "two"}, "add_seats", "A valid integer is required."),
        ({"until": "2026-12", "add_ons": {"stickers": 1}}, "add_ons",
         "Unknown add-on “stickers” for this package."),
        ({"until": "2026-12", "add_ons": {"chatbot": 5}}, "add_ons",
         "Chatbot conversations: at most 500 units in total on this package (100 included, "
         "0 bought); you can add at most 4 more packs."),
        ({"until": "2026-12", "add_ons": {"chatbot": -1}}, "add_ons",
         "The number of packs of Chatbot conversations must be a whole number, 0 or more."),
        ({"until": "2026-12", "add_ons": ["chatbot"]}, "add_ons",
         'Expected a dictionary of items but got type "list".'),
        ({"until": "2026-12", "as_of": "yesterday"}, "as_of",
         "Enter the date as YYYY-MM-DD, for example 2026-11-16."),
    ],
    ids=["missing", "malformed", "month-13", "past", "over-36-months", "negative-seats",
         "too-many-seats", "seats-not-a-number", "unknown-add-on", "cap-exceeded",
         "negative-packs", "add-ons-not-a-map", "bad-as-of"],
)
@pytest.mark.parametrize("path", ["renewal-quote/", "orders/renewal/"])
def test_bad_renewal_input_is_a_400_on_the_field(acme, staff, path, body, field, message):
    before = db_state(acme.account)

    response = client_for(staff).post(url(acme, path), body, format="json")

    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert response.json()["detail"]
    assert db_state(acme.account) == before


def test_a_target_month_before_the_current_validity_is_refused(acme):
    seats_set_validity([acme.free_seat], valid_until=date(2027, 1, 31))

    response = client_for(acme.admin.user).post(url(acme, "renewal-quote/"),
                                                {"until": "2026-12"}, format="json")

    assert response.status_code == 400
    message = ("The target month 2026-12 ends before the seats' current validity (Jan. 31, 2027); "
               "pick 2027-01 or later.")
    assert response.json() == {"detail": message, "code": "invalid", "until": [message]}


def test_packs_that_are_not_whole_numbers_are_a_400_on_the_pack(acme):
    response = client_for(acme.admin.user).post(
        url(acme, "renewal-quote/"), {"until": "2026-12", "add_ons": {"chatbot": "many"}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["add_ons"] == {"chatbot": ["A valid integer is required."]}


# --- package change -----------------------------------------------------------------------------


def seat_changes(t, before, after):
    return [{"id": seat, "valid_until_before": before, "valid_until_after": after}
            for seat in t.seats]


def test_package_change_dry_run_previews_the_new_dates_and_changes_nothing(acme):
    pay_until(acme, date(2026, 12, 31))
    before = db_state(acme.account)

    response = client_for(acme.admin.user).post(
        url(acme, "package-change/"), {"package": "automation", "dry_run": True}, format="json"
    )

    assert response.status_code == 200
    # 16 Nov + floor(45 days × 59 / 119) = 16 Nov + 22 days
    assert response.json() == {"package": "automation", "applied": False,
                               "effective": "2026-11-16",
                               "seats": seat_changes(acme, "2026-12-31", "2026-12-08")}
    assert db_state(acme.account) == before


def test_package_change_applies_the_new_dates_and_the_package(acme):
    pay_until(acme, date(2026, 12, 31))

    response = client_for(acme.admin.user).post(
        url(acme, "package-change/"), {"package": "automation", "dry_run": False}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"package": "automation", "applied": True,
                               "effective": "2026-11-16",
                               "seats": seat_changes(acme, "2026-12-31", "2026-12-08")}
    account = Account.objects.get(pk=acme.account.pk)
    assert account.package.code == "automation"
    assert set(Seat.objects.filter(account=account).values_list("valid_until", "paid_through")) \
        == {(date(2026, 12, 8), date(2026, 12, 8))}
    assert AuditEntry.objects.get(account=account, action="account.package_change").actor \
        == acme.admin.user


def test_staff_change_a_package_as_of_another_date_the_spec_example(acme, staff):
    pay_until(acme, date(2026, 12, 31))

    response = client_for(staff).post(
        url(acme, "package-change/"),
        {"package": "automation", "dry_run": True, "as_of": "2026-11-15"}, format="json",
    )

    assert response.status_code == 200
    assert response.json()["effective"] == "2026-11-15"
    assert response.json()["seats"] == seat_changes(acme, "2026-12-31", "2026-12-07")


def test_a_member_changing_a_package_as_of_another_date_is_refused(acme):
    response = client_for(acme.admin.user).post(
        url(acme, "package-change/"),
        {"package": "automation", "dry_run": True, "as_of": "2026-11-15"}, format="json",
    )

    assert response.status_code == 400
    assert response.json()["as_of"] == ["Only staff may preview another date."]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"package": "base", "dry_run": True}, "package", "The account already has package Base."),
        ({"package": "gold", "dry_run": True}, "package", "Unknown package “gold”."),
        ({"package": "legacy", "dry_run": True}, "package",
         "Package Legacy is not offered any more."),
        ({"package": "automation"}, "dry_run", "This field is required."),
        ({"dry_run": True}, "package", "This field is required."),
    ],
    ids=["same", "unknown", "inactive", "no-dry-run", "no-package"],
)
def test_bad_package_change_is_a_400_on_the_field(acme, body, field, message):
    Package.objects.create(code="legacy", name="Legacy", active=False)
    before = db_state(acme.account)

    response = client_for(acme.admin.user).post(url(acme, "package-change/"), body,
                                                format="json")

    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert db_state(acme.account) == before


def test_a_second_package_change_within_a_month_is_refused_with_the_next_date(acme):
    # paid well ahead, so that on 2026-12-15 the account is valid (a blocked admin could not
    # change the package at all, SPEC §6)
    seats_pay_through(Seat.objects.filter(account=acme.account), date(2027, 6, 30))
    client = client_for(acme.admin.user)
    client.post(url(acme, "package-change/"), {"package": "automation", "dry_run": False},
                format="json")
    before = db_state(acme.account)

    with time_machine.travel(datetime(2026, 12, 15, 23, 59, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        response = client.post(url(acme, "package-change/"),
                               {"package": "professional", "dry_run": False}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The package was last changed on Nov. 16, 2026; the next change is possible "
                  "from Dec. 16, 2026.",
        "code": "too_soon",
    }
    assert db_state(acme.account) == before


# --- orders -------------------------------------------------------------------------------------


def test_renewal_order_is_pending_and_holds_exactly_the_quote(acme):
    client = client_for(acme.admin.user)
    body = {"until": "2027-05", "add_seats": 2, "add_ons": {"chatbot": 1}}
    quoted = client.post(url(acme, "renewal-quote/"), body, format="json").json()

    response = client.post(url(acme, "orders/renewal/"), body, format="json")

    assert response.status_code == 201
    order = Order.objects.get(account=acme.account)
    assert response.json() == {
        "id": order.pk, "kind": "renewal", "status": "pending", "currency": "PLN",
        "net": quoted["net"], "vat": quoted["vat"], "gross": quoted["gross"],
        "quote": {**quoted, "request": {"until": "2027-05", "add_seats": 2,
                                        "add_ons": {"chatbot": 1}},
                  "package": {"code": "base", "name": "Base"}},
        "created": "2026-11-16T12:00:00+01:00",
        "valid_through": "2026-11-23", "status_reason": "", "status_reason_text": "",
    }
    assert quoted["discount_percent"] == "5.00"  # Dec–May: 6 months
    assert order.created_by == acme.admin.user
    assert Seat.objects.filter(account=acme.account).count() == 4  # seats come with payment


def test_add_on_order_is_priced_pro_rata_to_the_accounts_validity_end(acme):
    response = client_for(acme.admin.user).post(url(acme, "orders/add-ons/"),
                                                {"add_ons": {"chatbot": 2}}, format="json")

    assert response.status_code == 201
    order = Order.objects.get(account=acme.account)
    # 16–30 Nov: 15/30 × 2 packs × 20 = 20.00; VAT 4.60
    assert response.json() == {
        "id": order.pk, "kind": "addons", "status": "pending", "currency": "PLN",
        "net": "20.00", "vat": "4.60", "gross": "24.60",
        "quote": {
            "currency": "PLN", "term_months": 0, "discount_percent": "0.00",
            "lines": [line(None, "2026-11-16", "2026-11-30", 0, 15, 30, "20.00", "20.00",
                           add_on="chatbot", packs=2)],
            "net_before_discount": "20.00", "discount": "0.00", "net": "20.00",
            "vat_rate": "23.00", **DOMESTIC_VAT, "vat": "4.60", "gross": "24.60",
            "valid_until": "2026-11-30", "request": {"add_ons": {"chatbot": 2}},
        },
        "created": "2026-11-16T12:00:00+01:00",
        "valid_through": "2026-11-23", "status_reason": "", "status_reason_text": "",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"add_ons": {}}, "Choose at least one pack to buy."),
        ({"add_ons": {"chatbot": 5}}, "Chatbot conversations: at most 500 units in total on this "
                                      "package (100 included, 0 bought); you can add at most 4 "
                                      "more packs."),
        ({"add_ons": {"stickers": 1}}, "Unknown add-on “stickers” for this package."),
    ],
    ids=["missing", "empty", "cap", "unknown"],
)
def test_bad_add_on_order_is_a_400_on_add_ons(acme, body, message):
    response = client_for(acme.admin.user).post(url(acme, "orders/add-ons/"), body,
                                                format="json")

    assert response.status_code == 400
    assert response.json()["add_ons"] == [message]
    assert not Order.objects.exists()


def test_add_on_order_without_valid_seats_is_refused(acme):
    pay_until(acme, date(2026, 11, 10))

    response = client_for(acme.admin.user).post(url(acme, "orders/add-ons/"),
                                                {"add_ons": {"chatbot": 1}}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The account has no valid seats; buy add-on packs together with a renewal.",
        "code": "no_validity",
    }


def test_staff_create_an_order_as_of_another_date(acme, staff):
    response = client_for(staff).post(url(acme, "orders/add-ons/"),
                                      {"add_ons": {"chatbot": 1}, "as_of": "2026-11-21"},
                                      format="json")

    assert response.status_code == 201
    assert response.json()["net"] == "6.67"  # 21–30 Nov: 10/30 × 20
    assert Order.objects.get().as_of == date(2026, 11, 21)


def test_order_list_shows_the_accounts_orders_newest_first(acme, globex):
    client = client_for(acme.admin.user)
    renewal = client.post(url(acme, "orders/renewal/"), {"until": "2026-12"},
                          format="json").json()
    add_ons = client.post(url(acme, "orders/add-ons/"), {"add_ons": {"chatbot": 1}},
                          format="json").json()
    client_for(globex.admin.user).post(url(globex, "orders/renewal/"), {"until": "2026-12"},
                                       format="json")

    response = client.get(url(acme, "orders/"))

    assert response.status_code == 200
    assert response.json() == [add_ons, renewal]


# --- billing period -----------------------------------------------------------------------------


def account_json(t, billing_period):
    return {"id": t.account.pk, "name": t.account.name, "package": "base", "country": "PL",
            "currency": "PLN", "trial": False, "trial_ends_on": None,
            "billing_period": billing_period}


def test_admin_switches_monthly_to_annual_themselves(acme):
    response = client_for(acme.admin.user).post(url(acme, "billing-period/"),
                                                {"billing_period": "annual"}, format="json")

    assert response.status_code == 200
    assert response.json() == account_json(acme, "annual")
    assert Account.objects.get(pk=acme.account.pk).billing_period == BillingPeriod.ANNUAL


def test_admin_asking_annual_to_monthly_is_told_only_staff_can(acme):
    Account.objects.filter(pk=acme.account.pk).update(billing_period=BillingPeriod.ANNUAL)

    response = client_for(acme.admin.user).post(url(acme, "billing-period/"),
                                                {"billing_period": "monthly"}, format="json")

    assert response.status_code == 403
    message = "Switching from annual to monthly billing is done by our staff; contact support."
    assert response.json() == {"detail": message, "code": "staff_only",
                               "billing_period": [message]}
    assert Account.objects.get(pk=acme.account.pk).billing_period == BillingPeriod.ANNUAL


def test_staff_switch_annual_to_monthly(acme, staff):
    Account.objects.filter(pk=acme.account.pk).update(billing_period=BillingPeriod.ANNUAL)

    response = client_for(staff).post(url(acme, "billing-period/"),
                                      {"billing_period": "monthly"}, format="json")

    assert response.status_code == 200
    assert response.json() == account_json(acme, "monthly")


@pytest.mark.parametrize(
    ("body", "message"),
    [({"billing_period": "weekly"},
      "“weekly” is not one of the accepted values: monthly, annual."),
     ({"billing_period": "monthly"}, "The billing period is already monthly."),
     ({}, "This field is required.")],
)
def test_bad_billing_period_is_a_400_on_the_field(acme, body, message):
    response = client_for(acme.admin.user).post(url(acme, "billing-period/"), body,
                                                format="json")

    assert response.status_code == 400
    assert response.json()["billing_period"] == [message]


# --- scoping and roles --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ENDPOINTS))
@pytest.mark.parametrize("role", ["admin", "manager", "user"])
def test_another_tenants_urls_are_not_found_and_change_nothing(acme, globex, role, name):
    pay_until(globex, date(2026, 12, 31))
    before = db_state(globex.account)

    response = call(client_for(getattr(acme, role).user), globex, name)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert db_state(globex.account) == before


@pytest.mark.parametrize("name", ADMIN_ONLY_ENDPOINTS)
@pytest.mark.parametrize("role", ["manager", "user"])
def test_managers_and_users_cannot_use_the_admin_endpoints(acme, role, name):
    pay_until(acme, date(2026, 12, 31))
    before = db_state(acme.account)

    response = call(client_for(getattr(acme, role).user), acme, name)

    assert response.status_code == 403
    assert response.json() == {"detail": ADMIN_ONLY, "code": "admin_only"}
    assert db_state(acme.account) == before


@pytest.mark.parametrize("name", ADMIN_ONLY_ENDPOINTS)
def test_admins_and_staff_use_the_admin_endpoints(acme, staff, name):
    pay_until(acme, date(2026, 12, 31))

    for user in (acme.admin.user, staff):
        response = call(client_for(user), acme, name)
        assert response.status_code in (200, 201), (user, response.json())
        Account.objects.filter(pk=acme.account.pk).update(
            package=Package.objects.get(code="base"), billing_period=BillingPeriod.MONTHLY
        )
        PackageChange.objects.all().delete()


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_anonymous_requests_are_refused(acme, name):
    response = call(APIClient(), acme, name)

    assert response.status_code == 401


def test_a_suspended_member_cannot_read_entitlements(acme):
    seat_services.member_release(account=acme.account, member=acme.user, state="suspended",
                                 effective=None, remove_seat=False, actor=None, as_of=TODAY)

    response = client_for(acme.user.user).get(url(acme, "entitlements/"))

    assert response.status_code == 403
    assert "suspended" in response.json()["detail"]


# --- schema -------------------------------------------------------------------------------------

OPERATIONS = {
    "entitlements/": {"get": "entitlements_retrieve"},
    "renewal-quote/": {"post": "renewal_quote"},
    "package-change/": {"post": "package_change"},
    "orders/": {"get": "orders_list"},
    "orders/renewal/": {"post": "orders_renewal_create"},
    "orders/add-ons/": {"post": "orders_addons_create"},
    "billing-period/": {"post": "billing_period_change"},
}


def test_schema_documents_every_endpoint_and_validates_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    for path, operations in OPERATIONS.items():
        documented = schema["paths"][f"{API}{{account_id}}/{path}"]
        assert {m: op["operationId"] for m, op in documented.items()} == operations
    components = schema["components"]["schemas"]
    assert set(components["RenewalQuote"]["properties"]) == QUOTE_KEYS
    assert set(components["QuoteLine"]["properties"]) == LINE_KEYS | {"add_on", "packs"}
    assert set(components["RenewalQuoteInput"]["properties"]) == {"until", "add_seats",
                                                                  "add_ons", "as_of"}
    assert components["RenewalQuoteInput"]["required"] == ["until"]
    assert set(components["Order"]["properties"]) == {
        "id", "kind", "status", "currency", "net", "vat", "gross", "quote", "created",
        "valid_through", "status_reason", "status_reason_text"}
    assert set(components["PackageChange"]["properties"]) == {"package", "applied",
                                                              "effective", "seats"}
    assert set(components["SeatValidityChange"]["properties"]) == {
        "id", "valid_until_before", "valid_until_after"
    }
