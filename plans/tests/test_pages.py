"""The payment pages of SPEC §4–5: "Payments → Renew" (with its JSON quote endpoint), pending
orders, add-on packs, the billing period and "Change package".

Every action goes through the page URLs, as a browser would post its forms, and each test checks
the database and what the page then shows. The business date is frozen at 2026-11-15 (Warsaw).
There is no payment flow yet, so seat validity is set explicitly on the Seat rows.

Acme's seats (see `acme`): the admin's seat and one free seat are paid through 2026-12-31; one free
seat, added today, is valid until 2026-11-30 and never paid.
"""

import html
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from catalogue.models import Package
from plans.models import Order, OrderKind, OrderStatus, PackageChange
from seats.models import Account, BillingPeriod, MemberRole, Seat
from seats.tests.helpers import seats_pay_through, seats_set_validity

TODAY = date(2026, 11, 15)
PAID_UNTIL = date(2026, 12, 31)
RENEW = "/account/renew/"
QUOTE = "/account/renew/quote/"
ORDER = "/account/renew/order/"
ADDONS = "/account/renew/add-ons/"
PERIOD = "/account/renew/billing-period/"
PACKAGE = "/account/package/"
API_KEYS = {"currency", "term_months", "discount_percent", "lines", "net_before_discount",
            "discount", "net", "vat_rate", "vat_code", "vat_reason", "vat_note", "vat", "gross",
            "valid_until"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today():
    moment = datetime(2026, 11, 15, 12, tzinfo=ZoneInfo("Europe/Warsaw"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def acme(make_account):
    account, admin = make_account("Acme", extra_seats=2, as_of=TODAY)
    seats = list(Seat.objects.filter(account=account).order_by("id"))
    for seat in seats[:2]:  # the admin's seat and the first free one
        seat.valid_until = seat.paid_through = PAID_UNTIL
        seat.save(update_fields=["valid_until", "paid_through"])
    return account, admin


@pytest.fixture
def admin_client(client, acme):
    client.force_login(acme[1].user)
    return client


def paid_through_everywhere(account, day):
    seats_pay_through(Seat.objects.filter(account=account), day)


# --- helpers ------------------------------------------------------------------------------------


def text(response):
    return html.unescape(response.content.decode())


def squashed(response):
    """The page text without tags and with whitespace collapsed, for reading sentences."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def quoted(response, name):
    """A value of the summary card ([data-quote] cells)."""
    match = re.search(rf'data-quote="{name}"[^>]*>([^<]*)<', response.content.decode())
    assert match, f"no {name} in the summary"
    return match.group(1)


def hidden(response, name):
    """A hidden field of the "Continue to payment" form."""
    form = re.search(r'<form[^>]*id="renew-order-form".*?</form>', response.content.decode(),
                     re.S).group(0)
    return re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', form).group(1)


def continue_enabled(response):
    button = re.search(r"<button[^>]*data-continue[^>]*>", response.content.decode()).group(0)
    return "disabled" not in button


def radio(response, value):
    return re.search(rf'<input type="radio" name="until" value="{value}"[^>]*>',
                     response.content.decode()).group(0)


def messages_of(response):
    return [html.unescape(m) for m in re.findall(r'<li class="message[^"]*"[^>]*>([^<]*)</li>',
                                                 response.content.decode())]


# --- Payments → Renew ---------------------------------------------------------------------------


def test_renew_page_shows_package_currency_and_validity_per_seat_group(admin_client):
    response = admin_client.get(RENEW)

    assert response.status_code == 200
    page = squashed(response)
    assert "Base · 59.00 PLN per seat per month, net" in page
    assert re.search(r'data-testid="currency">PLN<', response.content.decode())
    assert "1 seat valid until Nov. 30, 2026 0 occupied, 1 free" in page
    assert "2 seats valid until Dec. 31, 2026 1 occupied, 1 free" in page
    assert "Monthly" in page


def test_target_month_shortcuts_count_from_the_month_of_current_validity(admin_client):
    response = admin_client.get(RENEW)

    page = squashed(response)
    # seats are valid until 2026-12-31: +1 is the month after December (SPEC §5, issue 7)
    for label, end in [("End of this month", "Nov. 30, 2026"), ("+1 month", "Jan. 31, 2027"),
                       ("+3 months", "March 31, 2027"), ("+6 months", "June 30, 2027"),
                       ("+12 months", "Dec. 31, 2027")]:
        assert f"{label} {end}" in page
    # the end of this month cannot be quoted any more, and the tile says why (issue 12)
    assert "disabled" in radio(response, "2026-11")
    assert "End of this month Nov. 30, 2026 · already paid" in page
    assert "+1 month Jan. 31, 2027 · already paid" not in page
    assert "disabled" not in radio(response, "2027-06")
    # an unpaid seat is due within December: the default pays it without extending
    assert "checked" in radio(response, "other")
    assert hidden(response, "until") == "2026-12"


def test_plus_six_months_shortcut_earns_the_six_month_rung(admin_client):
    response = admin_client.get(RENEW, {"until": "2027-06", "add_seats": "0"})

    assert "checked" in radio(response, "2027-06")
    assert quoted(response, "term_months") == "6"
    assert quoted(response, "discount_percent") == "5"


def test_default_never_costs_nothing_when_every_seat_is_paid_to_the_month_end(admin_client,
                                                                               acme):
    paid_through_everywhere(acme[0], date(2026, 11, 30))

    response = admin_client.get(RENEW)

    # the end of this month would cost 0.00: the default is +1 month, December
    assert "checked" in radio(response, "2026-12")
    assert quoted(response, "valid_until") == "Dec. 31, 2026"
    assert quoted(response, "net") == "177.00"  # 3 seats × 59
    assert continue_enabled(response)


def test_end_of_this_month_is_the_default_when_something_is_due_in_it(admin_client, acme):
    paid_through_everywhere(acme[0], date(2026, 11, 30))
    seats_set_validity(Seat.objects.filter(account=acme[0]), paid_through=date(2026, 11, 20))

    response = admin_client.get(RENEW)

    assert "checked" in radio(response, "2026-11")
    assert quoted(response, "net") == "59.01"  # 3 lines of 10/30 × 59 = 19.67, rounded each


def test_default_quote_charges_the_unpaid_seat_from_its_creation(admin_client):
    response = admin_client.get(RENEW)

    # 2026-11-15..2026-12-31: 59 × (1 + 16/30) = 90.47; VAT 23 %
    assert quoted(response, "valid_until") == "Dec. 31, 2026"
    assert quoted(response, "term_months") == "0"
    assert quoted(response, "net_before_discount") == "90.47"
    assert quoted(response, "discount_percent") == "0"
    assert quoted(response, "discount") == "0.00"
    assert quoted(response, "net") == "90.47"
    assert quoted(response, "vat") == "20.81"
    assert quoted(response, "gross") == "111.28"
    assert continue_enabled(response)
    assert hidden(response, "until") == "2026-12"
    assert hidden(response, "add_seats") == "0"
    assert hidden(response, "addon_chatbot") == "0"
    details = squashed(response).split("Show billing details", 1)[1]
    assert "1 seat Nov. 15, 2026 – Dec. 31, 2026 1 month + 16/30 days 59.00 90.47" in details
    assert "Gross 111.28 PLN" in details


def test_recalculate_without_javascript_quotes_another_month_with_the_discount(admin_client):
    response = admin_client.get(RENEW, {"until": "other", "other_month": "2027-12",
                                        "add_seats": "0"})

    # term 2027-01..2027-12 = 12 months → 10 %
    # paid seats: 2 × 12 × 59 = 1416.00; unpaid seat: 59 × (13 + 16/30) = 798.47
    assert quoted(response, "term_months") == "12"
    assert quoted(response, "net_before_discount") == "2,214.47"
    assert quoted(response, "discount_percent") == "10"
    assert quoted(response, "discount") == "221.45"
    assert quoted(response, "net") == "1,993.02"
    assert quoted(response, "vat") == "458.39"
    assert quoted(response, "gross") == "2,451.41"
    assert "checked" in radio(response, "other")
    assert 'value="2027-12"' in response.content.decode()
    assert hidden(response, "until") == "2027-12"
    details = squashed(response).split("Show billing details", 1)[1]
    assert "2 seats Jan. 1, 2027 – Dec. 31, 2027 12 months 59.00 1,416.00" in details
    assert "1 seat Nov. 15, 2026 – Dec. 31, 2027 13 months + 16/30 days 59.00 798.47" in details


def test_a_month_given_in_the_link_is_shown_as_another_month(admin_client):
    response = admin_client.get(RENEW, {"until": "2027-04"})

    assert "checked" in radio(response, "other")
    assert quoted(response, "valid_until") == "April 30, 2027"


def test_new_seats_and_addon_packs_are_quoted_with_the_renewal(admin_client):
    response = admin_client.get(RENEW, {"until": "2026-12", "add_seats": "2",
                                        "addon_chatbot": "1"})

    # 3 seats from today (2 new, 1 unpaid): 3 × 90.47; one pack from today: 20 × (1 + 16/30)
    assert quoted(response, "net_before_discount") == "302.08"
    assert quoted(response, "vat") == "69.48"
    assert quoted(response, "gross") == "371.56"
    assert hidden(response, "add_seats") == "2"
    assert hidden(response, "addon_chatbot") == "1"
    details = squashed(response).split("Show billing details", 1)[1]
    assert ("3 seats (2 new) Nov. 15, 2026 – Dec. 31, 2026 1 month + 16/30 days 59.00 271.41"
            in details)
    assert ("Chatbot conversations: 1 pack Nov. 15, 2026 – Dec. 31, 2026 1 month + 16/30 days "
            "20.00 30.67") in details


def test_addon_fields_show_included_bought_cap_and_what_can_still_be_bought(admin_client):
    page = squashed(admin_client.get(RENEW))

    assert ("Chatbot conversations 100 included 0 bought (0 packs) up to 500 in total "
            "at most 4 more packs") in page
    assert "20.00 PLN per pack of 100 per month, net" in page


@pytest.mark.parametrize(
    ("query", "field_error"),
    [
        ({"until": "other", "other_month": "2026-10"}, "The target month 2026-10 is in the past."),
        ({"until": "other", "other_month": ""}, "Choose the month."),
        ({"until": "other", "other_month": "next year"}, "Enter the target month as YYYY-MM."),
        ({"until": "2026-12", "add_seats": "two"},
         "Enter a whole number written with the digits 0-9."),
        ({"until": "2026-12", "addon_chatbot": "5"},
         "you can add at most 4 more packs."),
    ],
)
def test_a_refused_quote_is_shown_on_the_page_and_nothing_can_be_ordered(
    admin_client, query, field_error
):
    response = admin_client.get(RENEW, query)

    assert response.status_code == 200
    assert re.search(r'<p class="field-error">[^<]*' + re.escape(field_error),
                     text(response)), field_error
    assert quoted(response, "gross") == "—"
    assert not continue_enabled(response)
    assert "Correct the highlighted fields to see the total." in text(response)


def test_a_month_before_the_current_validity_is_refused_with_the_reason(admin_client):
    response = admin_client.get(RENEW, {"until": "2026-11"})

    assert ("The target month 2026-11 ends before the seats' current validity (Dec. 31, 2026); "
            "pick 2026-12 or later.") in text(response)
    assert not continue_enabled(response)


# --- the JSON quote endpoint --------------------------------------------------------------------


def test_quote_endpoint_returns_the_quote_json_and_the_billing_details(admin_client):
    response = admin_client.post(QUOTE, {"until": "other", "other_month": "2027-12",
                                         "add_seats": "0", "addon_chatbot": ""})

    assert response.status_code == 200
    data = response.json()
    assert set(data) == API_KEYS | {"details_html", "display"}
    assert {k: data[k] for k in ["currency", "term_months", "discount_percent",
                                 "net_before_discount", "discount", "net", "vat_rate", "vat",
                                 "gross", "valid_until"]} == {
        "currency": "PLN", "term_months": 12, "discount_percent": "10.00",
        "net_before_discount": "2214.47", "discount": "221.45", "net": "1993.02",
        "vat_rate": "23.00", "vat": "458.39", "gross": "2451.41", "valid_until": "2027-12-31",
    }
    assert len(data["lines"]) == 3
    details = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(data["details_html"])))
    assert "2 seats Jan. 1, 2027 – Dec. 31, 2027 12 months 59.00 1,416.00" in details
    assert "Discount (10 %) −221.45 PLN" in details
    # what renew.js puts on screen, formatted like the page (issue 12)
    assert data["display"] == {
        "net_before_discount": "2,214.47", "discount": "221.45", "net": "1,993.02",
        "vat": "458.39", "gross": "2,451.41", "discount_percent": "10", "vat_rate": "23",
        "valid_until": "Dec. 31, 2027"}


def test_quote_endpoint_answers_400_with_the_message_for_a_past_month(admin_client):
    response = admin_client.post(QUOTE, {"until": "other", "other_month": "2026-10"})

    assert response.status_code == 400
    assert response.json() == {"error": "The target month 2026-10 is in the past.",
                               "field": "other_month"}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"until": "2026-12", "add_seats": "two"}, "add_seats",
         "Enter a whole number written with the digits 0-9."),
        ({"until": "2026-12", "add_seats": "501"}, "add_seats",
         "At most 500 new seats can be added at once."),
        ({"until": "2026-12", "addon_chatbot": "5"}, "addon_chatbot",
         "Chatbot conversations: at most 500 units in total on this package (100 included, "
         "0 bought); you can add at most 4 more packs."),
        ({"until": "2030-01"}, "until",
         "The target month 2030-01 is too far ahead: renewals reach at most 36 months beyond this "
         "month or the seats' current validity, whichever is later (here 2029-12)."),
        ({}, "until", "This field is required."),
    ],
)
def test_quote_endpoint_refusals_name_the_field(admin_client, data, field, message):
    response = admin_client.post(QUOTE, data)

    assert response.status_code == 400
    assert response.json() == {"error": message, "field": field}


def test_quote_endpoint_only_answers_post(admin_client):
    # a GET (an address copied from the network panel) goes to the Renew page (issue 13)
    response = admin_client.get(QUOTE, {"until": "2026-12"})
    assert (response.status_code, response["Location"]) == (302, reverse("payments_renew"))


def test_quote_endpoint_enforces_csrf(acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(acme[1].user)

    refused = client.post(QUOTE, {"until": "2026-12"})
    assert refused.status_code == 403

    client.get(RENEW)  # sets the CSRF cookie, as the page does for renew.js
    token = client.cookies["csrftoken"].value
    accepted = client.post(QUOTE, {"until": "2026-12"}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    assert accepted.json()["gross"] == "111.28"


# --- Continue to payment → the order page -------------------------------------------------------


def test_continue_to_payment_creates_a_pending_order_with_exactly_the_quote(admin_client, acme):
    account, admin = acme

    response = admin_client.post(ORDER, {"until": "2027-12", "add_seats": "0",
                                         "addon_chatbot": "0"})

    order = Order.objects.get(account=account)
    assert response.status_code == 302
    assert response.url == f"/account/orders/{order.pk}/"
    assert (order.kind, order.status, order.currency) == (OrderKind.RENEWAL,
                                                          OrderStatus.PENDING, "PLN")
    assert (order.net, order.vat, order.gross) == (Decimal("1993.02"), Decimal("458.39"),
                                                   Decimal("2451.41"))
    assert order.quote["request"] == {"until": "2027-12", "add_seats": 0, "add_ons": {}}
    assert order.created_by == admin.user
    # the seats are extended only when the payment is booked
    assert set(Seat.objects.filter(account=account).values_list("valid_until", flat=True)) == {
        date(2026, 11, 30), PAID_UNTIL}

    page = admin_client.get(response.url)
    assert page.status_code == 200
    shown = squashed(page)
    assert f"Order #{order.pk}" in shown
    assert "pending payment" in shown
    assert "Total to pay 2,451.41 PLN" in shown
    assert f'href="/account/orders/{order.pk}/pay/" data-testid="pay-now"' in page.content.decode()
    assert "2 seats Jan. 1, 2027 – Dec. 31, 2027 12 months 59.00 1,416.00" in shown
    assert "Discount (10 %) −221.45 PLN" in shown


def test_an_order_that_cannot_be_quoted_is_not_created_and_the_reason_is_shown(
    admin_client, acme
):
    response = admin_client.post(ORDER, {"until": "2026-10", "add_seats": "0"}, follow=True)

    assert not Order.objects.filter(account=acme[0]).exists()
    assert ("The order was not created: The target month 2026-10 is in the past."
            in messages_of(response))
    assert "checked" in radio(response, "other")  # the month it was about, to correct it


def test_an_order_of_another_account_is_not_found(admin_client, make_account):
    other, _other_admin = make_account("Globex", as_of=TODAY)
    order = Order.objects.create(account=other, kind=OrderKind.RENEWAL, currency="PLN",
                                 net=Decimal("1.00"), vat=Decimal("0.23"),
                                 gross=Decimal("1.23"), quote={}, as_of=TODAY)

    assert admin_client.get(f"/account/orders/{order.pk}/").status_code == 404
    assert admin_client.get("/account/orders/999999/").status_code == 404


# --- add-on packs outside a renewal -------------------------------------------------------------


def test_buying_addon_packs_creates_a_pending_order_until_the_current_validity(
    admin_client, acme
):
    account, _admin = acme

    response = admin_client.post(ADDONS, {"buy-addon_chatbot": "2"})

    order = Order.objects.get(account=account)
    assert response.url == f"/account/orders/{order.pk}/"
    # 2 packs × 20 × (1 + 16/30) from today to 2026-12-31
    assert (order.kind, order.net, order.vat, order.gross) == (
        OrderKind.ADDONS, Decimal("61.33"), Decimal("14.11"), Decimal("75.44"))
    shown = squashed(admin_client.get(response.url))
    assert ("Chatbot conversations: 2 packs Nov. 15, 2026 – Dec. 31, 2026 1 month + 16/30 days "
            "20.00 61.33") in shown
    assert "Total to pay 75.44 PLN" in shown


@pytest.mark.parametrize(
    ("packs", "error"),
    [
        ("0", "Choose at least one pack to buy."),
        ("5", "you can add at most 4 more packs."),
        # named by the add-on's name, not its code "chatbot" (issue 12)
        ("many", "The number of packs of Chatbot conversations must be a whole number, 0 or "
                 "more."),
        ("-2", "The number of packs of Chatbot conversations must be a whole number, 0 or "
               "more."),
    ],
)
def test_refused_addon_purchases_show_why_and_create_nothing(admin_client, acme, packs, error):
    response = admin_client.post(ADDONS, {"buy-addon_chatbot": packs})

    assert response.status_code == 200
    section = text(response).split('id="buy-addons"', 1)[1]
    assert error in section
    assert not Order.objects.exists()


# --- billing period -----------------------------------------------------------------------------


def test_an_admin_switches_from_monthly_to_annual_billing(admin_client, acme):
    account, _admin = acme

    page = squashed(admin_client.get(RENEW))
    assert "Your recurring payments are billed monthly." in page
    assert "I understand that only support can switch us back to monthly billing." in page

    response = admin_client.post(PERIOD, {"period": "annual", "confirm": "1"}, follow=True)

    account.refresh_from_db()
    assert account.billing_period == BillingPeriod.ANNUAL
    assert "You are now billed annually." in messages_of(response)
    page = squashed(response)
    assert "Your recurring payments are billed annually." in page
    assert "To switch back to monthly billing, contact support." in page
    assert "Switch to annual billing" not in page


def test_switching_to_annual_billing_without_the_confirmation_is_refused(admin_client, acme):
    """The admin cannot undo the switch, so it needs the box ticked; without JavaScript the
    server is what refuses it (issue 12)."""
    account, _admin = acme

    response = admin_client.post(PERIOD, {"period": "annual"}, follow=True)

    account.refresh_from_db()
    assert account.billing_period == BillingPeriod.MONTHLY
    assert ("Annual billing was not switched on: tick the box to confirm that you know only "
            "support can switch you back to monthly billing.") in messages_of(response)
    assert "Switch to annual billing" in squashed(response)


def test_annual_to_monthly_is_refused_with_contact_support(admin_client, acme):
    account, _admin = acme
    Account.objects.filter(pk=account.pk).update(billing_period=BillingPeriod.ANNUAL)

    response = admin_client.post(PERIOD, {"period": "monthly"}, follow=True)

    account.refresh_from_db()
    assert account.billing_period == BillingPeriod.ANNUAL
    assert ("Switching from annual to monthly billing is done by our staff; contact support."
            in messages_of(response))


# --- Change package -----------------------------------------------------------------------------


def test_a_package_without_a_price_in_the_currency_is_shown_but_cannot_be_chosen(admin_client):
    """An offer the account cannot take says why and is disabled (issue 12)."""
    Package.objects.create(code="euro-only", name="Euro only", position=9)

    response = admin_client.get(PACKAGE)

    option = re.search(r'<label class="package-option package-unavailable">.*?</label>',
                       text(response), re.S)
    assert option and 'value="euro-only" disabled' in option.group(0)
    assert "no price in your currency" in option.group(0)


@pytest.fixture
def all_paid(acme):
    """Every Acme seat paid through 2026-12-31, as in the checked example of SPEC §4."""
    paid_through_everywhere(acme[0], PAID_UNTIL)
    return acme


def test_package_page_lists_active_packages_with_prices_and_entitlements(admin_client):
    Package.objects.filter(code="professional").update(active=False)

    response = admin_client.get(PACKAGE)

    page = squashed(response)
    assert re.search(r'data-testid="current-package">Base', response.content.decode())
    assert "Automation 119.00 PLN per seat per month, net 8 GB storage per seat" in page
    assert "Chatbot conversations: 500 included, up to 10000" in page
    assert "Automations" in page
    assert "Professional" not in page
    assert 'value="base" disabled' in response.content.decode()  # the current one


def test_package_preview_shows_the_converted_dates_and_changes_nothing(admin_client, all_paid):
    account, _admin = all_paid

    response = admin_client.get(PACKAGE, {"package": "automation"})

    page = squashed(response)
    # SPEC §4: on 2026-11-15, Base → Automation turns 2026-12-31 into 2026-12-07
    assert "Preview: Base → Automation" in page
    assert "3 seats" in page
    row = re.search(r'data-testid="package-preview".*?<tbody>(.*?)</tbody>',
                    text(response), re.S).group(1)
    assert "Dec. 31, 2026" in row and "Dec. 7, 2026" in row
    assert "I accept the terms of the package change" in page
    account.refresh_from_db()
    assert account.package.code == "base"
    assert set(Seat.objects.filter(account=account).values_list("valid_until", flat=True)) == {
        PAID_UNTIL}


def test_applying_a_package_change_requires_accepting_the_terms(admin_client, all_paid):
    account, _admin = all_paid

    response = admin_client.post(PACKAGE, {"package": "automation"})

    assert response.status_code == 400  # the page again, with the form's error (issue 13)
    assert "Accept the terms of the package change to apply it." in text(response)
    account.refresh_from_db()
    assert account.package.code == "base"
    assert not PackageChange.objects.exists()


def test_applying_a_package_change_converts_the_seats(admin_client, all_paid):
    account, admin = all_paid

    response = admin_client.post(PACKAGE, {"package": "automation", "accept_terms": "on"},
                                 follow=True)

    account.refresh_from_db()
    assert account.package.code == "automation"
    assert set(Seat.objects.filter(account=account).values_list("valid_until", flat=True)) == {
        date(2026, 12, 7)}
    change = PackageChange.objects.get(account=account)
    assert (change.effective_on, change.actor) == (TODAY, admin.user)
    assert ("Your package is now Automation. The remaining time of 3 seats has been converted "
            "at the price ratio." in messages_of(response))
    assert "Nov. 15, 2026: Base → Automation" in squashed(response)


def test_a_cheaper_package_lengthens_validity(admin_client, all_paid):
    account, _admin = all_paid
    Account.objects.filter(pk=account.pk).update(package=Package.objects.get(code="automation"))

    admin_client.post(PACKAGE, {"package": "base", "accept_terms": "on"})

    # SPEC §4: Automation → Base turns 2026-12-31 into 2027-02-15
    assert set(Seat.objects.filter(account=account).values_list("valid_until", flat=True)) == {
        date(2027, 2, 15)}


def test_a_second_change_within_a_month_is_refused(admin_client, all_paid):
    account, _admin = all_paid
    PackageChange.objects.create(account=account, from_package=Package.objects.get(code="pro"
                                 "fessional"), to_package=account.package,
                                 effective_on=date(2026, 11, 1))
    message = ("The package was last changed on Nov. 1, 2026; the next change is possible from "
               "Dec. 1, 2026.")

    preview = admin_client.get(PACKAGE, {"package": "automation"})
    applied = admin_client.post(PACKAGE, {"package": "automation", "accept_terms": "on"})

    assert message in text(preview)
    assert applied.status_code == 409  # a state conflict, shown on the page (issue 13, item 10)
    assert message in text(applied)
    account.refresh_from_db()
    assert account.package.code == "base"
    assert PackageChange.objects.count() == 1


@pytest.mark.parametrize(
    ("code", "message"),
    [("base", "The account already has package Base."),
     ("gold", "Unknown package “gold”.")],
)
def test_the_same_or_an_unknown_package_is_refused(admin_client, all_paid, code, message):
    preview = admin_client.get(PACKAGE, {"package": code})
    applied = admin_client.post(PACKAGE, {"package": code, "accept_terms": "on"})

    assert message in text(preview)
    assert message in text(applied)
    assert not PackageChange.objects.exists()


# --- who may open these pages -------------------------------------------------------------------

PAGES = [("get", RENEW, {}), ("post", QUOTE, {"until": "2026-12"}),
         ("post", ORDER, {"until": "2026-12"}), ("post", ADDONS, {"buy-addon_chatbot": "1"}),
         ("post", PERIOD, {"period": "annual"}), ("get", PACKAGE, {"package": "automation"}),
         ("post", PACKAGE, {"package": "automation", "accept_terms": "on"})]


@pytest.mark.parametrize("role", [MemberRole.MANAGER, MemberRole.USER])
@pytest.mark.parametrize(("method", "url", "data"), PAGES)
def test_only_admins_may_use_the_payment_pages(
    client, acme, make_member, role, method, url, data
):
    account, _admin = acme
    member = make_member(account, f"{role}@acme.example", role, as_of=TODAY)
    client.force_login(member.user)

    response = getattr(client, method)(url, data)

    assert response.status_code == 403
    account.refresh_from_db()
    assert (account.billing_period, account.package.code) == (BillingPeriod.MONTHLY, "base")
    assert not Order.objects.exists()


def test_non_admins_cannot_see_an_order_of_their_own_account(client, acme, make_member):
    account, _admin = acme
    order = Order.objects.create(account=account, kind=OrderKind.RENEWAL, currency="PLN",
                                 net=Decimal("1.00"), vat=Decimal("0.23"),
                                 gross=Decimal("1.23"), quote={}, as_of=TODAY)
    manager = make_member(account, "manager@acme.example", MemberRole.MANAGER, as_of=TODAY)
    client.force_login(manager.user)

    assert client.get(f"/account/orders/{order.pk}/").status_code == 403


@pytest.mark.parametrize("url", [RENEW, PACKAGE])
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith("/login/")
