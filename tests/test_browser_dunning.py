"""End-to-end: late payment (SPEC §6, issue 10) in Chromium — banners, blocked logins, the
billing-only admin who pays by card, and an unpaid trial that ended.

The live server runs on the real clock and the phases are computed from dates on every request,
so each state is built relative to today() by moving the seats' dates through the ledger
(`seats.tests.helpers`): valid until today − 3 is grace (d = 3), today − 10 is blocked (d = 10),
today + 3 shows the upcoming banner. Accounts are created 40 days ago so that every date given
to their seats lies after their creation.
"""

import re
from datetime import timedelta

import pytest
from django.utils import translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from billing_site.dates import end_of_month, today
from invoices.tests import billing_profile
from plans.models import Order, OrderStatus
from seats.models import MemberRole, Seat
from seats.tests.helpers import seats_pay_through

from .browser import browser_page, log_in, screenshot

PASSWORD = "pass-Word-123"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# the live server runs in another thread: it sees only committed rows
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def days(n):
    return today() + timedelta(days=n)


def next_month_end():
    return end_of_month(end_of_month(today()) + timedelta(days=1))


def english_date(day):
    with translation.override("en"):
        return date_format(day, "DATE_FORMAT")


def seats_of(*members):
    return Seat.objects.filter(member__in=members)


@pytest.fixture
def acme(make_account, make_member):
    """Acme, created 40 days ago: an admin, a manager and a user, each on a seat."""
    created = days(-40)
    account, admin = make_account("Acme", as_of=created)
    manager = make_member(account, "manager@acme.example", MemberRole.MANAGER, as_of=created)
    user = make_member(account, "user@acme.example", as_of=created)
    return account, admin, manager, user


def banner(page):
    return page.locator("div.banner[data-banner]")


def log_out(page):
    page.locator("form.logout-form button[type=submit]").click()
    page.wait_for_load_state()


def fits_the_screen(page, width=390):
    return page.evaluate("document.documentElement.scrollWidth") <= width


def overflowing(page, selector, width=390):
    """Elements under `selector` whose right edge passes the viewport (cut off on a phone)."""
    return page.evaluate(
        """([selector, width]) => Array.from(document.querySelectorAll(selector + ' *'))
            .filter(el => el.getBoundingClientRect().right > width + 0.5)
            .map(el => el.tagName + '.' + el.className)""", [selector, width])


def shots(page, name):
    """Screenshots of the current page at 1280 px and at a 390 px phone width (the page must not
    scroll sideways on the phone, nor the banner spill out of it); returns to 1280 px."""
    page.set_viewport_size(DESKTOP)
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(100)
    screenshot(page, f"{name}-narrow")
    assert fits_the_screen(page), f"{name}: the page scrolls sideways at 390 px"
    if banner(page).count():
        assert overflowing(page, "div.banner") == [], f"{name}: the banner spills out at 390 px"
    page.set_viewport_size(DESKTOP)


def fill_card(page, number):
    """The card form of localstripe's Stripe.js stand-in: plain inputs named by placeholder."""
    form = page.get_by_test_id("card-element")
    form.locator("input[placeholder=number]").fill(number)
    form.locator("input[placeholder=exp_month]").fill("12")
    form.locator("input[placeholder=exp_year]").fill("34")
    form.locator("input[placeholder=cvc]").fill("123")
    form.locator("input[placeholder=postal_code]").fill("00001")


# --- 1. banners: the admin's about every seat, a member's about their own ----------------------


