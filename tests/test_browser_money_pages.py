"""Issue 12 in Chromium, on the money pages (Renew, order, pay, History, invoice data, payments):
nothing sticky covers content (item 1); tables fit or scroll inside their card, long text wraps,
nothing spills out of its card and the page never scrolls sideways, in English and Polish, at
1280 and 390 px (item 2); a disabled "Continue to payment" looks disabled and shows no stale
total (item 7). Screenshots of every page, language and width are written to artifacts/.

The live server runs on the real clock: every seat is paid through the end of this month.
"""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from billing_site.dates import end_of_month, today
from invoices.tests import billing_profile
from invoices.tests.factories import issued_document
from plans.services import renewal_order_create
from seats.models import Seat
from seats.tests.helpers import seats_pay_through

from .browser import ARTIFACTS, browser_page, log_in, screenshot

PASSWORD = "pass-Word-123"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGUAGES = {"en": "en-US", "pl": "pl-PL"}
LONG_NOTE = ("Zamówienie nr PO-2026/11/000123456789 dotyczy działu sprzedaży regionalnej; "
             "proszę o przesyłanie korekt na adres księgowość-faktury-zakupowe@przyklad.example "
             "oraz wskazanie numeru umowy ramowej UMOWA/RAMOWA/2026/00000000000000000042.")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("stripe_settings")]


@pytest.fixture
def acme(make_account):
    """Acme with three seats paid through the month's end, its invoice data, a pending order of
    12 months (a total over 1 000, so grouping shows) and an invoice with a long note."""
    as_of = today()
    account, admin = make_account("Acme", as_of=as_of, extra_seats=2)
    seats_pay_through(Seat.objects.filter(account=account), end_of_month(as_of), as_of=as_of)
    billing_profile(account)
    target = end_of_month(as_of) + timedelta(days=330)
    order = renewal_order_create(account=account, until=(target.year, target.month),
                                 actor=admin.user, as_of=as_of)
    issued_document(account, note=LONG_NOTE, issue_date=as_of)
    return account, admin, order


# --- what the checks measure -------------------------------------------------------------------

SPILLS = """() => {
  // every element inside a card that reaches past the card's edges, unless it sits inside a
  // container that scrolls (that container is measured instead); and every element that clips
  // its own text (an ellipsis "59…")
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const bad = [];
  for (const card of document.querySelectorAll('main .card')) {
    const box = card.getBoundingClientRect();
    for (const el of card.querySelectorAll('*')) {
      if (!el.getClientRects().length) continue;
      let inner = el.parentElement, scrolled = false;
      while (inner && inner !== card) { if (scrolls(inner)) { scrolled = true; break; }
                                        inner = inner.parentElement; }
      if (scrolled) continue;
      const r = el.getBoundingClientRect();
      if (r.width && (r.right > box.right + 0.5 || r.left < box.left - 0.5)) {
        bad.push(`${el.tagName}.${el.className} ${Math.round(r.right)} > ${Math.round(box.right)}: `
                 + (el.textContent || '').trim().slice(0, 40));
      }
      const style = getComputedStyle(el);
      if (style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1) {
        bad.push(`clipped ${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
      }
    }
  }
  return bad;
}"""

HIDDEN_SCROLL = """() => Array.from(document.querySelectorAll('main .table-wrap'))
  .filter(w => w.scrollWidth > w.clientWidth + 1)
  .filter(w => !getComputedStyle(w).backgroundImage.includes('gradient'))
  .map(w => w.querySelector('table')?.dataset.testid || w.className)"""


SCROLLING = """() => Array.from(document.querySelectorAll('main .table-wrap'))
  .filter(w => w.scrollWidth > w.clientWidth + 1)
  .map(w => w.querySelector('table')?.dataset.testid || w.className)"""


OFF_SCREEN = """() => Array.from(document.querySelectorAll(
    'main .col-amount, main .amount, main .doc-pdf'))
  .filter(el => el.getClientRects().length)
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .map(el => el.textContent.trim().slice(0, 30))"""


