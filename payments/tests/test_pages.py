"""The payment pages (issue 9) without a browser: who may see them, which methods each currency
offers, Stripe.js from localstripe or Stripe, the pro-forma for a transfer, the result page and
its status endpoint against the real localstripe, and the finance page's booking form. Amounts:
2 never-paid seats to the end of December = 177.00 net, 217.71 gross (23 % VAT)."""

import json
import re
import urllib.request
from datetime import date, datetime
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from invoices.models import DocumentKind
from invoices.tests import billing_profile
from payments import gateway
from payments.models import Payment, PaymentStatus, TransferBooking, TransferStatus
from payments.tests.conftest import STRIPE_PUBLISHABLE_KEY
from plans import services as plan_services
from plans.models import Order, OrderStatus
from seats import services as seat_services
from seats.models import MemberRole, Seat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

AS_OF = date(2026, 11, 16)
DECLINED_WHEN_CHARGED = "4000000000000341"
THREE_D_SECURE = "4000002760003184"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 11, 16, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


def squashed(response):
    """The page's text without tags, whitespace collapsed."""
    text = unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r"\s+", " ", text).strip()


def card(number):
    """What Stripe.js does on the page: a PaymentMethod from the card's details."""
    return gateway.client().v1.payment_methods.create(params={
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                                 "cvc": "123"}}).id


@pytest.fixture
def shop(catalogue, client):
    """An admin logged in, with a pending renewal of two seats to the end of December."""
    def _make(country="PL", name="Acme"):
        account = seat_services.account_create(name=name, package_code="base",
                                                country=country, trial=False, actor=None,
                                                as_of=AS_OF)
        admin = seat_services.member_invite(
            account=account, email=f"boss@{name.lower()}.example", role=MemberRole.ADMIN,
            actor=None, as_of=AS_OF)
        seat_services.seats_add(account=account, count=1, actor=None, as_of=AS_OF)
        billing_profile(account)
        order = plan_services.renewal_order_create(account=account, until=(2026, 12),
                                                   actor=admin.user, as_of=AS_OF)
        client.force_login(admin.user)
        return order
    return _make


def pay_url(order):
    return f"/account/orders/{order.pk}/pay/"


def start(client, order, **fields):
    return client.post(f"/account/orders/{order.pk}/pay/start/", fields)


@pytest.fixture
def finance(db):
    user = get_user_model().objects.create_user(
        "money@vendor.example", "money@vendor.example", "pass-Word-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_transferbooking"))
    return user


# --- who may see what ----------------------------------------------------------------------------


def test_another_tenants_order_and_payment_are_not_found(shop, client, make_account):
    order = shop()
    payment = Payment.objects.create(account=order.account, order=order, method="card",
                                     amount=order.gross, currency=order.currency)
    _account, stranger = make_account("Globex", as_of=AS_OF)
    client.force_login(stranger.user)

    assert client.get(pay_url(order)).status_code == 404
    assert start(client, order, method="card", payment_method="pm_card_visa").status_code == 404
    assert client.post(f"/account/orders/{order.pk}/pay/transfer/").status_code == 404
    assert client.get(f"/account/orders/{order.pk}/payment/{payment.pk}/").status_code == 404
    assert client.get(
        f"/account/orders/{order.pk}/payment/{payment.pk}/status/").status_code == 404
    assert Payment.objects.filter(order=order).count() == 1
    assert not order.documents.exists()


def test_a_payment_of_another_order_of_the_same_account_is_not_found(shop, client):
    order = shop()
    other = plan_services.renewal_order_create(account=order.account, until=(2027, 1),
                                               actor=None, as_of=AS_OF)
    payment = Payment.objects.create(account=order.account, order=other, method="card",
                                     amount=other.gross, currency=other.currency)
    assert client.get(f"/account/orders/{order.pk}/payment/{payment.pk}/").status_code == 404


def test_members_who_are_not_admins_get_403(shop, client, make_member):
    order = shop()
    member = make_member(order.account, "user@acme.example", as_of=AS_OF)
    client.force_login(member.user)
    assert client.get(pay_url(order)).status_code == 403
    assert start(client, order, method="card", payment_method="pm_card_visa").status_code == 403


def test_the_finance_page_is_for_staff_who_may_book_transfers(client, finance, shop, staff):
    shop()  # an account admin is logged in
    assert client.get("/finance/transfers/").status_code == 403
    client.force_login(staff)  # staff, but not allowed to book transfers
    assert client.get("/finance/transfers/").status_code == 403
    client.logout()
    assert client.get("/finance/transfers/")["Location"].startswith("/login/")
    client.force_login(finance)
    page = client.get("/finance/transfers/")
    assert page.status_code == 200
    # the staff menu links to it, for those who may use it only
    assert 'href="/finance/transfers/" aria-current="page"' in page.content.decode()
    client.force_login(staff)
    assert 'href="/finance/transfers/"' not in client.get("/admin/").content.decode()


