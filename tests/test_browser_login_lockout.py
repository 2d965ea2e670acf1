"""End-to-end (issue 13): a member who mistypes the password too often sees, in Chromium, when
to try again; the sign-up form answers "check your e-mail" and does not log in."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from billing_site.dates import today

from .browser import browser_page, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_too_many_wrong_passwords_show_when_to_try_again(live_server, make_account):
    _account, admin = make_account("Acme", as_of=today())

    with browser_page(live_server.url) as page:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            log_in(page, admin.email, "wrong-password")
            expect(page.get_by_role("alert")).to_contain_text("Please enter a correct e-mail")
        log_in(page, admin.email, "wrong-password")
        expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
        log_in(page, admin.email, "pass-Word-123")  # the right one, too late

        expect(page.locator(".lockout-message")).to_contain_text("Try again in 15 minutes.")
        expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
        screenshot(page, "issue13-login-locked-out")
        page.goto("/account/users/")
        expect(page).to_have_url(f"{live_server.url}/login/?next=/account/users/")


def test_sign_up_asks_to_check_the_e_mail(live_server, catalogue):
    with browser_page(live_server.url) as page:
        page.goto("/signup/")
        page.get_by_label("Organisation name").fill("Umbrella")
        page.get_by_label("E-mail").fill("founder@umbrella.example")
        page.get_by_label("Password").fill("Sturdy-Password-77")
        page.get_by_role("button", name="Start the free trial").click()

        expect(page).to_have_url(f"{live_server.url}/signup/done/")
        expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
        screenshot(page, "issue13-signup-done")
