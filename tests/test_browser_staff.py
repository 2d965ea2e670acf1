"""End-to-end (issue 12, item 6): the demo's finance, ops and support logins each land on their
own start page with their own menu, in English and Polish, on a desktop and a 390 px phone.
Screenshots go to artifacts/staff-<group>-<lang>-<width>.png."""


import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.management.commands.load_demo import DEMO_PASSWORD

from .browser import browser_page, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {1280: 900, 390: 844}
LOCALES = {"en": "en-US", "pl": "pl-PL"}
# group → (start page, its heading by language, the staff menu's entries on site pages)
STAFF = {
    "finance": ("/finance/documents/", {"en": "Documents", "pl": "Dokumenty"},
                ["documents", "contracts", "transfers", "refunds", "accounts", "rates",
                 "admin"]),
    "ops": ("/admin/dunning/jobs/", {"en": "Billing jobs", "pl": "Zadania rozliczeniowe"},
            ["jobs", "accounts", "rates", "admin"]),
    "support": ("/support/queue/", {"en": "Support queue", "pl": "Kolejka zgłoszeń"},
                ["support", "accounts", "admin"]),
}


@pytest.fixture
def demo(catalogue):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def menu_keys(page):
    return page.locator("nav[data-testid=staff-nav] a").evaluate_all(
        "links => links.map(a => a.dataset.area)")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("group", STAFF)
def test_staff_land_on_their_page_with_their_menu(live_server, demo, group, lang, width):
    start, heading, entries = STAFF[group]
    with browser_page(live_server.url, locale=LOCALES[lang], width=width,
                      height=WIDTHS[width]) as page:
        log_in(page, f"{group}@vendor.example", DEMO_PASSWORD)

        assert page.url == live_server.url + start
        expect(page.locator("h1").first).to_contain_text(heading[lang])
        expect(page.locator("html")).to_have_attribute("lang", lang)
        assert "does not belong to an organisation" not in page.content()
        screenshot(page, f"staff-{group}-{lang}-{width}")

        if start.startswith("/admin/"):  # ops works in the admin; the site menu is on site pages
            page.goto("/staff/")
            screenshot(page, f"staff-{group}-{lang}-{width}-site")
        assert menu_keys(page) == entries
        if width == 390:  # the menu wraps inside the phone's width, nothing off-screen
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            right = page.locator("nav[data-testid=staff-nav] a").evaluate_all(
                "links => Math.max(...links.map(a => a.getBoundingClientRect().right))")
            assert right <= width

        page.goto("/")  # the brand's address leads back to the same start page
        assert page.url == live_server.url + start


def test_support_sees_the_ticket_queue_link_in_polish(live_server, demo):
    with browser_page(live_server.url, locale="pl-PL", width=390, height=844) as page:
        log_in(page, "support@vendor.example", DEMO_PASSWORD)
        page.goto("/staff/")
        expect(page.get_by_test_id("ticket-queue")).to_be_visible()
        expect(page.get_by_test_id("staff-areas").locator("a[data-area=accounts]")).to_have_text(
            "Konta")


@pytest.mark.parametrize("lang", LOCALES)
def test_a_staff_403_speaks_to_staff(live_server, demo, lang):
    with browser_page(live_server.url, locale=LOCALES[lang], width=390, height=844) as page:
        log_in(page, "support@vendor.example", DEMO_PASSWORD)
        response = page.goto("/finance/documents/")

        assert response.status == 403
        expect(page.get_by_test_id("refusal-reason")).to_be_visible()
        assert "Only administrators of the organisation" not in page.content()
        assert "Tylko administratorzy organizacji" not in page.content()
        screenshot(page, f"staff-403-{lang}-390")
        page.locator("main a.btn").click()  # back to the start page
        assert page.url == live_server.url + "/support/queue/"
