"""End-to-end: an admin pays an order in Chromium (issue 9) against a private localstripe: by
card through localstripe's Stripe.js stand-in (served by localstripe itself), with 3-D Secure, a
declined card, and by pro-forma with the transfer booked by finance on the finance page.

The live server runs on the real clock: every seat is paid through the end of the current month,
so "+6 months" extends them to the end of the sixth month after this one.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import translation
from playwright.sync_api import expect

from billing_site import formatting
from billing_site.dates import end_of_month, today
from invoices.models import DocumentKind
from invoices.tests import billing_profile
from payments.models import OrderApplication, Payment, PaymentStatus
from plans.models import Order, OrderStatus
from plans.services import order_quote, renewal_order_create
from seats.models import Seat
from seats.tests.helpers import seats_pay_through

from .browser import browser_page, log_in, screenshot, success_message

PASSWORD = "pass-Word-123"
DECLINED_WHEN_CHARGED = "4000000000000341"
THREE_D_SECURE = "4000002760003184"

# the live server runs in another thread: it sees only committed rows
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("stripe_settings")]


@pytest.fixture
def acme(make_account):
    """Acme with two seats (the admin's and a free one), both paid through the month's end, and
    its invoice data (a Polish company: PLN, 23 % VAT)."""
    as_of = today()
    account, admin = make_account("Acme", as_of=as_of, extra_seats=1)
    seats_pay_through(Seat.objects.filter(account=account), end_of_month(as_of), as_of=as_of)
    billing_profile(account)
    return account, admin


@pytest.fixture
def order(acme):
    """A pending renewal of Acme's two seats to the end of next month."""
    account, admin = acme
    next_month = end_of_month(today()) + timedelta(days=1)
    return renewal_order_create(account=account, until=(next_month.year, next_month.month),
                                actor=admin.user, as_of=today())


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user(
        username="finance@vendor.example", email="finance@vendor.example", password=PASSWORD,
        is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_transferbooking"))
    return user


def english_date(day):
    """A date as the English pages write it (`billing_site.formatting.day`, issue 12)."""
    with translation.override("en"):
        return formatting.day(day)


def seat_dates(account):
    return set(Seat.objects.filter(account=account).values_list("valid_until", "paid_through"))


def fill_card(page, number):
    """The card form of localstripe's Stripe.js stand-in: plain inputs named by placeholder."""
    form = page.get_by_test_id("card-element")
    form.locator("input[placeholder=number]").fill(number)
    form.locator("input[placeholder=exp_month]").fill("12")
    form.locator("input[placeholder=exp_year]").fill("34")
    form.locator("input[placeholder=cvc]").fill("123")
    form.locator("input[placeholder=postal_code]").fill("00001")


def hold(page, url):
    """Hold the browser's requests to `url` until `release`: the page's waiting state can then
    be seen, however fast the server is."""
    held = []
    page.route(url, lambda route: held.append(route))
    return held


def release(page, held):
    while not held:  # the route handler runs while Playwright waits
        page.wait_for_timeout(50)
    page.unroute("**")
    for route in held:
        route.continue_()


def fits_the_screen(page, width=390):
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_an_admin_renews_six_months_and_pays_by_card(live_server, acme):
    account, admin = acme
    month_end = end_of_month(today())

    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        page.get_by_label("+6 months").check()
        expect(page.get_by_test_id("quote-discount-percent")).to_have_text("5")
        expect(page.locator("#renew-summary")).to_have_attribute("data-state", "ready")
        page.get_by_role("button", name="Continue to payment").click()
        page.get_by_test_id("pay-now").click()

        order = Order.objects.get(account=account)
        valid_until = english_date(order_quote(order).valid_until)
        assert order.quote["term_months"] == 6
        expect(page.get_by_role("heading", name=f"Pay order #{order.pk}")).to_be_visible()
        expect(page.get_by_test_id("pay-gross")).to_have_text(f"{order.gross} PLN")
        expect(page.get_by_test_id("pay-valid-until")).to_have_text(valid_until)
        # localstripe knows cards only: BLIK and Przelewy24 are left out, and the page says so
        expect(page.get_by_role("radio", name=re.compile("^BLIK"))).to_have_count(0)
        expect(page.get_by_test_id("local-stripe-note")).to_be_visible()
        expect(page.get_by_role("radio", name=re.compile("^Card"))).to_be_checked()
        expect(page.get_by_test_id("pay-needs-js")).to_be_hidden()
        fill_card(page, "4242424242424242")
        screenshot(page, "pay-page")

        # the server answers within milliseconds: hold the request to see the progress
        held = hold(page, "**/pay/start/")
        page.get_by_role("button", name=f"Pay {order.gross} PLN").click()
        expect(page.get_by_test_id("pay-progress")).to_be_visible()
        expect(page.get_by_test_id("pay-progress")).to_contain_text("Processing your payment")
        expect(page.get_by_role("button", name=f"Pay {order.gross} PLN")).to_be_disabled()
        screenshot(page, "pay-page-progress")
        release(page, held)

        result = page.get_by_test_id("payment-result")
        expect(result).to_have_attribute("data-state", "paid")
        expect(page.get_by_test_id("new-validity")).to_have_text(valid_until)
        invoice = order.documents.get(kind=DocumentKind.INVOICE)
        link = page.get_by_test_id("invoice-link")
        expect(link).to_have_text(f"Download invoice {invoice.number} (PDF)")
        screenshot(page, "payment-result-paid")
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".pdf")

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert month_end < order_quote(order).valid_until
    assert seat_dates(account) == {(order_quote(order).valid_until,) * 2}
    assert Payment.objects.get(order=order).method == "card"


def test_three_d_secure_is_completed_on_the_page_and_the_result_waits_for_it(live_server, acme,
                                                                             order):
    account, admin = acme
    valid_until = order_quote(order).valid_until

    with browser_page(live_server.url, width=390, height=844) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto(f"/account/orders/{order.pk}/pay/")
        fill_card(page, THREE_D_SECURE)
        screenshot(page, "pay-page-narrow")
        assert fits_the_screen(page)
        page.get_by_role("button", name=f"Pay {order.gross} PLN").click()

        # the bank's window (localstripe's stand-in of it); the result page then waits for
        # the payment (its status request held here) and shows it once Stripe confirmed it
        held = hold(page, "**/status/")
        page.get_by_role("button", name="Complete authentication").click()
        expect(page.get_by_test_id("payment-result")).to_have_attribute("data-state", "waiting")
        expect(page.get_by_test_id("payment-progress")).to_contain_text(
            "Waiting for the payment to be confirmed.")
        assert fits_the_screen(page)
        screenshot(page, "payment-result-waiting-narrow")
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
        release(page, held)

        expect(page.get_by_test_id("payment-result")).to_have_attribute("data-state", "paid")
        expect(page.get_by_test_id("new-validity")).to_have_text(english_date(valid_until))
        expect(page.get_by_test_id("invoice-link")).to_be_visible()
        assert fits_the_screen(page)
        screenshot(page, "payment-result-paid-narrow")

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert seat_dates(account) == {(valid_until, valid_until)}


def test_a_declined_card_shows_the_reason_and_applies_nothing(live_server, acme, order):
    account, admin = acme
    before = seat_dates(account)

    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto(f"/account/orders/{order.pk}/")
        page.get_by_test_id("pay-now").click()
        fill_card(page, DECLINED_WHEN_CHARGED)
        page.get_by_role("button", name=f"Pay {order.gross} PLN").click()

        expect(page.get_by_test_id("payment-result")).to_have_attribute("data-state", "failed")
        expect(page.get_by_test_id("decline-reason")).to_have_text("The card was declined.")
        expect(page.get_by_test_id("order-status")).to_have_text("pending payment")
        screenshot(page, "payment-result-declined")

        # "Try again" goes back to the payment page, which takes another card
        page.get_by_role("link", name="Try again").click()
        expect(page.get_by_role("heading", name=f"Pay order #{order.pk}")).to_be_visible()
        expect(page.get_by_test_id("pay-in-flight")).to_have_count(0)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    assert seat_dates(account) == before
    assert not OrderApplication.objects.exists()
    assert not order.documents.filter(kind=DocumentKind.INVOICE).exists()
    assert Payment.objects.get(order=order).status == PaymentStatus.FAILED


def test_proforma_then_finance_books_the_transfer_and_the_admin_sees_it_paid(
        live_server, acme, order, finance):
    account, admin = acme
    valid_until = order_quote(order).valid_until

    with browser_page(live_server.url, width=390, height=844) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto(f"/account/orders/{order.pk}/pay/")
        page.get_by_role("button", name="Download a pro-forma for a bank transfer").click()

        proforma = order.documents.get(kind=DocumentKind.PROFORMA)
        details = page.get_by_test_id("transfer-details")
        expect(page.get_by_test_id("proforma-number")).to_have_text(proforma.number)
        expect(page.get_by_test_id("transfer-title")).to_have_text(proforma.number)
        expect(page.get_by_test_id("transfer-amount")).to_have_text(f"{order.gross} PLN")
        expect(details.get_by_test_id("bank-account")).to_contain_text(
            proforma.seller["bank_account"])
        assert fits_the_screen(page)
        screenshot(page, "transfer-details-narrow")
        with page.expect_download() as download:
            page.get_by_test_id("proforma-pdf").click()
        assert download.value.suggested_filename.endswith(".pdf")
        transfer_page = page.url

    with browser_page(live_server.url) as page:
        log_in(page, finance.email, PASSWORD)
        page.get_by_role("navigation", name="Staff").get_by_role("link",
                                                                 name="Transfers").click()
        expect(page.get_by_role("heading", name="Transfers", exact=True)).to_be_visible()
        row = page.locator(f"#order-{order.pk}")
        expect(row).to_contain_text(proforma.number)
        expect(row.get_by_test_id("proforma-gross")).to_have_text(f"{order.gross} PLN")

        # a wrong amount is refused with the difference, and can be recorded as unmatched
        row.get_by_label("Amount received").fill("10.00")
        row.get_by_role("button", name="Book the transfer").click()
        row = page.locator(f"#order-{order.pk}")
        expect(row.locator(".field-error")).to_contain_text(
            f"less than the order's {order.gross} PLN; nothing was applied.")
        expect(row.get_by_role("button", name="Record as unmatched")).to_be_visible()
        screenshot(page, "finance-transfers-mismatch")

        row.get_by_label("Amount received").fill(str(order.gross))
        row.get_by_role("button", name="Book the transfer").click()
        assert f"Transfer booked: order #{order.pk} of Acme is paid" in success_message(page)
        expect(page.locator(f"#order-{order.pk}")).to_have_count(0)
        screenshot(page, "finance-transfers-booked")

    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto(transfer_page)
        expect(page.get_by_test_id("payment-result")).to_have_attribute("data-state", "paid")
        expect(page.get_by_test_id("new-validity")).to_have_text(english_date(valid_until))
        expect(page.get_by_test_id("order-status")).to_have_text("paid")
        expect(page.get_by_test_id("invoice-link")).to_be_visible()
        screenshot(page, "transfer-result-paid")

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert seat_dates(account) == {(valid_until, valid_until)}


def test_the_payment_page_in_polish_on_a_phone_without_sideways_scrolling(live_server, acme,
                                                                          order):
    _account, admin = acme

    with browser_page(live_server.url, locale="pl-PL", width=390, height=844) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto(f"/account/orders/{order.pk}/pay/")
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        expect(page.get_by_test_id("card-element").locator("input")).to_have_count(5)
        assert fits_the_screen(page)
        screenshot(page, "pay-page-pl-narrow")


def test_without_javascript_the_page_offers_the_proforma(live_server, acme, order):
    _account, admin = acme

    with browser_page(live_server.url, javascript=False) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto(f"/account/orders/{order.pk}/pay/")
        expect(page.get_by_text("Paying by card, BLIK or Przelewy24 needs JavaScript.")
               ).to_be_visible()
        expect(page.locator("#pay-form")).to_be_hidden()
        screenshot(page, "pay-page-no-js")
        page.get_by_role("button", name="Download a pro-forma for a bank transfer").click()
        expect(page.get_by_test_id("proforma-number")).to_have_text(
            re.compile(r"^PF/\d{4}/\d{2}/\d{4}$"))