def check_layout(page, name):
    """Screenshots at both widths; no sideways scroll, nothing past its card, and a table that
    scrolls inside its card shows it (a shadow at the edge where more columns are)."""
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        screenshot(page, f"issue12-{name}-{label}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name} {label}: the page scrolls sideways ({width})"
        assert page.evaluate(SPILLS) == [], f"{name} {label}: spills out of its card"
        assert page.evaluate(HIDDEN_SCROLL) == [], f"{name} {label}: scrolls with no hint"
        if name.startswith("history"):  # its tables stack on a phone: amounts stay on screen
            assert page.evaluate(OFF_SCREEN) == [], f"{name} {label}: an amount is off-screen"
        if label == "desktop":  # on a desktop every table fits its card
            assert page.evaluate(SCROLLING) == [], f"{name}: a table scrolls at 1280 px"


@pytest.mark.parametrize("language", LANGUAGES)
def test_money_pages_fit_their_cards_in_both_languages_and_widths(live_server, acme, language):
    _account, admin, order = acme
    with browser_page(live_server.url, locale=LANGUAGES[language]) as page:
        log_in(page, admin.email, PASSWORD)
        pages = {
            "renew": "/account/renew/",
            "order": f"/account/orders/{order.pk}/",
            "pay": f"/account/orders/{order.pk}/pay/",
            "history": "/account/history/",
            "invoice-data": "/account/invoice-data/",
            "account-payments": "/account/payments/",
        }
        for name, url in pages.items():
            page.goto(url)
            expect(page.locator("html")).to_have_attribute("lang", language)
            if name == "renew":
                page.locator("#billing-details > summary").click()
            if name == "history":
                page.get_by_text(LONG_NOTE[:30]).first.wait_for()
            check_layout(page, f"{name}-{language}")


# --- 1. the sticky summary --------------------------------------------------------------------

OVERLAP = """() => {
  const a = document.getElementById('renew-summary').getBoundingClientRect();
  const b = document.querySelector('[data-testid=quote-lines]').getBoundingClientRect();
  const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  return x > 0 && y > 0;
}"""


SIZES = [(1280, 900), (1280, 600), (1024, 700), (960, 540), (901, 700), (390, 844), (390, 600)]


def test_the_sticky_summary_never_covers_the_billing_details(live_server, acme):
    """Scroll through the Renew page with +6 months and the details open at desktop and phone
    sizes (and the widths in between where the layout has two columns): the summary's box never
    meets the details table's box."""
    _account, admin, _order = acme
    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        page.get_by_label("+6 months").check()
        expect(page.locator("#renew-summary")).to_have_attribute("data-state", "ready")
        page.locator("#billing-details > summary").click()
        expect(page.get_by_test_id("quote-lines")).to_be_visible()
        covered = []
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(100)
            total = page.evaluate("document.documentElement.scrollHeight")
            for y in range(0, total, 40):
                page.evaluate(f"window.scrollTo(0, {y})")
                if page.evaluate(OVERLAP):
                    covered.append((width, height, y))
                    page.screenshot(path=str(ARTIFACTS / f"issue12-covered-{width}x{height}.png"))
                    break
        assert covered == [], f"the summary covers the details at {covered}"


# --- 7. a disabled "Continue to payment" --------------------------------------------------------


def test_a_disabled_continue_looks_disabled_and_hides_the_stale_total(live_server, acme):
    _account, admin, _order = acme
    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        button = page.get_by_role("button", name="Continue to payment")
        expect(button).to_be_enabled()
        enabled_look = button.evaluate("b => [getComputedStyle(b).backgroundColor, "
                                       "getComputedStyle(b).opacity, getComputedStyle(b).cursor]")
        page.get_by_label("New seats").fill("-3")
        expect(page.locator("#renew-summary")).to_have_attribute("data-state", "error")
        expect(button).to_be_disabled()
        disabled_look = button.evaluate("b => [getComputedStyle(b).backgroundColor, "
                                        "getComputedStyle(b).opacity, "
                                        "getComputedStyle(b).cursor]")
        assert disabled_look != enabled_look
        assert disabled_look[2] == "not-allowed"
        # the total of the last good quote is not left on screen next to the error
        expect(page.get_by_test_id("quote-gross")).to_have_text("—")
        # "—" alone, not "— PLN"
        expect(page.locator("#renew-summary .quote-total .quote-unit")).to_be_hidden()
        screenshot(page, "issue12-renew-continue-disabled")


# --- 3. the live total in Polish ----------------------------------------------------------------


def test_the_live_total_is_written_like_the_rest_of_the_polish_page(live_server, acme):
    """renew.js shows what the quote endpoint formatted for the page's language: after a change
    the Polish summary still reads "1 416,00", never the raw "1416.00"."""
    _account, admin, _order = acme
    with browser_page(live_server.url, locale="pl-PL") as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        summary = page.locator("#renew-summary")
        page.get_by_label("+12 miesięcy").check()
        expect(summary).to_have_attribute("data-state", "ready")
        expect(summary.get_by_test_id("quote-discount-percent")).to_have_text("10")
        gross = summary.get_by_test_id("quote-gross").inner_text()
        assert re.fullmatch(r"\d\xa0\d{3},\d{2}", gross), gross
        net = summary.locator('[data-quote="net_before_discount"]').inner_text()
        assert net.replace("\xa0", " ") == "2 124,00"  # 3 seats × 12 × 59,00
        valid_until = summary.get_by_test_id("quote-valid-until").inner_text()
        assert re.fullmatch(r"\d{1,2} \w+ \d{4}", valid_until), valid_until
        page.locator("#billing-details > summary").click()
        expect(page.get_by_test_id("details-gross")).to_have_text(f"{gross} PLN")
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        screenshot(page, "issue12-renew-live-pl")
