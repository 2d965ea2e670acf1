"""End-to-end (issue 11): an admin turns recurring card payments off on the Renew page and sees
until when the seats stay valid and when access ends, in English and in Polish, at desktop width
and on a 390 px phone, in Chromium.

The live server runs on the real clock (as `test_browser_dunning`): the seats are paid through
the end of next month from today(), the card is saved in localstripe with recurring payments on,
as paying with "enable recurring payments" leaves it.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from billing_site.dates import end_of_month, today
from catalogue.models import BillingPolicy
from dunning.tests.recurring_helpers import VISA, save_card
from invoices.tests import billing_profile
from payments.models import SavedCard
from seats.models import Seat
from seats.tests.helpers import seats_pay_through

from .browser import ARTIFACTS, browser_page, log_in, screenshot

PASSWORD = "pass-Word-123"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# the live server runs in another thread: it sees only committed rows
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("stripe_settings")]


def next_month_end():
    return end_of_month(end_of_month(today()) + timedelta(days=1))


def shown_date(day, language):
    with translation.override(language):
        return date_format(day, "DATE_FORMAT")


@pytest.fixture
def acme(make_account):
    """Acme: the admin's seat and a free one, paid through next month's end; a saved Visa with
    recurring payments on."""
    account, admin = make_account("Acme", as_of=today(), extra_seats=1)
    billing_profile(account)
    seats_pay_through(Seat.objects.filter(account=account), next_month_end(), as_of=today())
    save_card(account, VISA, recurring=True, as_of=today())
    return account, admin


def card(page):
    return page.get_by_test_id("recurring-payments")


def overflowing(page, selector, width=390):
    """Elements under `selector` whose right edge passes the viewport (cut off on a phone)."""
    return page.evaluate(
        """([selector, width]) => Array.from(document.querySelectorAll(selector + ' *'))
            .filter(el => el.getBoundingClientRect().right > width + 0.5)
            .map(el => el.tagName + '.' + el.className)""", [selector, width])


def readable_at_phone_width(page, name):
    """Screenshots at 1280 px and at 390 px (the whole page, and the card alone); at 390 px the
    page does not scroll sideways, nothing in the card passes the screen's edge, and its text
    is not squeezed (the card is at least 300 px wide, its font at least 14 px)."""
    page.set_viewport_size(DESKTOP)
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(100)
    card(page).scroll_into_view_if_needed()
    screenshot(page, f"{name}-narrow")
    card(page).screenshot(path=str(ARTIFACTS / f"{name}-card-narrow.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    assert overflowing(page, "#recurring-payments") == [], name
    box = card(page).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] >= 300, box
    font = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                         "'[data-testid=recurring-end]')).fontSize)")
    assert font >= 14, font
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize(("language", "locale", "texts"), [
    ("en", "en-US", {
        "on": "Recurring payments are on",
        "off_button": "Turn off recurring payments",
        "on_button": "Turn on recurring payments",
        "message": "Recurring payments are off. Your seats stay valid until {day}; renew by then "
                   "to keep access.",
        "card_end": "Recurring payments are off. Your seats stay valid until {day}; renew by "
                    "then to keep access. After a grace period, from {blocked} only "
                    "administrators can log in, to pay.",
    }),
    ("pl", "pl-PL", {
        "on": "Płatności cykliczne są włączone",
        "off_button": "Wyłącz płatności cykliczne",
        "on_button": "Włącz płatności cykliczne",
        "message": "Płatności cykliczne są wyłączone. Stanowiska pozostają ważne do {day}; "
                   "przedłuż je do tego dnia, aby zachować dostęp.",
        # the card says the same in its first sentence (the same catalogue entry); the
        # sentence about the blocked day is new in issue 11 and not translated yet
        "card_end": None,
    }),
])
def test_an_admin_turns_recurring_payments_off_and_sees_when_access_ends(
        live_server, acme, language, locale, texts):
    account, admin = acme
    valid_until = next_month_end()
    blocked_on = valid_until + timedelta(days=BillingPolicy.current().grace_days + 1)
    day, blocked = shown_date(valid_until, language), shown_date(blocked_on, language)

    with browser_page(live_server.url, locale=locale) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        expect(card(page)).to_contain_text(texts["on"])
        expect(card(page)).to_contain_text("4242")
        card(page).get_by_role("button", name=texts["off_button"]).click()
        page.wait_for_load_state()

        expect(page).to_have_url(f"{live_server.url}/account/renew/#recurring-payments")
        message = page.locator(".message-success")
        expect(message).to_contain_text(day)
        if texts["message"]:
            expect(message).to_have_text(texts["message"].format(day=day))
        # the card itself keeps saying it, after the message is gone
        end = card(page).get_by_test_id("recurring-end")
        expect(end).to_contain_text(day)
        expect(end).to_contain_text(blocked)
        expect(end.get_by_test_id("recurring-state")).to_have_text(
            texts["message"].format(day=day))
        if texts["card_end"]:
            expect(end).to_have_text(texts["card_end"].format(day=day, blocked=blocked))
        expect(card(page).get_by_role("button", name=texts["on_button"])).to_be_visible()
        readable_at_phone_width(page, f"recurring-off-{language}")

        page.reload()  # no message any more: the card alone tells the end date
        expect(page.locator(".message-success")).to_have_count(0)
        expect(card(page).get_by_test_id("recurring-end")).to_contain_text(day)

    assert not SavedCard.objects.get(account=account).recurring
    # the e-mail to the admins names the same days (sent after the commit, Polish then English)
    [sent] = [m for m in mail.outbox if admin.email in m.to and "invit" not in m.subject.lower()]
    assert shown_date(valid_until, "en") in sent.body and shown_date(blocked_on, "en") in sent.body
    assert shown_date(valid_until, "pl") in sent.body