# --- the payment page -----------------------------------------------------------------------------


def methods_offered(page):
    return set(re.findall(r'name="method" value="(\w+)"', page.content.decode()))


@pytest.mark.parametrize(("country", "currency", "methods"), [
    ("PL", "PLN", {"card", "blik", "p24"}),
    ("DE", "EUR", {"card", "p24"}),
    ("US", "USD", {"card"}),
])
def test_the_methods_offered_follow_the_orders_currency(shop, client, settings, country,
                                                        currency, methods):
    settings.STRIPE_API_BASE = ""  # a Stripe account (the page only links Stripe.js)
    order = shop(country)
    assert order.currency == currency
    page = client.get(pay_url(order))
    assert page.status_code == 200
    assert methods_offered(page) == methods
    assert ('name="blik_code"' in page.content.decode()) == ("blik" in methods)
    assert "Download a pro-forma for a bank transfer" in squashed(page)


def test_with_localstripe_only_cards_are_offered_and_the_page_says_why(shop, client):
    page = client.get(pay_url(shop()))
    assert methods_offered(page) == {"card"}
    assert "knows cards only: BLIK and Przelewy24 are offered with a Stripe account" in squashed(
        page)


def test_the_page_shows_the_total_and_the_validity_and_explains_card_needs_javascript(shop,
                                                                                      client):
    order = shop()
    page = client.get(pay_url(order))
    shown = squashed(page)
    assert f"Pay order #{order.pk}" in shown
    assert "Seats valid until Dec. 31, 2026" in shown
    assert "Total to pay 217.71 PLN" in shown
    assert "Pay 217.71 PLN" in shown
    assert "Enable recurring payments" in shown
    # without JavaScript: the explanation, and the pro-forma form is a plain POST form
    html = page.content.decode()
    assert "Paying by card, BLIK or Przelewy24 needs JavaScript." in shown
    assert f'action="/account/orders/{order.pk}/pay/transfer/"' in html


def test_stripe_js_comes_from_localstripe_locally_and_from_stripe_with_real_keys(
        shop, client, settings, localstripe_server):
    order = shop()
    html = client.get(pay_url(order)).content.decode()
    assert f'<script src="{localstripe_server.js_url}"></script>' in html
    assert f'data-stripe-key="{STRIPE_PUBLISHABLE_KEY}"' in html

    settings.STRIPE_API_BASE = ""
    html = client.get(pay_url(order)).content.decode()
    assert '<script src="https://js.stripe.com/v3/"></script>' in html
    # (the page never loads any other script from elsewhere)
    assert set(re.findall(r'<script src="(https?://[^"]+)"', html)) == {
        "https://js.stripe.com/v3/"}

    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""
    page = client.get(pay_url(order))
    assert "js.stripe.com" not in page.content.decode()
    assert "Online payments are not available at the moment." in squashed(page)


def script_sources(response):
    policy = dict(part.split(" ", 1) for part in response["Content-Security-Policy"].split("; "))
    return policy["script-src"].split(), policy.get("frame-src", "").split()


def test_only_the_payment_page_lets_stripe_js_in_past_the_content_security_policy(
        shop, client, settings, localstripe_server):
    order = shop()
    local = client.get(pay_url(order))
    origin = localstripe_server.url.rstrip("/")
    assert script_sources(local) == (["'self'", origin], [origin])

    settings.STRIPE_API_BASE = ""
    assert script_sources(client.get(pay_url(order))) == (
        ["'self'", "https://js.stripe.com"], ["https://js.stripe.com", "https://hooks.stripe.com"])

    # the other pages, and the payment page without Stripe, allow this site's scripts only
    assert script_sources(client.get(f"/account/orders/{order.pk}/"))[0] == ["'self'"]
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""
    assert script_sources(client.get(pay_url(order)))[0] == ["'self'"]


def test_the_order_page_links_to_the_payment_page_while_pending(shop, client):
    order = shop()
    html = client.get(f"/account/orders/{order.pk}/").content.decode()
    assert f'href="/account/orders/{order.pk}/pay/"' in html
    start(client, order, method="card", payment_method="pm_card_visa")
    html = client.get(f"/account/orders/{order.pk}/").content.decode()
    assert f'href="/account/orders/{order.pk}/pay/"' not in html


def test_a_paid_order_has_nothing_to_pay(shop, client):
    order = shop()
    start(client, order, method="card", payment_method="pm_card_visa")
    page = client.get(pay_url(order))
    assert f"Order #{order.pk} is already paid." in squashed(page)
    assert methods_offered(page) == set()


