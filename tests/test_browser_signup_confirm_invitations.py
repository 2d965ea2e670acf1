"""End-to-end (issues 12/13) in Chromium, in English and Polish, at 1280 px and 390 px: a sign-up
cannot log in before its address is confirmed (the login page offers to send the link again);
the e-mailed link opens a page with a "Confirm my address" button that confirms and logs in;
the Users page lists a pending invitation the same way for an address without a login and for
one with a login elsewhere, and cancels it. Screenshots go to artifacts/ (and /tmp/shots_a/
when it exists, for review)."""

import re
import shutil
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from billing_site.dates import today
from seats.models import Invitation

from .browser import browser_page, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCALES = {"en": "en-US", "pl": "pl-PL"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
REVIEW = Path("/tmp/shots_a")


def shoot(page, name):
    for size, suffix in ((DESKTOP, ""), (PHONE, "-narrow")):
        page.set_viewport_size(size)
        page.wait_for_timeout(120)
        path = screenshot(page, name + suffix)
        if REVIEW.is_dir():
            shutil.copy(path, REVIEW / path.name)
        if size is PHONE:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{name}: the page scrolls sideways at 390 px"
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_sign_up_confirms_its_address_with_the_button(live_server, catalogue, mailoutbox,
                                                        lang):
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        page.goto("/signup/")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        page.locator("#id_organisation").fill("Umbrella")
        page.locator("#id_email").fill("founder@umbrella.example")
        page.locator("#id_password").fill("Sturdy-Password-77")
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(f"{live_server.url}/signup/done/")
        [link] = re.findall(r"https?://\S+(/signup/confirm/\S+/)", mailoutbox[-1].body)

        # before confirming: refused, with a way to send the link again
        log_in(page, "founder@umbrella.example", "Sturdy-Password-77")
        expect(page).to_have_url(re.compile(r"/login/$"))
        expect(page.get_by_test_id("resend-link")).to_be_visible()
        shoot(page, f"qa1213-login-unconfirmed-{lang}")

        page.goto(link)
        expect(page.get_by_test_id("signup-confirm")).to_be_visible()
        shoot(page, f"qa1213-signup-confirm-{lang}")
        page.get_by_test_id("signup-confirm").locator("button[type=submit]").click()
        expect(page).to_have_url(f"{live_server.url}{reverse('account_users')}")
        expect(page.locator(".message-success")).to_contain_text("Umbrella")
        shoot(page, f"qa1213-signup-confirmed-{lang}")

        page.goto(link)  # used: the page says what to do next
        expect(page.get_by_test_id("signup-link-invalid")).to_be_visible()
        shoot(page, f"qa1213-signup-link-used-{lang}")


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_the_users_page_lists_pending_invitations_alike(live_server, make_account, lang):
    account, admin = make_account("Acme", as_of=today(), admin_email="admin@acme.example",
                                  extra_seats=2)
    make_account("Globex", as_of=today(), admin_email="boss@globex.example")

    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        log_in(page, admin.email, "pass-Word-123")
        for email in ("fresh@acme.example", "boss@globex.example"):
            page.goto("/account/users/")
            form = page.locator("#invite form")
            form.locator("input[name=email]").fill(email)
            form.locator("button[type=submit]").click()
            expect(page.locator(".message-success")).to_be_visible()

        rows = page.get_by_test_id("invitation-row")
        expect(rows).to_have_count(2)
        badges = {rows.nth(i).locator(".badge-invited").inner_text() for i in range(2)}
        assert len(badges) == 1
        page.locator("#members").scroll_into_view_if_needed()
        shoot(page, f"qa1213-users-invitations-{lang}")

        taken = Invitation.objects.get(account=account, email="boss@globex.example")
        page.locator(f"#invitation-{taken.pk} form[action$='/cancel/'] button").click()
        expect(page.get_by_test_id("invitation-row")).to_have_count(1)
        expect(page.locator(f"#invitation-{taken.pk}")).to_have_count(0)
