"""Issue 12 follow-up in Chromium, in English and Polish, at 1280 and 390 px: the seat table
writes days as the rest of the pages do (no ISO date) and names seats "no. N" / "nr N" with long
e-mails wrapping inside their card; Renew's billing details stack into label/value rows on a
phone; the finance tables (documents, exchange rates, jobs) that scroll inside their box show an
edge shadow, and the documents' amounts are grouped; the sign-up package select is translated.
Screenshots go to artifacts/.

The live server runs on the real clock: the state is built around `today()`.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from playwright.sync_api import expect

from billing_site.dates import end_of_month, today
from invoices.services.rates import previous_business_day, rate_enter_manually
from invoices.tests import billing_profile
from invoices.tests.factories import Line, issued_document, staff_user
from seats.models import MemberRole, Seat
from seats.tests.helpers import seats_pay_through

from .browser import browser_page, log_in, screenshot
from .test_browser_money_pages import HIDDEN_SCROLL, SPILLS

PASSWORD = "pass-Word-123"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LOCALES = {"en": "en-US", "pl": "pl-PL"}
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
LONG_EMAIL = "a.very.long.name.of.an.accountant-assistant@acme-logistics-international.example"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# every box that scrolls sideways (app tables, admin change lists, ops tables) without the
# edge shadow that says so
ADMIN_HIDDEN_SCROLL = """() => Array.from(document.querySelectorAll(
    '#changelist .results, .ops-scroll'))
  .filter(w => w.scrollWidth > w.clientWidth + 1)
  .filter(w => !getComputedStyle(w).backgroundImage.includes('radial-gradient'))
  .map(w => w.className || w.id)"""
ADMIN_SCROLLING = """() => Array.from(document.querySelectorAll(
    '#changelist .results, .ops-scroll')).filter(w => w.scrollWidth > w.clientWidth + 1).length"""


def both_widths(page, name, *, hidden_scroll=HIDDEN_SCROLL):
    """Screenshots at 1280 and 390 px; at each, the page never scrolls sideways and every table
    that scrolls inside its box shows the hint."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        screenshot(page, f"issue12f-{name}-{label}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name} {label}: the page scrolls sideways ({width})"
        assert page.evaluate(hidden_scroll) == [], f"{name} {label}: scrolls with no hint"
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def acme(make_account, make_member):
    as_of = today()
    account, admin = make_account("Acme Logistics", as_of=as_of, extra_seats=2,
                                  admin_email="admin@acme.example")
    make_member(account, LONG_EMAIL, MemberRole.MANAGER, as_of=as_of)
    seats_pay_through(Seat.objects.filter(account=account), end_of_month(as_of), as_of=as_of)
    return account, admin


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_the_seat_table_shows_days_seat_numbers_and_wraps_long_emails(live_server, acme, lang):
    _account, admin = acme
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/users/")
        table = page.get_by_test_id("seats-table")
        text = table.inner_text()
        assert ISO_DAY.findall(text) == []
        assert str(end_of_month(today()).year) in text
        first_seat = table.locator("tbody tr").first.locator("td").nth(1)
        expect(first_seat).to_have_text("no. 1" if lang == "en" else "nr 1")
        assert "#" not in page.locator("main").inner_text()
        # the long address breaks at its dots and hyphens (<wbr>), never past its card
        cell = page.get_by_test_id("members-table").locator("td.wrap", has_text="a.very.long")
        assert cell.evaluate("el => el.querySelectorAll('wbr').length") > 5
        both_widths(page, f"users-{lang}")
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(150)
        assert page.evaluate(SPILLS) == []
        # each piece between break points stays whole: the cell is as wide as its longest piece
        width = cell.evaluate("el => el.getBoundingClientRect().width")
        assert width < 300


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_the_billing_details_stack_into_label_value_rows_on_a_phone(live_server, acme, lang):
    account, admin = acme
    billing_profile(account)
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        page.locator("#billing-details > summary").click()
        lines = page.get_by_test_id("quote-lines")
        expect(lines.locator("tbody tr").first).to_be_visible()
        both_widths(page, f"renew-details-{lang}")

        page.set_viewport_size(PHONE)
        page.wait_for_timeout(150)
        wrap = lines.locator("xpath=..")
        assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth + 1"), "the details scroll"
        period = lines.locator("tbody tr").first.locator("td").nth(1)
        label = period.evaluate("td => getComputedStyle(td, '::before').content")
        assert label == ('"Period"' if lang == "en" else '"Okres"')
        # label and value on one row, the row below the item's name
        item, amount = (lines.locator("tbody tr").first.locator("td").nth(i) for i in (0, 4))
        assert (amount.bounding_box()["y"] > item.bounding_box()["y"]
                and amount.bounding_box()["width"] > 300)
        assert ISO_DAY.findall(lines.inner_text()) == []
        lines.scroll_into_view_if_needed()
        screenshot(page, f"issue12f-renew-details-{lang}-phone-details")


