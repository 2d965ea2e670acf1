"""End-to-end (issue 14) in Chromium, in English and Polish, at 1280 px and on a 390 px phone:
support staff file a ticket on Friday 16:30 (Europe/Warsaw) for a START contract and see its
deadline on Monday; an account admin orders the EMAIL plan through the confirmation page and sees
its minimum term; a reporter who is not the contract's contact and a time entry for a future day
get clear errors on the page (development work is not offered on a plan without it); a manager
gets 403 on the Support plan page; another account's contract and ticket ids are 404. Screenshots
go to artifacts/ (or $SHOTS_DIR).

The Polish runs assert only what does not depend on this issue's catalogue (dates written by
Django's Polish locale, the page's language, test ids): the new messages are translated by the
maintainers after the merge."""

import os
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from seats.models import MemberRole
from support_plans import services
from support_plans.defaults import seed_support_plans
from support_plans.models import SupportContract, SupportPlan, Ticket, TimeEntry

from .browser import ARTIFACTS, browser_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 11, 20, 16, 30, tzinfo=WAW)  # a Friday, after START's 8:00–16:00
TODAY = NOW.date()
PASSWORD = "pass-Word-123"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LOCALES = {"en": "en-US", "pl": "pl-PL"}
WIDTHS = {1280: 900, 390: 844}
SHOTS = Path(os.environ.get("SHOTS_DIR", ARTIFACTS))
# the ticket's deadline (Monday 16:00) as the pages write it, by language
MONDAY = {"en": ("Monday", "Nov. 23, 2026, 4 p.m."),
          "pl": ("poniedziałek", "23 listopada 2026 16:00")}
# the EMAIL plan ordered on 2026-11-20: its minimum term's last day
MINIMUM_END = {"en": "Feb. 19, 2027", "pl": "19 lutego 2027"}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def tiers(catalogue):
    seed_support_plans(SupportPlan, Group)
    return {plan.code: plan for plan in SupportPlan.objects.all()}


@pytest.fixture
def support_user(django_user_model, tiers):
    user = django_user_model.objects.create_user(
        "helpdesk@vendor.example", "helpdesk@vendor.example", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return user


@pytest.fixture
def acme(make_account, make_member, tiers):
    """Acme with a START contract since Nov. 2 (its admin the contact) and a manager."""
    account, admin = make_account("Acme Logistics & Sons", as_of=TODAY,
                                  admin_email="admin@acme.example")
    manager = make_member(account, "manager@acme.example", MemberRole.MANAGER, as_of=TODAY)
    contract = services.contract_order(account=account, plan=tiers["START"],
                                       start=date(2026, 11, 2), contact=admin, actor=None,
                                       as_of=date(2026, 11, 2))
    return account, admin, manager, contract


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"),
                    full_page=True)


