"""Issues 12 and 13 (admin texts, bounded inputs) in a real browser, in English and Polish, at
1280 px and 390 px: the admin's names,
titles and login label, axes' pages, the ops jobs' schedules, the document lines' dates; the
suspension date picker bounded to the schedule window; the renewal month's placeholder.
Screenshots go to artifacts/ (tests.browser.screenshot)."""

from datetime import date, timedelta

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import expect

from billing_site import formatting
from billing_site.dates import today
from invoices.tests.factories import Line, issued_document
from seats.models import MemberRole, MemberState

from .browser import browser_page, log_in, screenshot

PASSWORD = "pass-Word-123"
WIDTHS = {"wide": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"en": "en-US", "pl": "pl-PL"}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="root@vendor.example", email="root@vendor.example", password=PASSWORD)


def both_widths(page, name):
    for width, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.wait_for_timeout(100)
        screenshot(page, f"qa1213-{name}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"] + 1, (
            name, width)
    page.set_viewport_size(WIDTHS["wide"])


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_admin_speaks_the_language_with_the_products_name(live_server, superuser,
                                                               make_account, language):
    account, _admin = make_account("Acme")
    document = issued_document(account, lines=[
        Line("Base — 1 stanowisko / seat", 1, "59.00", date(2026, 11, 16), date(2026, 11, 30))])
    with browser_page(live_server.url, locale=LOCALES[language]) as page:
        page.goto("/admin/login/")
        expect(page.locator("label[for=id_username]")).to_have_text("E-mail:")
        expect(page.locator("#site-name")).to_have_text(
            "Seat Billing — administracja" if language == "pl"
            else "Seat Billing — administration")
        both_widths(page, f"admin-login-{language}")
        page.locator("#id_username").fill(superuser.username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#login-form [type=submit]").click()
        page.wait_for_load_state()

        main = page.locator("#content-main")
        if language == "pl":
            for name in ("Blokada logowania", "Nieudane próby dostępu", "Wyniki zadań",
                         "Zadania okresowe", "Pozycje dokumentów", "Sumy VAT dokumentów"):
                expect(main).to_contain_text(name)
            for english in ("Access failures", "Task results", "Periodic Tasks", "Crontabs",
                            "Document lines", "Document vat totals", "Billing site",
                            "Django"):
                expect(page.locator("body")).not_to_contain_text(english)
        else:
            expect(main).to_contain_text("Login lockout")
        both_widths(page, f"admin-index-{language}")

        page.goto("/admin/axes/accessfailurelog/")
        if language == "pl":
            expect(page.locator("body")).not_to_contain_text("Access")
        both_widths(page, f"admin-axes-failures-{language}")

        page.goto("/admin/dunning/jobs/")
        expect(page.locator("table.ops-table")).to_contain_text(
            "codziennie o 00:15" if language == "pl" else "daily at 00:15")
        both_widths(page, f"admin-jobs-{language}")

        page.goto("/admin/invoices/documentline/")
        expect(page.locator("#result_list")).to_contain_text(
            "16 listopada 2026 – 30 listopada 2026" if language == "pl"
            else "Nov. 16, 2026 – Nov. 30, 2026")
        both_widths(page, f"admin-document-lines-{language}")
        page.goto(f"/admin/invoices/document/{document.pk}/change/")
        expect(page.locator("#content-main")).not_to_contain_text("2026-11-16")


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_suspension_date_picker_stops_at_the_schedule_window(live_server, make_account,
                                                                 make_member, language):
    as_of = today()
    account, admin = make_account("Acme", as_of=as_of)
    uma = make_member(account, "uma@acme.example", MemberRole.USER, as_of=as_of)
    with browser_page(live_server.url, locale=LOCALES[language]) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/users/")
        row = page.locator(f"#member-{uma.pk}")
        row.locator("summary").first.click()
        picker = row.locator("input[type=date]")
        expect(picker).to_have_attribute("min", as_of.isoformat())
        expect(picker).to_have_attribute("max", (as_of + timedelta(days=365)).isoformat())
        both_widths(page, f"users-release-{language}")

        # the form is checked by the server (novalidate): a date past the window is refused
        # at once, before the confirmation step, with the allowed range in the page's language
        picker.fill("2999-01-01")
        row.locator("form.release-form button[type=submit]").first.click()
        page.wait_for_load_state()
        with translation.override(language):
            message = _("Pick a date from %(first)s to %(last)s.") % {
                "first": formatting.day(as_of),
                "last": formatting.day(as_of + timedelta(days=365))}
        row = page.locator(f"#member-{uma.pk}")
        expect(row).to_contain_text(message)
        expect(page.get_by_test_id("confirm")).to_have_count(0)
        both_widths(page, f"users-release-refused-{language}")
        uma.refresh_from_db()
        assert (uma.state, uma.pending_state) == (MemberState.ACTIVE, "")


@pytest.mark.parametrize(("language", "placeholder"), [("en", "YYYY-MM"), ("pl", "RRRR-MM")])
def test_the_renewal_month_placeholder_is_in_the_pages_language(live_server, make_account,
                                                                language, placeholder):
    _account, admin = make_account("Acme", as_of=today())
    with browser_page(live_server.url, locale=LOCALES[language]) as page:
        log_in(page, admin.email, PASSWORD)
        page.goto("/account/renew/")
        expect(page.locator("input[name=other_month]")).to_have_attribute(
            "placeholder", placeholder)
        both_widths(page, f"renew-{language}")


def test_the_api_docs_describe_the_product(live_server, db):
    with browser_page(live_server.url) as page:
        page.goto("/api/docs/")
        info = page.locator(".swagger-ui .info")
        expect(info.locator(".title")).to_contain_text("Seat Billing API")
        expect(info).to_contain_text("per-seat subscription billing for organisations")
        expect(info).not_to_contain_text("more billing resources follow")
        both_widths(page, "api-docs")