# --- starting a payment, the result page ---------------------------------------------------------


def test_a_card_payment_answers_json_and_the_result_shows_the_validity_and_invoice(shop,
                                                                                   client):
    order = shop()
    response = start(client, order, method="card", payment_method="pm_card_visa")

    assert response.status_code == 201
    body = response.json()
    payment = Payment.objects.get(order=order)
    assert (body["status"], body["result_url"]) == (
        "succeeded", f"/account/orders/{order.pk}/payment/{payment.pk}/")
    page = client.get(body["result_url"])
    shown = squashed(page)
    invoice = order.documents.get(kind=DocumentKind.INVOICE)
    assert "Payment received: thank you!" in shown
    assert "Seats valid until Dec. 31, 2026" in shown
    assert f'href="/account/documents/{invoice.pk}/pdf/"' in page.content.decode()
    assert f"Download invoice {invoice.number} (PDF)" in shown


def test_a_declined_card_shows_the_reason_and_a_way_back(shop, client):
    order = shop()
    body = start(client, order, method="card",
                 payment_method=card(DECLINED_WHEN_CHARGED)).json()

    assert body["status"] == "failed"
    page = client.get(body["result_url"])
    shown = squashed(page)
    assert "The payment did not go through" in shown
    assert "The card was declined." in shown
    assert "your order is unchanged" in shown
    assert f'href="/account/orders/{order.pk}/pay/"' in page.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    assert not Seat.objects.filter(account=order.account, paid_through__isnull=False).exists()


def test_refusals_come_back_as_json_with_the_message(shop, client):
    eur = shop("DE")
    response = start(client, eur, method="blik")
    assert (response.status_code, response.json()["error"]) == (
        400, "BLIK is not available for payments in EUR.")
    response = start(client, eur, method="transfer")
    assert (response.status_code, response.json()["field"]) == (400, "method")
    response = start(client, eur, method="card")
    assert response.json()["error"] == "Enter the card details."
    # a GET goes to the payment page the JSON endpoint belongs to (issue 13)
    assert client.get(f"/account/orders/{eur.pk}/pay/start/")["Location"] == pay_url(eur)


def test_the_status_endpoint_syncs_a_3d_secure_payment_from_stripe(shop, client, settings):
    order = shop()
    body = start(client, order, method="card", payment_method=card(THREE_D_SECURE)).json()
    assert body["status"] == "requires_action" and body["client_secret"]
    status_url = body["result_url"] + "status/"

    waiting = client.get(body["result_url"])
    assert 'data-testid="payment-progress"' in waiting.content.decode()
    assert client.get(status_url).json()["done"] is False

    # what localstripe's Stripe.js does when the card holder completes 3-D Secure
    intent_id = body["client_secret"].split("_secret_")[0]
    request = urllib.request.Request(  # noqa: S310 (localstripe on localhost)
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{intent_id}/_authenticate"
        "?success=true", method="POST", data=json.dumps(
            {"key": STRIPE_PUBLISHABLE_KEY, "client_secret": body["client_secret"]}).encode())
    urllib.request.urlopen(request, timeout=10).read()  # noqa: S310

    status = client.get(status_url).json()
    assert (status["done"], status["state"], status["order"]["status"]) == (True, "paid", "paid")
    assert "Payment received: thank you!" in squashed(client.get(body["result_url"]))


# --- pro-forma for a transfer ---------------------------------------------------------------------


def test_the_proforma_page_gives_the_number_bank_account_amount_and_title(shop, client,
                                                                          settings):
    order = shop()
    response = client.post(f"/account/orders/{order.pk}/pay/transfer/")

    payment = Payment.objects.get(order=order, method="transfer")
    proforma = order.documents.get(kind=DocumentKind.PROFORMA)
    assert response["Location"] == f"/account/orders/{order.pk}/payment/{payment.pk}/"
    page = client.get(response["Location"])
    shown = squashed(page)
    assert f"Pro-forma {proforma.number}" in shown
    assert "Amount 217.71 PLN" in shown
    assert f"Bank account {settings.SELLER['bank_account']}" in shown
    assert f"Transfer title {proforma.number}" in shown
    assert f'href="/account/documents/{proforma.pk}/pdf/"' in page.content.decode()
    # the same pro-forma again, and the payment page points to it
    again = client.post(f"/account/orders/{order.pk}/pay/transfer/")
    assert again["Location"] == response["Location"]
    assert f"Your pro-forma {proforma.number} is ready." in squashed(client.get(pay_url(order)))
    assert client.get(f"/account/orders/{order.pk}/pay/transfer/")["Location"] == pay_url(order)


