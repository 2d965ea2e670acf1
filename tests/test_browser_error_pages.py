"""End-to-end (issue 13, item 7) in Chromium, in English and Polish: an action's address opened
with a GET lands on the page its form is on and says nothing was done (it was a blank 405); a
form sent without the CSRF cookie gets a page in the site's layout that explains why, with a
link back to the page the form was on. Screenshots go to artifacts/."""

import pytest
from playwright.sync_api import expect

from billing_site.dates import today
from seats.models import Seat

from .browser import browser_page, log_in, screenshot

PASSWORD = "pass-Word-123"
LOCALES = {"en": "en-US", "pl": "pl-PL"}
NOTHING_DONE = {
    "en": "Nothing was done: that address only takes a form sent from this page.",
    "pl": "Nic nie zostało zrobione: ten adres przyjmuje tylko formularz wysłany z tej strony.",
}
COOKIES_NEEDED = {"en": "allow cookies for this site",
                  "pl": "zezwól na ciasteczka dla tej witryny"}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme(make_account):
    return make_account("Acme", as_of=today(), admin_email="admin@acme.example")


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_opening_an_actions_address_lands_on_its_page(live_server, acme, lang):
    account, admin = acme
    seats = Seat.objects.filter(account=account).count()
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        log_in(page, admin.email, PASSWORD)
        response = page.goto("/account/users/seats/add/")
        assert response.status == 200
        assert page.url == f"{live_server.url}/account/users/#seats"
        expect(page.locator(".message-info")).to_contain_text(NOTHING_DONE[lang])
        screenshot(page, f"post-only-get-{lang}")
    assert Seat.objects.filter(account=account).count() == seats


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_form_sent_without_the_csrf_cookie_explains_and_links_back(live_server, acme, lang):
    account, admin = acme
    seats = Seat.objects.filter(account=account).count()
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/users/")
        session = [c for c in page.context.cookies() if c["name"] != "csrftoken"]
        page.context.clear_cookies()
        page.context.add_cookies(session)  # still logged in, but the CSRF cookie is gone

        page.locator("form[action='/account/users/seats/add/'] button[type=submit]").click()

        expect(page.get_by_test_id("csrf-failure")).to_contain_text(COOKIES_NEEDED[lang])
        expect(page.locator("header.site-header")).to_be_visible()  # the site's layout
        screenshot(page, f"csrf-failure-{lang}")
        page.get_by_test_id("csrf-back").click()
        page.wait_for_load_state()
        assert page.url.startswith(f"{live_server.url}/account/users/")
    assert Seat.objects.filter(account=account).count() == seats
