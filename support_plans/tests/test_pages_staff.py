"""Support staff's pages (issue 14): the queue (nearest deadline first, working time left,
overdue highlighted, no-deadline tickets marked, filters validated: a bad value is a 400 page),
filing a ticket (the reporter must be the contract's contact; a future `received_at` is refused),
the ticket page (first response, time entries with billable and over-bundle minutes, development
refused on a plan without it), the SLA report; the group "support" lands on the queue, others get
403. Time is frozen on Friday 2026-11-20 16:30 in Warsaw."""

import html
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from seats.models import MemberRole
from support_plans import services
from support_plans.defaults import seed_support_plans
from support_plans.models import SupportPlan, Ticket, TimeEntry

pytestmark = pytest.mark.django_db

WAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 11, 20, 16, 30, tzinfo=WAW)  # a Friday, after START's hours
TODAY = NOW.date()
QUEUE = "/support/queue/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def tiers(db):
    seed_support_plans(SupportPlan, Group)
    return {plan.code: plan for plan in SupportPlan.objects.all()}


@pytest.fixture
def support_user(django_user_model, tiers):
    user = django_user_model.objects.create_user(
        "helpdesk@vendor.example", "helpdesk@vendor.example", "pass-Word-123", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return user


@pytest.fixture
def support(client, support_user):
    client.force_login(support_user)
    return client


@pytest.fixture
def acme(make_account, tiers):
    account, admin = make_account("Acme", as_of=date(2026, 11, 2))
    contract = services.contract_order(account=account, plan=tiers["START"],
                                       start=date(2026, 11, 2), contact=admin, actor=None,
                                       as_of=date(2026, 11, 2))
    return account, admin, contract


def text(response):
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


def file_form(contract, reporter, **extra):
    return {"contract": str(contract.pk), "reporter": reporter, "channel": "email",
            "kind": "bug", "subject": "Export fails", **extra}


# --- access and landing -------------------------------------------------------------------------


def test_support_lands_on_the_queue_with_its_menu_entry(support):
    assert support.get("/").url == QUEUE
    page = support.get(QUEUE)
    assert page.status_code == 200
    assert re.search(r'<a data-area="support" href="/support/queue/" aria-current="page">',
                     page.content.decode())


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_others_get_403(client, acme, staff, who):
    client.force_login(staff if who == "staff" else acme[1].user)
    for url in [QUEUE, reverse("support_report", args=[acme[2].pk])]:
        assert client.get(url).status_code == 403
    assert client.post(reverse("support_ticket_open"), file_form(acme[2], "admin@acme.example")
                       ).status_code == 403
    assert not Ticket.objects.exists()


def test_unknown_ids_are_404(support, acme):
    assert support.get(reverse("support_ticket", args=[999999])).status_code == 404
    assert support.get(reverse("support_report", args=[999999])).status_code == 404


# --- filing a ticket ----------------------------------------------------------------------------


def test_a_ticket_filed_on_friday_afternoon_is_due_on_monday(support, acme):
    response = support.post(reverse("support_ticket_open"),
                            file_form(acme[2], "Admin@Acme.example"))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("support_ticket", args=[ticket.pk])
    assert ticket.received_at == NOW
    assert ticket.deadline == datetime(2026, 11, 23, 16, 0, tzinfo=WAW)
    page = text(support.get(response.url))
    assert f"Ticket #{ticket.pk} is filed; the reaction deadline is Monday, Nov. 23, 2026, " \
           "4 p.m." in page
    assert "4 p.m.." not in page  # one full stop (issue 14 QA)
    assert "Until the deadline 8 h of working time left" in page


def test_staff_may_set_the_received_time(support, acme):
    support.post(reverse("support_ticket_open"),
                 file_form(acme[2], "admin@acme.example", received_at="2026-11-20T09:15"))
    ticket = Ticket.objects.get()
    assert ticket.received_at == datetime(2026, 11, 20, 9, 15, tzinfo=WAW)
    assert ticket.deadline == datetime(2026, 11, 23, 9, 15, tzinfo=WAW)


@pytest.mark.parametrize(("extra", "message"), [
    ({"reporter": "boss@acme.example"},
     "Only the contract's contact person (admin@acme.example) may file tickets."),
    ({"reporter": "nobody@acme.example"}, "nobody@acme.example is not a member of Acme."),
    ({"received_at": "2026-11-20T17:00"}, "A ticket cannot be received in the future."),
    ({"received_at": "2026-03-29T02:30"}, "This time does not exist in Warsaw"),
    ({"received_at": "20.11.2026 16:00"}, "Enter the date and time as YYYY-MM-DD HH:MM"),
    ({"kind": "wish"}, "Choose one of: bug, configuration, other."),
    ({"channel": "phone", "contract": "٣"}, "Choose a running support contract."),
    ({"subject": "x" * 201}, "Ensure this value has at most 200 characters"),
])
def test_a_bad_ticket_is_a_400_with_the_reason_and_nothing_written(support, acme,
                                                                   make_member, extra,
                                                                   message):
    make_member(acme[0], "boss@acme.example", MemberRole.ADMIN, as_of=date(2026, 11, 2))
    response = support.post(reverse("support_ticket_open"),
                            {**file_form(acme[2], "admin@acme.example"), **extra})
    assert response.status_code == 400
    assert message in text(response)
    assert not Ticket.objects.exists()


# --- the queue ----------------------------------------------------------------------------------


def _open(contract, reporter, received_at, kind="bug", subject=""):
    return services.ticket_open(contract=contract, received_at=received_at, channel="email",
                                kind=kind, reporter=reporter, subject=subject, actor=None,
                                now=NOW)


def test_the_queue_lists_the_nearest_deadline_first(support, acme, tiers, make_account):
    _account, admin, contract = acme
    globex, globex_admin = make_account("Globex", as_of=date(2026, 11, 2))
    community = services.contract_order(account=globex, plan=tiers["COMMUNITY"],
                                        start=date(2026, 11, 2), contact=globex_admin,
                                        actor=None, as_of=date(2026, 11, 2))
    later = _open(contract, admin, datetime(2026, 11, 20, 12, 40, tzinfo=WAW), subject="later")
    overdue = _open(contract, admin, datetime(2026, 11, 18, 9, 0, tzinfo=WAW), subject="late")
    none = _open(community, globex_admin, datetime(2026, 11, 19, 11, 0, tzinfo=WAW),
                 subject="forum")
    page = support.get(QUEUE)
    body = page.content.decode()
    order = [int(x) for x in re.findall(r'data-ticket="(\d+)"', body)]
    assert order == [overdue.pk, later.pk, none.pk]
    # 12:40 + 8 working hours = Monday 12:40; from Friday 16:30 that is 4 h 40 min away
    assert "4 h 40 min of working time left" in text(page)
    assert re.search(rf'class="queue-item is-overdue" data-ticket="{overdue.pk}"', body)
    assert re.search(rf'class="queue-item is-no-deadline" data-ticket="{none.pk}"', body)
    # due Thursday 9:00; by Friday 16:30: Thursday 9–16 and Friday 8–16 have passed
    assert "overdue by 15 h of working time" in text(page)


def test_the_filters_narrow_the_queue(support, acme):
    _account, admin, contract = acme
    bug = _open(contract, admin, datetime(2026, 11, 20, 12, 0, tzinfo=WAW), kind="bug")
    other = _open(contract, admin, datetime(2026, 11, 20, 12, 5, tzinfo=WAW), kind="other")
    shown = lambda query: [int(x) for x in re.findall(  # noqa: E731
        r'data-ticket="(\d+)"', support.get(QUEUE, query).content.decode())]
    assert shown({"kind": "other"}) == [other.pk]
    assert shown({"plan": "START", "breached": "no"}) == [bug.pk, other.pk]
    assert shown({"plan": "EMAIL"}) == []
    assert shown({"breached": "yes"}) == []


@pytest.mark.parametrize(("query", "message"), [
    ({"plan": "GOLD"}, "Plan: Choose one of: Community, Email, Start, Standard, Premium."),
    ({"kind": "wish"}, "Kind: Choose one of: bug, configuration, other."),
    ({"breached": "maybe"}, "Deadline: Choose one of: breached, not breached."),
    ({"kind": "bug\x00"}, "Kind: Choose one of"),
])
def test_a_bad_filter_is_a_400_page_that_says_so(support, acme, query, message):
    response = support.get(QUEUE, query)
    assert response.status_code == 400
    assert message in text(response)
    assert 'data-testid="queue"' not in response.content.decode()


# --- the ticket page ----------------------------------------------------------------------------


@pytest.fixture
def ticket(acme):
    return _open(acme[2], acme[1], datetime(2026, 11, 20, 9, 0, tzinfo=WAW), subject="Export")


def test_recording_the_first_response(support, ticket):
    url = reverse("support_ticket_respond", args=[ticket.pk])
    assert support.post(url, {"responded_at": "2026-11-20T08:00"}).status_code == 400
    response = support.post(url, {"responded_at": "2026-11-20T10:30"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_response_at == datetime(2026, 11, 20, 10, 30, tzinfo=WAW)
    assert not ticket.breached
    page = text(support.get(response.url))
    assert "The first response is recorded." in page and "Answered in time" in page
    again = support.post(url, {"responded_at": ""})
    assert again.status_code == 409
    assert "This ticket already has its first response." in text(again)


def test_time_entries_show_billable_and_over_bundle_minutes(support, ticket):
    url = reverse("support_time_entry_add", args=[ticket.pk])
    first = support.post(url, {"channel": "remote", "minutes": "170", "date": "2026-11-20"})
    assert first.status_code == 302
    support.post(url, {"channel": "phone", "minutes": "10", "date": "2026-11-20"})
    page = support.get(reverse("support_ticket", args=[ticket.pk]))
    body = text(page)
    assert "10 min of phone added: 15 min billable, 15 min of it over the bundle." in body
    entries = list(TimeEntry.objects.order_by("id").values_list(
        "billable_minutes", "billed_minutes_over_bundle"))
    assert entries == [(180, 0), (15, 15)]
    assert re.findall(r'data-testid="over">([^<]+)<', page.content.decode()) == ["0 min",
                                                                                 "15 min"]


@pytest.mark.parametrize(("data", "message", "status"), [
    ({"channel": "development"}, "The Start plan does not include development work.", 400),
    ({"minutes": "0"}, "Ensure this value is greater than or equal to 1.", 400),
    ({"minutes": "٣"}, "Enter a whole number written with the digits 0-9.", 400),
    ({"date": "2026-10-30"}, "The support contract starts on Nov. 2, 2026.", 400),
    ({"channel": "fax"}, "Choose one of: e-mail, phone, remote help, development work.", 400),
    ({"date": "2026-11-23"}, "Time cannot be entered for a day in the future.", 400),
])
def test_a_bad_time_entry_is_refused_on_the_page(support, ticket, data, message, status):
    response = support.post(reverse("support_time_entry_add", args=[ticket.pk]),
                            {"channel": "remote", "minutes": "30", "date": "2026-11-20", **data})
    assert response.status_code == status
    assert message in text(response)
    assert not TimeEntry.objects.exists()


def test_the_staff_report_counts_the_month(support, ticket, acme):
    services.ticket_respond(ticket=ticket, responded_at=datetime(2026, 11, 20, 10, 0,
                                                                 tzinfo=WAW), actor=None)
    response = support.get(reverse("support_report", args=[acme[2].pk]), {"month": "2026-11"})
    body = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'data-testid="count-met">1<', body)
    assert re.search(r'data-testid="count-breached">0<', body)
    assert reverse("support_ticket", args=[ticket.pk]) in body
    empty = support.get(reverse("support_report", args=[acme[2].pk]), {"month": "2026-10"})
    assert "No tickets in this month." in text(empty)


def test_filing_needs_the_csrf_token(support_user, acme):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(support_user)
    assert 'name="csrfmiddlewaretoken"' in client.get(QUEUE).content.decode()
    response = client.post(reverse("support_ticket_open"), file_form(acme[2],
                                                                     "admin@acme.example"))
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_a_superuser_uses_the_queue_but_still_starts_on_the_staff_page(admin_client, acme):
    assert admin_client.get("/").url == "/staff/"
    assert admin_client.get(QUEUE).status_code == 200
    assert 'href="/support/queue/">Open the ticket queue' in admin_client.get(
        "/staff/").content.decode()


def test_the_reporter_field_suggests_the_contacts(support, acme):
    body = support.get(QUEUE).content.decode()
    assert 'list="contact-emails"' in body
    assert re.search(r'<datalist id="contact-emails"><option value="admin@acme.example">Acme<',
                     body)


@pytest.mark.parametrize(("code", "offered"), [
    ("START", ["email", "phone", "remote"]),
    ("EMAIL", ["email", "remote"]),
    ("STANDARD", ["email", "phone", "remote", "development"]),
])
def test_the_time_form_offers_only_the_channels_of_the_plan(support, ticket, tiers, code,
                                                           offered):
    contract = ticket.contract
    contract.plan = tiers[code]
    contract.save(update_fields=["plan"])
    contract.plan_history.update(plan=tiers[code])
    body = support.get(reverse("support_ticket", args=[ticket.pk])).content.decode()
    form = body[body.index('data-testid="time-form"'):]
    select = form[form.index('name="channel"'):form.index("</select>")]
    assert re.findall(r'<option value="([a-z]+)"', select) == offered
