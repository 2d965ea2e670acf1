"""Issues 12/13 (a QA pass in Chromium) end to end, in English and Polish, at 1280 and 390 px:
the API
tokens page (the new key wraps inside its card; making and replacing a token is post → redirect →
get, replacing asks first), the change-of-role confirmation, the lockout page's next steps, the
finance amount fields and the scroll-edge shadows of the documents table. Screenshots go to
/tmp/shots_b/ (and artifacts/).

The live server runs on the real clock: the state is built around `today()`."""

import io
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from invoices.models import InvoiceTransfer
from invoices.tests.factories import staff_user
from seats.models import MemberRole

from .browser import browser_page, log_in, screenshot
from .test_browser_api_tokens import api_status
from .test_browser_contract_transfers import clerk, contract_account, invoice  # noqa: F401
from .test_browser_issue12_followup import finance  # noqa: F401  (a fixture)

PASSWORD = "pass-Word-123"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LOCALES = {"en": "en-US", "pl": "pl-PL"}
SHOTS = Path("/tmp/shots_b")
FITS = "document.documentElement.scrollWidth <= window.innerWidth"
WIDE = """() => Array.from(document.querySelectorAll('body *'))
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))
  .slice(0, 8)"""

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name):
    path = screenshot(page, f"qa1213-{name}")
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def at_both_widths(page, name):
    """Screenshots at 1280 and 390 px; the page is never wider than the window."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        shot(page, f"{name}-{label}")
        assert page.evaluate(FITS), f"{name} {label}: the page scrolls sideways"


# --- items 1 and 2: API tokens ------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_new_token_fits_a_phone_and_is_shown_once(live_server, make_account, lang):
    _account, admin = make_account("Acme")
    with browser_page(live_server.url, locale=LOCALES[lang], **PHONE) as page:
        log_in(page, admin.user.email, PASSWORD)
        page.goto("/account/api-tokens/")
        page.get_by_test_id("token-create").click()
        key = page.get_by_test_id("new-token-key").inner_text()
        assert len(key) == 40
        # post → redirect → get: the page with the key is a GET, at the page's own address
        assert page.url.endswith("/account/api-tokens/")
        assert page.evaluate(FITS), ("the token makes the page wider than the phone",
                                     page.evaluate(WIDE))
        box = page.get_by_test_id("new-token-key").bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"]
        at_both_widths(page, f"api-token-new-{lang}")

        page.reload()  # a reload neither makes another token nor shows the key again
        expect(page.get_by_test_id("new-token-key")).to_have_count(0)
        assert key not in page.content()
        assert Token.objects.get(user=admin.user).key == key
        assert api_status(live_server.url, key) == 200


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_replacing_a_token_asks_first_then_shows_the_new_one_once(live_server, make_account,
                                                                   lang):
    _account, admin = make_account("Acme")
    old = Token.objects.create(user=admin.user)
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        log_in(page, admin.user.email, PASSWORD)
        page.goto("/account/api-tokens/")
        page.get_by_test_id("token-create").click()
        confirm = page.get_by_test_id("confirm")
        expect(confirm).to_contain_text(old.key[:8])
        expect(confirm).to_contain_text(
            {"en": "stops working at once", "pl": "przestaje działać od razu"}[lang])
        at_both_widths(page, f"api-token-replace-confirm-{lang}")
        assert Token.objects.get(user=admin.user).key == old.key  # nothing done yet
        assert api_status(live_server.url, old.key) == 200

        confirm.locator("button[type=submit]").click()
        new = page.get_by_test_id("new-token-key").inner_text()
        assert new != old.key and page.url.endswith("/account/api-tokens/")
        assert api_status(live_server.url, old.key) == 401
        page.reload()
        expect(page.get_by_test_id("new-token-key")).to_have_count(0)
        assert Token.objects.get(user=admin.user).key == new  # not replaced again


# --- item 7: the documents table scrolls with a visible hint -------------------------------------

def _edge_darkness(page, wrap, side):
    """How much darker than white the wrap's outermost 6 px on `side` are (0 = white), measured
    on the pixels of a screenshot beside the table's body rows."""
    box = wrap.bounding_box()
    table = wrap.locator("tbody").bounding_box()
    x = box["x"] + (box["width"] - 6 if side == "right" else 0)
    png = page.screenshot(clip={"x": x, "y": table["y"], "width": 6, "height": table["height"]})
    # the lighter pixels: the background, where a shadow shows (text may cross the edge too)
    pixels = sorted(Image.open(io.BytesIO(png)).convert("L").tobytes())
    return 255 - pixels[len(pixels) * 3 // 4]


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_the_documents_table_shows_a_shadow_where_it_scrolls(live_server, finance, lang):  # noqa: F811
    with browser_page(live_server.url, locale=LOCALES[lang], **PHONE) as page:
        log_in(page, finance.email, PASSWORD)
        page.goto("/finance/documents/")
        wrap = page.get_by_test_id("documents-table").locator("xpath=..")
        wrap.scroll_into_view_if_needed()
        assert wrap.evaluate("w => w.scrollWidth > w.clientWidth + 1")
        assert page.evaluate(FITS)
        shot(page, f"finance-documents-{lang}-phone")
        assert _edge_darkness(page, wrap, "right") >= 25, "no visible shadow at the right edge"
        assert _edge_darkness(page, wrap, "left") < 25  # nothing more to the left yet
        expect(page.get_by_test_id("documents-scroll-hint")).to_be_visible()
        wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
        page.wait_for_timeout(100)
        assert _edge_darkness(page, wrap, "left") >= 25, "no visible shadow at the left edge"
        shot(page, f"finance-documents-{lang}-phone-scrolled")
        page.set_viewport_size(DESKTOP)
        page.wait_for_timeout(150)
        expect(page.get_by_test_id("documents-scroll-hint")).to_be_hidden()
        shot(page, f"finance-documents-{lang}-desktop")


# --- item 5: the lockout page and the admin's login-attempt lists -------------------------------

def _lock_out(page, email):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/login/")
        form = page.locator('main form[action="/login/"]')
        form.locator("input[type=email], input[name=username]").first.fill(email)
        form.locator("input[type=password]").fill("wrong-password")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_the_lockout_page_gives_the_next_steps(live_server, make_account, lang):
    _account, admin = make_account("Acme")
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        _lock_out(page, admin.user.email)
        steps = page.get_by_test_id("lockout-next-steps")
        expect(steps).to_be_visible()
        expect(page.get_by_test_id("lockout-reset")).to_have_attribute("href", "/password-reset/")
        until = page.get_by_test_id("lockout-until").inner_text()
        # a time of day as the language writes it: "2:25 p.m." / "14:25"
        assert re.search(r"\b\d{1,2}:\d{2} [ap]\.m\." if lang == "en" else r"\b\d{2}:\d{2}\b",
                         until), until
        at_both_widths(page, f"lockout-{lang}")


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_the_admin_login_attempt_lists_fit_1280_px(live_server, django_user_model, lang):
    ops = staff_user(django_user_model, "ops-admin@vendor.example", superuser=True)
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " * 3
    for i in range(3):
        AccessAttempt.objects.create(
            username=f"someone.with.a.long.address-{i}@organisation-example.example",
            ip_address="2001:db8:85a3::8a2e:370:7334", user_agent=agent, http_accept="*/*",
            path_info="/admin/login/", get_data="", post_data="", failures_since_start=5)
        AccessFailureLog.objects.create(
            username=f"someone.with.a.long.address-{i}@organisation-example.example",
            ip_address="2001:db8:85a3::8a2e:370:7334", user_agent=agent, http_accept="*/*",
            path_info="/admin/login/", locked_out=True)
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        page.goto("/admin/login/")
        page.fill("input[name=username]", ops.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_load_state()
        for model in ("accessattempt", "accessfailurelog", "accesslog"):
            page.goto(f"/admin/axes/{model}/")
            results = page.locator("#changelist .results")
            shot(page, f"admin-axes-{model}-{lang}-desktop")
            assert page.evaluate(FITS), f"{model}: the page scrolls sideways"
            if model != "accesslog":
                widths = results.evaluate("r => [r.scrollWidth, r.clientWidth]")
                assert widths[0] <= widths[1] + 1, f"{model}: columns off-screen ({widths})"


# --- item 6: finance amount fields ---------------------------------------------------------------

@pytest.mark.parametrize(("lang", "example", "typed"), [("en", "123.45", "1 000.50"),
                                                         ("pl", "123,45", "1\u00a0000,50")])
def test_a_contract_transfer_takes_an_amount_grouped_with_spaces(live_server, invoice, clerk,  # noqa: F811
                                                                 lang, example, typed):
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        log_in(page, clerk.email, PASSWORD)
        page.goto("/finance/contracts/")
        page.locator(".invoice-transfer summary, details.note-panel > summary").first.click()
        form = page.get_by_test_id("transfer-form")
        amount = form.locator("input[name$='-amount']")
        expect(amount).to_have_attribute("placeholder", example)
        expect(form.locator("select[name$='-currency'] option")).to_have_count(1)
        at_both_widths(page, f"contract-transfer-form-{lang}")
        amount.fill(typed)
        form.locator("input[name$='-reference']").fill(invoice.number)
        form.locator("button[type=submit]").click()
        expect(page.locator(".message-warning, .message-success")).to_be_visible()
        assert InvoiceTransfer.objects.get().amount == Decimal("1000.50")
        at_both_widths(page, f"contract-transfer-booked-{lang}")


# --- item 3: the change of a member's role is confirmed ------------------------------------------

@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_role_change_is_confirmed_with_its_consequence(live_server, make_account, make_member,
                                                         lang):
    account, admin = make_account("Acme")
    bob = make_member(account, "bob@acme.example", MemberRole.ADMIN)
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        log_in(page, admin.user.email, PASSWORD)
        page.goto("/account/users/")
        row = page.locator(f"#member-{bob.pk}")
        row.locator("select[name=role]").select_option("user")
        row.get_by_test_id("role-form").locator("button[type=submit]").click()
        confirm = page.get_by_test_id("confirm")
        expect(confirm).to_contain_text("bob@acme.example")
        expect(confirm).to_contain_text({"en": "They lose access to billing at once",
                                         "pl": "Od razu traci dostęp do rozliczeń"}[lang])
        at_both_widths(page, f"role-confirm-{lang}")
        bob.refresh_from_db()
        assert bob.role == MemberRole.ADMIN
        confirm.locator("button[type=submit]").click()
        expect(page.locator(".message-success")).to_contain_text("bob@acme.example")
        bob.refresh_from_db()
        assert bob.role == MemberRole.USER