def test_a_manager_sees_a_banner_only_for_their_own_seat_and_the_admin_dismisses_upcoming(
        live_server, acme):
    account, admin, manager, user = acme
    seats_pay_through(seats_of(admin, user), days(-3))
    seats_pay_through(seats_of(manager), next_month_end())
    expired = english_date(days(-3))

    with browser_page(live_server.url) as page:
        # the manager's own seat is paid to next month: no banner, though two seats are in grace
        log_in(page, manager.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/")
        expect(page.get_by_role("heading", name="Welcome to Acme")).to_be_visible()
        expect(banner(page)).to_have_count(0)
        shots(page, "dunning-manager-no-banner")
        log_out(page)

        # the admin: the red, non-dismissible grace banner about both expired seats
        log_in(page, admin.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/account/users/")
        box = banner(page)
        expect(box).to_have_attribute("data-banner", "grace")
        expect(box).to_have_attribute("role", "alert")
        expect(box).to_contain_text("Payment required")
        expect(box).to_contain_text("2 seats")
        expect(box).to_contain_text(expired)
        expect(box.get_by_role("link", name="Renew now")).to_have_attribute(
            "href", "/account/renew/")
        expect(box.get_by_role("button", name="Dismiss")).to_have_count(0)
        shots(page, "dunning-admin-grace-banner")
        # it follows the admin to every page
        page.goto("/account/invoice-data/")
        expect(banner(page)).to_have_attribute("data-banner", "grace")
        log_out(page)

        # the user: a banner about their own seat, asking them to have it renewed (no link: a
        # user cannot renew)
        log_in(page, user.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/")
        box = banner(page)
        expect(box).to_have_attribute("data-banner", "grace")
        expect(box).to_contain_text(f"your seat was valid until {expired}")
        expect(box).to_contain_text(english_date(days(5)))  # the day they would be blocked
        expect(box.get_by_role("link", name="Renew now")).to_have_count(0)
        expect(box.get_by_role("button", name="Dismiss")).to_have_count(0)
        shots(page, "dunning-user-grace-banner")
        log_out(page)

        # renewed to three days from now: the admin's banner is the dismissible "upcoming" one
        seats_pay_through(seats_of(admin, user), days(3))
        log_in(page, admin.email, PASSWORD)
        box = banner(page)
        expect(box).to_have_attribute("data-banner", "upcoming")
        expect(box).to_have_attribute("role", "status")
        expect(box).to_contain_text(
            f"2 seats need renewing soon, the first is valid only until {english_date(days(3))}")
        expect(box.get_by_role("link", name="Renew now")).to_be_visible()
        shots(page, "dunning-admin-upcoming-banner")
        box.get_by_role("button", name="Dismiss").click()
        expect(page).to_have_url(f"{live_server.url}/account/users/")
        expect(banner(page)).to_have_count(0)
        page.reload()
        expect(banner(page)).to_have_count(0)
        page.goto("/account/renew/")
        expect(banner(page)).to_have_count(0)

        # the manager still sees nothing; the user has their own upcoming banner
        log_out(page)
        log_in(page, manager.email, PASSWORD)
        expect(banner(page)).to_have_count(0)
        log_out(page)
        log_in(page, user.email, PASSWORD)
        expect(banner(page)).to_have_attribute("data-banner", "upcoming")
        expect(banner(page)).to_contain_text(f"paid until {english_date(days(3))}")
        shots(page, "dunning-user-upcoming-banner")


# --- 2. a blocked admin reaches only the billing pages, and paying restores access ----------------


@pytest.mark.usefixtures("stripe_settings")
def test_a_blocked_admin_reaches_only_billing_pages_and_paying_restores_access(
        live_server, make_account):
    account, admin = make_account("Acme", as_of=days(-40), extra_seats=1)
    seats_pay_through(Seat.objects.filter(account=account), days(-10))
    billing_profile(account)

    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/account/users/")
        box = banner(page)
        expect(box).to_have_attribute("data-banner", "blocked")
        expect(box).to_contain_text("Payment required")
        expect(box).to_contain_text(english_date(days(-10)))
        expect(box.get_by_role("button", name="Dismiss")).to_have_count(0)
        nav = page.get_by_role("navigation", name="Account settings")
        expect(nav.get_by_role("link", name="Package")).to_have_count(0)
        expect(nav.get_by_role("link", name="Renew")).to_be_visible()
        shots(page, "dunning-blocked-admin-users")

        # the package page is not a billing page: 403 with the reason and a way to pay
        response = page.goto("/account/package/")
        assert response.status == 403
        expect(page.get_by_role("heading", name="You are not allowed to open this page")
               ).to_be_visible()
        expect(page.locator("main")).to_contain_text("payment is overdue")
        expect(page.get_by_role("link", name="Renew and pay")).to_have_attribute(
            "href", "/account/renew/")
        shots(page, "dunning-blocked-admin-package-403")

        # the billing pages open
        for path in ("/account/invoice-data/", "/account/history/"):
            assert page.goto(path).status == 200, path

        # Renew → order → pay by card
        page.goto("/account/renew/")
        expect(page.get_by_role("heading", name="Renew", exact=True)).to_be_visible()
        expect(banner(page)).to_have_attribute("data-banner", "blocked")
        expect(page.locator("#renew-summary")).to_have_attribute("data-state", "ready")
        shots(page, "dunning-blocked-admin-renew")
        page.get_by_role("button", name="Continue to payment").click()
        page.get_by_test_id("pay-now").click()
        order = Order.objects.get(account=account)
        expect(page.get_by_role("heading", name=f"Pay order #{order.pk}")).to_be_visible()
        fill_card(page, "4242424242424242")
        shots(page, "dunning-blocked-admin-pay")
        page.get_by_role("button", name=f"Pay {order.gross} PLN").click()
        expect(page.get_by_test_id("payment-result")).to_have_attribute("data-state", "paid")
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        shots(page, "dunning-blocked-admin-paid")

        # access is back at once (no sweep ran): no banner, the package page and its menu item
        page.goto("/account/users/")
        expect(banner(page)).to_have_count(0)
        expect(nav.get_by_role("link", name="Package")).to_be_visible()
        response = page.goto("/account/package/")
        assert response.status == 200
        expect(banner(page)).to_have_count(0)
        shots(page, "dunning-admin-after-paying-package")

    assert all(seat.valid_until > today() for seat in Seat.objects.filter(account=account))


# --- 3. a blocked user is refused at login, or signed out mid-session -------------------------


def test_a_blocked_user_is_refused_at_login_and_signed_out_mid_session(live_server, acme):
    account, admin, manager, user = acme
    seats_pay_through(seats_of(admin, manager), next_month_end())
    seats_pay_through(seats_of(user), days(-10))

    with browser_page(live_server.url) as page:
        log_in(page, user.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/login/")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Acme")
        expect(alert).to_contain_text("overdue")
        expect(alert).to_contain_text(english_date(days(-10)))
        expect(alert).to_contain_text(admin.email)
        # only administrators can pay: the manager is not named
        expect(alert).not_to_contain_text(manager.email)
        shots(page, "dunning-blocked-user-login-refused")

        # the manager of the same account is not affected by the user's seat
        log_in(page, manager.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/")
        expect(banner(page)).to_have_count(0)
        log_out(page)

    # signed in during grace, then the seat's dates move into the blocked phase
    seats_pay_through(seats_of(user), days(-3))
    with browser_page(live_server.url) as page:
        log_in(page, user.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/")
        expect(banner(page)).to_have_attribute("data-banner", "grace")

        seats_pay_through(seats_of(user), days(-8))  # d = 8: the first blocked day
        page.get_by_role("link", name="Seat Billing").click()  # the next click
        expect(page).to_have_url(f"{live_server.url}/login/")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("overdue")
        expect(alert).to_contain_text(admin.email)
        expect(page.locator("form.logout-form")).to_have_count(0)
        shots(page, "dunning-user-signed-out-mid-session")
        # the reason is shown once; the session is gone for good
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/login/"))
        expect(page.get_by_role("alert")).to_have_count(0)


# --- 4. an unpaid trial that ended ---------------------------------------------------------------


def test_an_ended_trial_refuses_its_user_and_tells_the_admin_when_data_is_deleted(
        live_server, make_account, make_member):
    account, admin = make_account("Trialco", trial=True, as_of=days(-20))
    user = make_member(account, "user@trialco.example", as_of=days(-20))
    ends = account.trial_ends_on
    assert ends < today()
    deleted_on = ends + timedelta(days=30)

    with browser_page(live_server.url) as page:
        log_in(page, user.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/login/")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("free trial")
        expect(alert).to_contain_text("Trialco")
        expect(alert).to_contain_text(admin.email)
        shots(page, "dunning-trial-user-refused")

        log_in(page, admin.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/account/users/")
        box = banner(page)
        expect(box).to_have_attribute("data-banner", "blocked")
        expect(box).to_contain_text("free trial ended")
        expect(box).to_contain_text(english_date(ends))
        expect(box).to_contain_text(english_date(deleted_on))
        expect(box.get_by_role("button", name="Dismiss")).to_have_count(0)
        expect(box.get_by_role("link", name="Renew now")).to_be_visible()
        shots(page, "dunning-trial-admin-banner")

        response = page.goto("/account/package/")
        assert response.status == 403
        expect(page.locator("main")).to_contain_text("free trial has ended")
        shots(page, "dunning-trial-admin-package-403")


# --- the Dismiss button must be readable on the amber banner --------------------------------------

CONTRAST = r"""button => {
    const rgb = value => value.match(/[\d.]+/g).slice(0, 3).map(Number);
    const luminance = ([r, g, b]) => {
        const [R, G, B] = [r, g, b].map(c => {
            c /= 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * R + 0.7152 * G + 0.0722 * B;
    };
    let box = button;  // the first ancestor (or itself) with an opaque background
    while (getComputedStyle(box).backgroundColor.match(/rgba\(.*, 0\)$|transparent/)) {
        box = box.parentElement;
    }
    const [a, b] = [luminance(rgb(getComputedStyle(button).color)),
                    luminance(rgb(getComputedStyle(box).backgroundColor))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_the_dismiss_button_is_readable_on_the_upcoming_banner(live_server, make_account):
    account, admin = make_account("Acme", as_of=days(-40))
    seats_pay_through(Seat.objects.filter(account=account), days(3))

    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        dismiss = banner(page).get_by_role("button", name="Dismiss")
        expect(dismiss).to_be_visible()
        ratio = dismiss.evaluate(CONTRAST)
        assert ratio >= 4.5, f"Dismiss text contrast {ratio:.2f}:1 (WCAG AA asks 4.5:1)"


# --- in Polish: the same states, checked by structure ---------------------------------------------


def test_the_dunning_states_in_polish(live_server, acme, make_account, make_member):
    """Polish pages: the banners, the billing-only 403, the refusals. The Polish words are being
    translated: the assertions read attributes, status codes and URLs (and the e-mail addresses
    and dates the texts carry), not the words."""
    account, admin, manager, user = acme
    seats_pay_through(seats_of(admin, user), days(-3))
    seats_pay_through(seats_of(manager), next_month_end())
    blocked, blocked_admin = make_account("Blockco", as_of=days(-40))
    blocked_user = make_member(blocked, "user@blockco.example", as_of=days(-40))
    seats_pay_through(Seat.objects.filter(account=blocked), days(-10))
    trial, trial_admin = make_account("Trialco", trial=True, as_of=days(-20))

    with browser_page(live_server.url, locale="pl-PL") as page:
        log_in(page, manager.email, PASSWORD)
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        expect(banner(page)).to_have_count(0)
        log_out(page)

        log_in(page, admin.email, PASSWORD)
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        box = banner(page)
        expect(box).to_have_attribute("data-banner", "grace")
        expect(box).to_contain_text("2")
        expect(box.locator("a[href='/account/renew/']")).to_have_count(1)
        expect(box.locator("form.banner-dismiss")).to_have_count(0)
        shots(page, "dunning-pl-admin-grace-banner")
        log_out(page)

        log_in(page, user.email, PASSWORD)
        expect(banner(page)).to_have_attribute("data-banner", "grace")
        expect(banner(page).locator("a")).to_have_count(0)
        shots(page, "dunning-pl-user-grace-banner")
        log_out(page)

        seats_pay_through(seats_of(admin, user), days(3))
        log_in(page, admin.email, PASSWORD)
        box = banner(page)
        expect(box).to_have_attribute("data-banner", "upcoming")
        shots(page, "dunning-pl-admin-upcoming-banner")
        box.locator("form.banner-dismiss button[type=submit]").click()
        expect(banner(page)).to_have_count(0)
        page.reload()
        expect(banner(page)).to_have_count(0)
        log_out(page)

        # blocked: the user is refused at login, the admin gets only the billing pages
        log_in(page, blocked_user.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/login/")
        expect(page.get_by_role("alert")).to_contain_text(blocked_admin.email)
        expect(page.get_by_role("alert")).to_contain_text("Blockco")
        shots(page, "dunning-pl-blocked-user-login-refused")

        log_in(page, blocked_admin.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/account/users/")
        expect(banner(page)).to_have_attribute("data-banner", "blocked")
        expect(page.locator("nav.main-nav a[href='/account/package/']")).to_have_count(0)
        shots(page, "dunning-pl-blocked-admin-users")
        response = page.goto("/account/package/")
        assert response.status == 403
        expect(page.locator("main section.card a.btn[href='/account/renew/']")).to_have_count(1)
        shots(page, "dunning-pl-blocked-admin-package-403")
        assert page.goto("/account/renew/").status == 200
        expect(banner(page)).to_have_attribute("data-banner", "blocked")
        shots(page, "dunning-pl-blocked-admin-renew")
        log_out(page)

        # the ended trial's admin
        log_in(page, trial_admin.email, PASSWORD)
        box = banner(page)
        expect(box).to_have_attribute("data-banner", "blocked")
        expect(box.locator("form.banner-dismiss")).to_have_count(0)
        shots(page, "dunning-pl-trial-admin-banner")