@pytest.fixture
def finance(django_user_model, make_account):
    """A finance clerk (documents, rates), an account with a document over 1 000 PLN and three
    exchange rates."""
    account, _admin = make_account("Globex Trading", as_of=today())
    start, end = today().replace(day=1), end_of_month(today())
    issued_document(account, issue_date=today(), lines=[
        Line("Professional — stanowiska / seats", 12, "179.00", start, end)])
    day = previous_business_day(today())
    for currency, rate in (("EUR", "4.251234"), ("USD", "3.987654"), ("CZK", "0.171234")):
        rate_enter_manually(currency=currency, effective_date=day, rate=Decimal(rate),
                            table_number=f"{currency}/A/NBP/{day:%Y}/manual-entry", actor=None,
                            as_of=day)
    user = staff_user(django_user_model, "finance@vendor.example", groups=["finance"],
                      superuser=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_exchangerate"))
    return user


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_finance_tables_say_they_scroll_and_group_amounts(live_server, finance, lang):
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        log_in(page, finance.email, PASSWORD)
        page.goto("/finance/documents/")
        table = page.get_by_test_id("documents-table")
        gross = Decimal("12") * Decimal("179.00") * Decimal("1.23")  # 2 642.04
        shown = "2,642.04" if lang == "en" else "2\xa0642,04"
        assert f"{gross:.2f}" == "2642.04"
        expect(table).to_contain_text(shown)
        assert ISO_DAY.findall(table.inner_text()) == []
        both_widths(page, f"finance-documents-{lang}")
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(150)
        wrap = table.locator("xpath=..")
        assert wrap.evaluate("w => w.scrollWidth > w.clientWidth + 1")  # it does scroll …
        assert "radial-gradient" in wrap.evaluate(
            "w => getComputedStyle(w).backgroundImage")  # … and shows it

        for name, url in (("rates", reverse("admin:invoices_exchangerate_changelist")),
                          ("jobs", reverse("admin:dunning_jobs"))):
            page.goto(url)
            both_widths(page, f"{name}-{lang}", hidden_scroll=ADMIN_HIDDEN_SCROLL)
            if name == "rates":  # the rates list is wider than a phone: it scrolls, with a hint
                page.set_viewport_size(PHONE)
                page.wait_for_timeout(150)
                assert page.evaluate(ADMIN_SCROLLING) == 1


@pytest.mark.parametrize("lang,base", [("en", "Base"), ("pl", "Podstawowy")])
def test_signup_package_names_are_translated(live_server, lang, base, catalogue):
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        page.goto("/signup/")
        options = page.locator("select[name=package] option").all_inner_texts()
        assert base in options
        assert all(ISO_DAY.search(text) is None for text in options)
        both_widths(page, f"signup-{lang}")


def test_the_trial_hint_states_how_many_seats_can_still_be_added(live_server, make_account):
    account, admin = make_account("Trial", trial=True, as_of=today() - timedelta(days=2),
                                  admin_email="admin@trial.example")
    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/users/")
        expect(page.get_by_test_id("trial-seat-cap")).to_contain_text(
            "at most 25 seats. You can add up to 24 more seats now.")
        page.locator("#id_count").fill("30")
        page.locator("#add-seats button[type=submit]").click()
        page.wait_for_load_state()
        error = page.locator("#add-seats .field-error").inner_text()
        assert "at most 25 seats; it has 1. You can add up to 24 more seats now." in error
        assert "500" not in error
        screenshot(page, "issue12f-trial-cap")
    assert Seat.objects.filter(account=account).count() == 1