def fits_the_phone(page):
    """Nothing of the page but the scrolling table wraps passes the 390 px viewport."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    spilled = page.evaluate(
        """() => Array.from(document.querySelectorAll('main *'))
            .filter(el => !el.closest('.table-wrap'))
            .filter(el => el.getBoundingClientRect().right > 390.5)
            .map(el => el.tagName + '.' + el.className)""")
    assert spilled == []


def both_widths(page, name):
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(100)
    shot(page, name)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(150)
    shot(page, f"{name}-390")
    fits_the_phone(page)
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LOCALES)
def test_support_files_a_friday_ticket_due_on_monday(live_server, acme, support_user, lang,
                                                      width):
    _account, admin, _manager, contract = acme
    with browser_page(live_server.url, locale=LOCALES[lang], width=width,
                      height=WIDTHS[width]) as page:
        log_in(page, support_user.email, PASSWORD)
        assert page.url == live_server.url + "/support/queue/"  # support lands on its queue
        expect(page.locator("html")).to_have_attribute("lang", lang)
        form = page.get_by_test_id("ticket-form")
        form.locator("select[name=contract]").select_option(str(contract.pk))
        form.locator("input[name=reporter]").fill(admin.email)
        form.locator("select[name=channel]").select_option("email")
        form.locator("select[name=kind]").select_option("bug")
        form.locator("input[name=subject]").fill("Invoice export fails")
        shot(page, f"support-queue-form-{lang}-{width}")
        page.get_by_test_id("file-ticket").click()
        page.wait_for_load_state()

        ticket = Ticket.objects.get()
        assert page.url == live_server.url + f"/support/tickets/{ticket.pk}/"
        weekday, moment = MONDAY[lang]
        deadline = page.get_by_test_id("ticket-details").get_by_test_id("deadline")
        expect(deadline).to_contain_text(weekday)
        expect(deadline).to_contain_text(moment)
        expect(page.locator(".message-success")).to_contain_text(moment)
        assert ticket.deadline == datetime(2026, 11, 23, 16, 0, tzinfo=WAW)
        shot(page, f"support-ticket-{lang}-{width}")
        if width == 390:
            fits_the_phone(page)

        page.goto("/support/queue/")
        row = page.locator(f"[data-ticket='{ticket.pk}']")
        expect(row.get_by_test_id("deadline")).to_contain_text(moment)
        expect(row.get_by_test_id("time-left")).to_contain_text("8")  # 8 h of working time
        shot(page, f"support-queue-{lang}-{width}")
        if width == 390:
            fits_the_phone(page)


@pytest.mark.parametrize("lang", LOCALES)
def test_a_non_contact_reporter_and_development_on_start_are_refused_on_the_page(
        live_server, acme, support_user, lang):
    _account, admin, manager, contract = acme
    ticket = services.ticket_open(contract=contract, received_at=datetime(
        2026, 11, 20, 9, 0, tzinfo=WAW), channel="email", kind="bug", reporter=admin,
        subject="Export", actor=None, now=NOW)
    with browser_page(live_server.url, locale=LOCALES[lang], **PHONE) as page:
        log_in(page, support_user.email, PASSWORD)
        form = page.get_by_test_id("ticket-form")
        form.locator("select[name=contract]").select_option(str(contract.pk))
        form.locator("input[name=reporter]").fill(manager.email)
        page.get_by_test_id("file-ticket").click()
        page.wait_for_load_state()
        error = page.get_by_test_id("ticket-form").locator(".field-invalid .field-error")
        expect(error).to_contain_text(admin.email)  # names the contact person
        if lang == "en":
            expect(error).to_have_text(
                "Only the contract's contact person (admin@acme.example) may file tickets.")
        assert Ticket.objects.count() == 1
        both_widths(page, f"support-queue-reporter-error-{lang}")

        page.goto(f"/support/tickets/{ticket.pk}/")
        time_form = page.get_by_test_id("time-form")
        # START has no development work: the channel is not offered (issue 14 QA)
        expect(time_form.locator("select[name=channel] option[value=development]")) \
            .to_have_count(0)
        expect(time_form.locator("select[name=channel] option[value=phone]")).to_have_count(1)
        time_form.locator("select[name=channel]").select_option("phone")
        time_form.locator("input[name=minutes]").fill("10")
        time_form.locator("input[name=date]").fill("2026-11-23")  # a day ahead
        page.get_by_test_id("add-time").click()
        page.wait_for_load_state()
        error = page.get_by_test_id("time-form").locator(".field-invalid .field-error")
        expect(error).to_be_visible()
        if lang == "en":
            expect(error).to_have_text("Time cannot be entered for a day in the future.")
        page.get_by_test_id("time-form").locator("input[name=date]").fill("2026-11-20")
        assert not TimeEntry.objects.exists()
        both_widths(page, f"support-ticket-time-error-{lang}")

        time_form = page.get_by_test_id("time-form")
        time_form.locator("select[name=channel]").select_option("phone")
        time_form.locator("input[name=minutes]").fill("10")
        page.get_by_test_id("add-time").click()
        page.wait_for_load_state()
        expect(page.get_by_test_id("time-entries").get_by_test_id("billable")).to_have_text(
            "15 min" if lang == "en" else re.compile(r"15"))
        page.get_by_test_id("respond").click()
        page.wait_for_load_state()
        expect(page.get_by_test_id("first-response")).to_contain_text(
            {"en": "Nov. 20, 2026, 4:30 p.m.", "pl": "20 listopada 2026 16:30"}[lang])
        both_widths(page, f"support-ticket-answered-{lang}")

        page.get_by_test_id("report-link").click()
        page.wait_for_load_state()
        expect(page.get_by_test_id("count-tickets")).to_have_text("1")
        expect(page.get_by_test_id("count-met")).to_have_text("1")
        both_widths(page, f"support-report-{lang}")
        response = page.goto("/support/queue/?kind=wish")
        assert response.status == 400
        expect(page.get_by_test_id("filter-errors")).to_be_visible()
        both_widths(page, f"support-queue-bad-filter-{lang}")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LOCALES)
def test_an_admin_orders_the_email_plan_and_sees_its_minimum_term(live_server, make_account,
                                                                  tiers, lang, width):
    account, admin = make_account("Globex", as_of=TODAY)
    with browser_page(live_server.url, locale=LOCALES[lang], width=width,
                      height=WIDTHS[width]) as page:
        log_in(page, admin.email, PASSWORD)
        page.get_by_test_id("nav-support").click()
        page.wait_for_load_state()
        assert page.url == live_server.url + "/account/support/"
        order = page.get_by_test_id("order")
        assert order.locator("input[name=plan]").evaluate_all(
            "inputs => inputs.map(i => i.value)") == ["COMMUNITY", "EMAIL", "START", "STANDARD"]
        shot(page, f"support-account-order-{lang}-{width}")
        if width == 390:
            fits_the_phone(page)
        order.locator("label[data-plan=EMAIL]").click()
        order.locator("select[name=contact]").select_option(str(admin.pk))
        page.get_by_test_id("order-plan").click()
        page.wait_for_load_state()

        confirm = page.get_by_test_id("confirm")
        expect(confirm).to_contain_text(MINIMUM_END[lang])  # the dates before confirming
        expect(confirm).to_contain_text({"en": "Nov. 20, 2026", "pl": "20 listopada 2026"}[lang])
        assert not SupportContract.objects.exists()
        shot(page, f"support-account-order-confirm-{lang}-{width}")
        if width == 390:
            fits_the_phone(page)
        confirm.locator("button[type=submit]").click()
        page.wait_for_load_state()

        contract = SupportContract.objects.get(account=account)
        assert (contract.plan.code, contract.minimum_end) == ("EMAIL", date(2027, 2, 19))
        expect(page.get_by_test_id("minimum-end")).to_have_text(MINIMUM_END[lang])
        expect(page.locator(".message-success")).to_contain_text(MINIMUM_END[lang])
        shot(page, f"support-account-contract-{lang}-{width}")
        if width == 390:
            fits_the_phone(page)

        # the change and the cancellation each show their dates first
        page.locator("#change select[name=plan]").select_option("STANDARD")
        page.get_by_test_id("change-plan").click()
        page.wait_for_load_state()
        expect(page.get_by_test_id("confirm")).to_contain_text(
            {"en": "Dec. 1, 2026", "pl": "1 grudnia 2026"}[lang])
        shot(page, f"support-account-change-confirm-{lang}-{width}")
        page.get_by_test_id("confirm").locator("a.btn").click()  # back, nothing changed
        page.wait_for_load_state()
        page.get_by_test_id("cancel-contract").click()
        page.wait_for_load_state()
        expect(page.get_by_test_id("confirm")).to_contain_text(MINIMUM_END[lang])
        shot(page, f"support-account-cancel-confirm-{lang}-{width}")
        contract.refresh_from_db()
        assert contract.next_plan_id is None and contract.ends_on is None

        page.goto("/account/support/")
        page.get_by_test_id("report-link").click()
        page.wait_for_load_state()
        expect(page.get_by_test_id("count-tickets")).to_have_text("0")
        shot(page, f"support-account-report-{lang}-{width}")
        if width == 390:
            fits_the_phone(page)


@pytest.mark.parametrize("lang", LOCALES)
def test_a_manager_gets_403_and_other_accounts_ids_404(live_server, acme, make_account, tiers,
                                                       lang):
    _account, admin, manager, contract = acme
    other_account, other_admin = make_account("Globex", as_of=TODAY)
    other = services.contract_order(account=other_account, plan=tiers["EMAIL"], start=TODAY,
                                    contact=other_admin, actor=None, as_of=TODAY)
    other_ticket = services.ticket_open(contract=other, received_at=NOW, channel="email",
                                        kind="bug", reporter=other_admin, actor=None, now=NOW)
    with browser_page(live_server.url, locale=LOCALES[lang], **PHONE) as page:
        log_in(page, manager.email, PASSWORD)
        assert page.get_by_test_id("nav-support").count() == 0
        response = page.goto("/account/support/")
        assert response.status == 403
        shot(page, f"support-account-manager-403-{lang}")
        page.context.clear_cookies()

        log_in(page, admin.email, PASSWORD)
        own = services.ticket_open(contract=contract, received_at=NOW, channel="portal",
                                   kind="configuration", reporter=admin,
                                   subject="How do I add a cost centre?", actor=None, now=NOW)
        page.goto("/account/support/")
        page.locator("#tickets a", has_text=f"#{own.pk}").click()
        page.wait_for_load_state()
        assert page.url == live_server.url + f"/account/support/tickets/{own.pk}/"
        expect(page.get_by_test_id("deadline")).to_contain_text(MONDAY[lang][0])
        both_widths(page, f"support-account-ticket-{lang}")
        assert page.goto(f"/account/support/contracts/{contract.pk}/report/").status == 200
        assert page.goto(f"/account/support/contracts/{other.pk}/report/").status == 404
        assert page.goto(f"/account/support/tickets/{other_ticket.pk}/").status == 404
        shot(page, f"support-account-other-ticket-404-{lang}")
        response = page.goto(f"/account/support/contracts/{contract.pk}/report/?month=2026-13")
        assert response.status == 400
        expect(page.get_by_test_id("month-error")).to_be_visible()
        shot(page, f"support-account-report-bad-month-{lang}")


@pytest.mark.parametrize("lang", LOCALES)
def test_the_queue_highlights_overdue_tickets_and_marks_those_without_a_deadline(
        live_server, acme, support_user, make_account, tiers, lang):
    _account, admin, _manager, contract = acme
    globex, globex_admin = make_account("Globex", as_of=TODAY)
    community = services.contract_order(account=globex, plan=tiers["COMMUNITY"], start=TODAY,
                                        contact=globex_admin, actor=None, as_of=TODAY)
    late = services.ticket_open(contract=contract, received_at=datetime(
        2026, 11, 18, 9, 0, tzinfo=WAW), channel="email", kind="configuration",
        reporter=admin, subject="Reports are slow", actor=None, now=NOW)
    soon = services.ticket_open(contract=contract, received_at=datetime(
        2026, 11, 20, 12, 40, tzinfo=WAW), channel="portal", kind="bug", critical=True,
        reporter=admin, subject="Login fails for one user", actor=None, now=NOW)
    none = services.ticket_open(contract=community, received_at=datetime(
        2026, 11, 20, 11, 0, tzinfo=WAW), channel="email", kind="bug", reporter=globex_admin,
        subject="Typo on the invoice", actor=None, now=NOW)
    with browser_page(live_server.url, locale=LOCALES[lang]) as page:
        log_in(page, support_user.email, PASSWORD)
        rows = page.locator("[data-testid=queue] > li")
        assert rows.evaluate_all("items => items.map(li => li.dataset.ticket)") == [
            str(late.pk), str(soon.pk), str(none.pk)]
        expect(page.locator(f"[data-ticket='{late.pk}']")).to_have_class(re.compile("is-overdue"))
        expect(page.locator(f"[data-ticket='{none.pk}']")).to_have_class(
            re.compile("is-no-deadline"))
        expect(page.locator(f"[data-ticket='{soon.pk}'] [data-testid=time-left]")).to_contain_text(
            "4")  # 4 h 40 min of working time left
        both_widths(page, f"support-queue-mixed-{lang}")
        page.get_by_test_id("queue-filter").locator("select[name=kind]").select_option("bug")
        page.get_by_test_id("queue-filter").locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert rows.evaluate_all("items => items.map(li => li.dataset.ticket)") == [
            str(soon.pk), str(none.pk)]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_long_unbroken_subject_wraps_on_every_page_that_shows_it(live_server, acme,
                                                                   support_user, width):
    """Issue 14 QA: a 200-character subject without a space made the ticket page 3138 px wide
    and pushed the SLA report's table off-screen."""
    _account, admin, _manager, contract = acme
    ticket = services.ticket_open(
        contract=contract, received_at=datetime(2026, 11, 20, 10, 0, tzinfo=WAW),
        channel="email", kind="bug", reporter=admin, subject="X" * 200, actor=None, now=NOW)
    for user, urls in [
            (support_user, ["/support/queue/", f"/support/tickets/{ticket.pk}/",
                            f"/support/contracts/{contract.pk}/report/"]),
            (admin.user, ["/account/support/", f"/account/support/tickets/{ticket.pk}/",
                          f"/account/support/contracts/{contract.pk}/report/"])]:
        with browser_page(live_server.url, width=width, height=WIDTHS[width]) as page:
            log_in(page, user.email, PASSWORD)
            for url in urls:
                page.goto(url)
                expect(page.get_by_text("X" * 200).first).to_be_visible()
                widths = page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]")
                assert widths[0] <= widths[1], (url, widths)
                shot(page, f"support-long-subject-{url.strip('/').replace('/', '-')}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_user_role_contact_files_a_ticket_on_the_support_plan_page(live_server, make_account,
                                                                     make_member, tiers, width):
    """Issue 14 QA: customers could not file a ticket. The contact person (here a User-role
    member) finds the Support plan page in the menu, files a portal ticket and sees its
    deadline; nothing admin-only is offered."""
    account, _admin = make_account("Beta", as_of=TODAY, admin_email="admin@beta.example")
    anna = make_member(account, "anna@beta.example", MemberRole.USER, as_of=TODAY)
    contract = services.contract_order(account=account, plan=tiers["START"],
                                       start=date(2026, 11, 2), contact=anna, actor=None,
                                       as_of=date(2026, 11, 2))
    with browser_page(live_server.url, width=width, height=WIDTHS[width]) as page:
        log_in(page, anna.email, PASSWORD)
        page.goto("/")
        page.get_by_test_id("nav-support").click()
        page.wait_for_load_state()
        expect(page.get_by_test_id("cancel-contract")).to_have_count(0)
        expect(page.get_by_test_id("change-contact")).to_have_count(0)
        form = page.get_by_test_id("customer-ticket-form")
        form.locator("select[name=kind]").select_option("bug")
        form.locator("input[name=subject]").fill("Invoice export fails")
        page.get_by_test_id("file-customer-ticket").click()
        page.wait_for_load_state()
        ticket = Ticket.objects.get(contract=contract)
        assert (ticket.channel, ticket.reporter_id) == ("portal", anna.pk)
        expect(page.locator(".message-success")).to_contain_text("Nov. 23, 2026, 4 p.m.")
        page.goto("/account/support/")
        expect(page.get_by_test_id("my-tickets")).to_contain_text("Invoice export fails")
        expect(page.get_by_test_id("my-tickets")).to_contain_text("Monday, Nov. 23, 2026, 4 p.m.")
        shot(page, f"support-contact-files-ticket-{width}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
