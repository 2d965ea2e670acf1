"""End-to-end: an admin renews on "Payments → Renew" and changes the package, in Chromium.

The live server runs on the real clock, so the assertions do not depend on today's date: every
seat is paid through the end of the current month, hence +6 months is a 6-month term (5 %) and
+12 months a 12-month term (10 %), each charging whole months only.
"""

from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import expect

from billing_site import formatting
from billing_site.dates import end_of_month, today
from plans.models import Order, OrderKind, OrderStatus
from seats.models import Seat
from seats.tests.helpers import seats_pay_through

from .browser import browser_page, log_in, screenshot, success_message

PASSWORD = "pass-Word-123"


def english_date(day):
    """A date as the English pages write it (`billing_site.formatting.day`, issue 12)."""
    with translation.override("en"):
        return formatting.day(day)

# the live server runs in another thread: it sees only committed rows
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme(make_account):
    """Acme with two seats (the admin's and a free one), both paid through the month's end."""
    as_of = today()
    account, admin = make_account("Acme", as_of=as_of, extra_seats=1)
    month_end = end_of_month(as_of)
    seats_pay_through(Seat.objects.filter(account=account), month_end, as_of=as_of)
    return account, admin


def summary_value(page, name):
    return page.locator(f'#renew-summary [data-quote="{name}"]').inner_text()


def test_the_total_and_the_discount_follow_the_target_month_without_a_reload(live_server, acme):
    account, admin = acme

    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        expect(page.get_by_role("heading", name="Renew", exact=True)).to_be_visible()
        summary = page.locator("#renew-summary")
        expect(page.get_by_test_id("seat-groups")).to_contain_text(
            f"2 seats valid until {english_date(end_of_month(today()))}")
        # everything is paid through this month: the default is +1 month, never 0.00 (issue 7)
        expect(page.get_by_label("+1 month")).to_be_checked()
        assert summary_value(page, "gross") == "145.14"  # 2 × 59.00 + 23 % VAT
        expect(summary.get_by_test_id("quote-vat-note")).to_have_text(
            "23 % VAT: the buyer is in Poland.")
        expect(page.get_by_role("button", name="Continue to payment")).to_be_enabled()
        # with JavaScript the total is live: no "Recalculate" button
        expect(page.get_by_role("button", name="Recalculate")).to_be_hidden()
        page.evaluate("window.pageMarker = 'still here'")

        page.get_by_label("+6 months").check()
        expect(summary.get_by_test_id("quote-discount-percent")).to_have_text("5")
        expect(summary).to_have_attribute("data-state", "ready")
        # 2 seats × 6 months × 59.00 = 708.00; −5 % = 672.60; +23 % VAT
        assert summary_value(page, "net_before_discount") == "708.00"
        assert summary_value(page, "discount") == "35.40"
        assert summary_value(page, "gross") == "827.30"
        assert summary_value(page, "term_months") == "6"

        page.get_by_label("+12 months").check()
        expect(summary.get_by_test_id("quote-discount-percent")).to_have_text("10")
        expect(summary).to_have_attribute("data-state", "ready")
        assert summary_value(page, "net_before_discount") == "1,416.00"
        assert summary_value(page, "discount") == "141.60"
        assert summary_value(page, "gross") == "1,567.51"
        assert summary_value(page, "term_months") == "12"
        # the page never reloaded: the marker set before the changes survives
        assert page.evaluate("window.pageMarker") == "still here"
        assert page.evaluate("window.renewLiveQuote") is True

        # the billing details follow the live quote too
        details = page.locator("#billing-details")
        expect(details.get_by_test_id("quote-lines")).to_be_hidden()
        details.get_by_text("Show billing details").click()
        expect(details.get_by_test_id("quote-lines")).to_be_visible()
        expect(details.locator("tbody tr")).to_have_count(1)
        expect(details.locator("tbody tr")).to_contain_text("2 seats")
        expect(details.locator("tbody tr")).to_contain_text("12 months")
        expect(details.get_by_test_id("details-gross")).to_have_text("1,567.51 PLN")

        # a refused month: the reason in place, nothing can be ordered
        # typing a month picks "Another month"
        page.get_by_label("Month (for “Another month”)").fill("2020-01")
        expect(page.locator("#id_until_other")).to_be_checked()
        expect(summary.get_by_role("alert")).to_have_text(
            "The target month 2020-01 is in the past.")
        expect(page.get_by_role("button", name="Continue to payment")).to_be_disabled()
        page.get_by_label("+12 months").check()
        expect(summary).to_have_attribute("data-state", "ready")
        expect(summary.get_by_role("alert")).to_be_hidden()
        assert page.evaluate("window.pageMarker") == "still here"
        screenshot(page, "renew-page")

        # continue to payment orders exactly what is on screen
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("heading", name="Order #")).to_be_visible()
        expect(page.get_by_test_id("order-gross")).to_have_text("1,567.51 PLN")
        expect(page.get_by_test_id("pay-now")).to_have_attribute(
            "href", f"/account/orders/{Order.objects.get(account=account).pk}/pay/")
        screenshot(page, "order-page")

    order = Order.objects.get(account=account)
    assert (order.kind, order.status, order.gross) == (OrderKind.RENEWAL, OrderStatus.PENDING,
                                                       Decimal("1567.51"))
    assert order.quote["term_months"] == 12