def test_a_proforma_for_a_void_order_is_refused_with_the_reason(shop, client):
    order = shop()
    seat_services.seats_add(account=order.account, count=1, actor=None, as_of=AS_OF)
    response = client.post(f"/account/orders/{order.pk}/pay/transfer/", follow=True)
    assert "can no longer be paid" in squashed(response)
    assert not order.documents.exists()


# --- finance: booking transfers -------------------------------------------------------------------


def booking(order, amount, *, action="book", received_on="2026-11-16", reference="PF",
            note=""):
    prefix = f"order-{order.pk}-"
    return {"order": order.pk, "action": action, prefix + "amount": amount,
            prefix + "received_on": received_on, prefix + "reference": reference,
            prefix + "note": note}


@pytest.fixture
def proforma_order(shop, client):
    order = shop()
    client.post(f"/account/orders/{order.pk}/pay/transfer/")
    return order


def test_finance_sees_the_unpaid_proformas_and_books_the_exact_amount(proforma_order, client,
                                                                      finance):
    order = proforma_order
    proforma = order.documents.get(kind=DocumentKind.PROFORMA)
    client.force_login(finance)
    page = client.get("/finance/transfers/")
    shown = squashed(page)
    assert f"{proforma.number} PDF · Acme · order #{order.pk} 217.71 PLN" in shown
    # the reference is filled in with the pro-forma number
    assert f'value="{proforma.number}"' in page.content.decode()

    response = client.post("/finance/transfers/", booking(order, "217.71",
                                                          reference=proforma.number),
                           follow=True)

    invoice = order.documents.get(kind=DocumentKind.INVOICE)
    assert (f"Transfer booked: order #{order.pk} of Acme is paid, its seats are extended and "
            f"invoice {invoice.number} is issued.") in squashed(response)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Payment.objects.get(order=order, method="transfer").status == PaymentStatus.SUCCEEDED
    assert proforma.number not in squashed(client.get("/finance/transfers/"))


def test_a_mismatching_amount_says_the_difference_and_can_be_recorded_as_unmatched(
        proforma_order, client, finance):
    order = proforma_order
    client.force_login(finance)

    response = client.post("/finance/transfers/", booking(order, "200.00"))

    assert response.status_code == 400
    shown = squashed(response)
    assert ("The transfer is 17.71 PLN less than the order's 217.71 PLN; nothing was applied. "
            "Record it as unmatched for follow-up.") in shown
    assert 'data-testid="unmatched-offer"' in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING

    response = client.post("/finance/transfers/", booking(
        order, "200.00", action="unmatched", note="asked for the rest"), follow=True)

    unmatched = TransferBooking.objects.get(order=order)
    assert (unmatched.status, unmatched.amount, unmatched.note) == (
        TransferStatus.UNMATCHED, Decimal("200.00"), "asked for the rest")
    shown = squashed(response)
    assert (f"The transfer of 200.00 PLN was recorded as unmatched for order #{order.pk}; "
            "nothing was applied.") in shown
    assert "Unmatched transfers" in shown and "asked for the rest" in shown
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


@pytest.mark.parametrize(("fields", "message"), [
    ({"amount": "abc"}, "Enter the amount as a number, e.g. 123.45."),
    ({"amount": "217.711"}, "Enter an amount above zero with at most 2 decimal places."),
    # issues 12/13: a huge number is too large (with the maximum), not "not a number"
    ({"amount": "123456789012345678901234"},
     "The amount is too large: at most 9,999,999,999.99."),
    ({"amount": "2,17.71"}, "Use one decimal separator (a point or a comma) and group "
                            "thousands with a space, e.g. 1\u00a0000.50."),
    ({"reference": ""}, "This field is required."),
    ({"received_on": "2026-11-17"}, "The transfer cannot be received after today."),
    ({"received_on": "yesterday"}, "Enter the date as YYYY-MM-DD, for example 2026-11-16."),
])
def test_booking_form_errors_are_shown_on_their_field_and_nothing_is_booked(
        proforma_order, client, finance, fields, message):
    order = proforma_order
    client.force_login(finance)
    data = booking(order, fields.get("amount", "217.71"),
                   received_on=fields.get("received_on", "2026-11-16"),
                   reference=fields.get("reference", "PF"))

    response = client.post("/finance/transfers/", data)

    assert response.status_code == 400
    assert f'<p class="field-error" role="alert">{message}</p>' in response.content.decode()
    assert not TransferBooking.objects.exists()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


def test_booking_an_order_paid_meanwhile_says_so(proforma_order, client, finance):
    order = proforma_order
    client.force_login(finance)
    assert client.post("/finance/transfers/", booking(order, "217.71")).status_code == 302

    response = client.post("/finance/transfers/", booking(order, "217.71"), follow=True)

    assert f"Order #{order.pk} is already paid." in squashed(response)
    assert TransferBooking.objects.count() == 1
