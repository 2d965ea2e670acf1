"""Refunds in Chromium (issue 9): finance refunds part of a card payment on the finance refunds
page (against a private localstripe), and the account's admin sees it "partly refunded" on the
payments page, which fits a 390 px phone (no sideways scroll; Status and Amount on screen).
Screenshots go to artifacts/."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from billing_site.dates import end_of_month, today
from invoices.tests import billing_profile
from payments.models import PaymentMethod, Refund
from payments.services import payment_online_start
from plans.services import renewal_order_create
from seats.models import Seat
from seats.tests.helpers import seats_pay_through

from .browser import browser_page, log_in, screenshot, success_message

PASSWORD = "pass-Word-123"
PHONE = 390

# the live server runs in another thread: it sees only committed rows
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("stripe_settings")]


@pytest.fixture
def paid(make_account):
    """Acme (two seats paid through the month's end) paid a renewal to next month by card."""
    as_of = today()
    account, admin = make_account("Acme Logistics Sp. z o.o.", as_of=as_of, extra_seats=1,
                                  admin_email="boss@acme.example")
    seats_pay_through(Seat.objects.filter(account=account), end_of_month(as_of), as_of=as_of)
    billing_profile(account)
    next_month = end_of_month(as_of) + timedelta(days=1)
    order = renewal_order_create(account=account, until=(next_month.year, next_month.month),
                                 actor=admin.user, as_of=as_of)
    payment = payment_online_start(order=order, method=PaymentMethod.CARD,
                                   payment_method="pm_card_visa", actor=None, as_of=as_of)
    return payment, admin


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user(
        username="refunds@vendor.example", email="refunds@vendor.example", password=PASSWORD,
        is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_refund"))
    return user


def no_sideways_scroll(page, width=PHONE):
    return page.evaluate("document.documentElement.scrollWidth") <= width


def on_screen(locator, width=PHONE):
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_finance_refunds_part_of_a_payment_and_the_admin_sees_it_on_a_phone(live_server, paid,
                                                                            finance):
    payment, admin = paid

    with browser_page(live_server.url) as page:
        log_in(page, finance.email, PASSWORD)
        page.get_by_test_id("staff-nav").get_by_role("link", name="Refunds").click()
        page.get_by_label("Order number or account name").fill(str(payment.order_id))
        page.get_by_role("button", name="Search").click()
        item = page.locator(f"#payment-{payment.pk}")
        expect(item.get_by_test_id("refundable")).to_have_text(
            f"Still refundable {payment.amount} PLN.")
        item.get_by_label("Amount to refund").fill("20.00")
        item.get_by_role("button", name="Refund").click()
        # the reason is required: the page says so on the field and refunds nothing
        expect(item.locator(".field-invalid .field-error")).to_have_text(
            "Give the reason for the refund.")
        assert not Refund.objects.exists()
        item.get_by_label("Reason").fill("Two seats unused for a week")
        item.get_by_role("button", name="Refund").click()
        expect(page.locator(".message-success")).to_be_visible()
        refund = Refund.objects.get(payment=payment)
        assert f"corrective invoice {refund.correction.number}" in success_message(page)
        expect(item.get_by_test_id("payment-state")).to_have_text("partly refunded")
        expect(page.get_by_test_id("refunds-table")).to_contain_text(
            "Two seats unused for a week")
        screenshot(page, "finance-refunds")

    with browser_page(live_server.url, width=PHONE, height=844) as page:
        log_in(page, finance.email, PASSWORD)
        page.goto(f"/finance/refunds/?q={payment.order_id}")
        screenshot(page, "finance-refunds-phone")
        assert no_sideways_scroll(page)

    with browser_page(live_server.url, width=PHONE, height=844) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/payments/")
        row = page.locator(f"#payment-{payment.pk}")
        expect(row.get_by_test_id("payment-status")).to_have_text("Partly refunded")
        screenshot(page, "account-payments-phone")
        assert no_sideways_scroll(page)
        for table in ("payments-table", "refunds-table"):  # nothing scrolls inside the tables
            assert page.get_by_test_id(table).evaluate(
                "t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
        assert on_screen(row.get_by_test_id("payment-status"))
        assert on_screen(row.locator(".col-amount"))
        assert on_screen(page.get_by_test_id("refunds-table").locator("td.col-amount").first)