def test_recalculate_works_without_javascript(live_server, acme):
    _account, admin = acme

    with browser_page(live_server.url, javascript=False) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        page.get_by_label("+6 months").check()
        page.get_by_role("button", name="Recalculate").click()
        page.wait_for_load_state()
        assert summary_value(page, "discount_percent") == "5"
        assert summary_value(page, "gross") == "827.30"
        expect(page.get_by_role("button", name="Continue to payment")).to_be_enabled()


def test_an_admin_previews_and_applies_a_package_change(live_server, acme):
    account, admin = acme

    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        page.get_by_role("link", name="Change package").click()
        expect(page.get_by_role("heading", name="Change package")).to_be_visible()
        page.locator("input[name=package][value=automation]").check()
        page.get_by_role("button", name="Preview the change").click()

        preview = page.get_by_test_id("package-preview")
        expect(preview).to_contain_text(english_date(end_of_month(today())))
        expect(page.get_by_role("heading", name="Preview: Base → Automation")).to_be_visible()
        screenshot(page, "package-change")

        # the terms must be accepted
        page.get_by_role("button", name="Change to Automation").click()
        expect(page.locator(".apply-form .field-error")).to_have_text(
            "Accept the terms of the package change to apply it.")
        account.refresh_from_db()
        assert account.package.code == "base"

        page.get_by_label("I accept the terms of the package change").check()
        page.get_by_role("button", name="Change to Automation").click()
        assert "Your package is now Automation." in success_message(page)
        expect(page.get_by_test_id("current-package")).to_contain_text("Automation")

    account.refresh_from_db()
    assert account.package.code == "automation"


def test_renew_page_fits_a_phone_screen_without_sideways_scrolling(live_server, acme):
    _account, admin = acme

    with browser_page(live_server.url, width=390, height=844) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        page.get_by_label("+12 months").check()
        expect(page.get_by_test_id("quote-discount-percent")).to_have_text("10")
        page.get_by_text("Show billing details").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "renew-page-narrow")


def test_reverse_charge_and_a_void_order_are_explained_in_polish_on_a_phone(live_server,
                                                                             make_account):
    """Issue 7: the quote says which VAT treatment applies and why; an order that can no longer
    be paid says why on its page. In Polish, at phone width."""
    from invoices.tests import billing_profile
    from plans.services import renewal_order_create
    from seats import services as seat_services

    account, admin = make_account("Beispiel", country="DE", as_of=today())
    billing_profile(account)  # a German company, VAT id confirmed in VIES
    order = renewal_order_create(account=account, until=(today().year, today().month),
                                 actor=None, as_of=today())
    seat_services.seats_add(account=account, count=1, actor=None, as_of=today())

    with browser_page(live_server.url, locale="pl-PL", width=390, height=844) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        expect(page.locator("#renew-summary").get_by_test_id("quote-vat-note")).to_have_text(
            "Odwrotne obciążenie: numer VAT UE potwierdzony w VIES.")
        screenshot(page, "renew-reverse-charge-pl-narrow")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.goto(f"/account/orders/{order.pk}/")
        expect(page.get_by_test_id("order-void")).to_contain_text(
            "Tego zamówienia nie można już opłacić: od wyceny zmieniły się stanowiska lub ich "
            "ważność.")
        expect(page.get_by_test_id("order-vat-note")).to_have_text(
            "Odwrotne obciążenie: numer VAT UE potwierdzony w VIES.")
        screenshot(page, "order-void-pl-narrow")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
