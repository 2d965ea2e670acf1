"""The account admin's "Support plan" pages (issue 14): order, change and cancel each through a
confirmation page that states the effective dates before anything changes; the time used this
month; roles enforced on the server (managers and users get 403); another account's contract and
ticket ids are 404; a month that is no month is a 400 page. Time is frozen on Friday
2026-11-20 16:30 in Warsaw."""

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
from support_plans.models import ContractStatus, SupportContract, SupportPlan

pytestmark = pytest.mark.django_db

WAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 11, 20, 16, 30, tzinfo=WAW)  # a Friday
TODAY = NOW.date()
PAGE = "/account/support/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def tiers(db):
    seed_support_plans(SupportPlan, Group)
    return {plan.code: plan for plan in SupportPlan.objects.all()}


@pytest.fixture
def acme(make_account, tiers):
    return make_account("Acme", as_of=TODAY)


@pytest.fixture
def admin_client(client, acme):
    client.force_login(acme[1].user)
    return client


def text(response):
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


def order(account, contact, code, tiers, start=TODAY):
    return services.contract_order(account=account, plan=tiers[code], start=start,
                                   contact=contact, actor=None, as_of=min(start, TODAY))


# --- ordering -----------------------------------------------------------------------------------


def test_the_page_offers_the_orderable_plans_and_active_members(admin_client, acme, make_member):
    make_member(acme[0], "anna@acme.example", MemberRole.USER, as_of=TODAY)
    page = admin_client.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    codes = re.findall(r'name="plan" value="([A-Z]+)"', body)
    assert codes == ["COMMUNITY", "EMAIL", "START", "STANDARD"]  # PREMIUM is individual
    assert "anna@acme.example" in body and "admin@acme.example" in body
    assert 'aria-current="page">Support plan<' in body  # the nav entry is the current one


def test_ordering_confirms_the_start_and_minimum_term_first(admin_client, acme):
    account, admin = acme
    data = {"plan": "EMAIL", "start": "2026-11-20", "contact": str(admin.pk)}
    confirm = admin_client.post(reverse("account_support_order"), data)

    assert confirm.status_code == 200
    assert not SupportContract.objects.exists()  # nothing changed yet
    page = text(confirm)
    assert "Nothing has been changed yet" in page
    assert "The Email plan starts on Nov. 20, 2026, for 129.00 PLN net a month." in page
    assert "Its minimum term runs until Feb. 19, 2027" in page
    assert 'name="confirm" value="1"' in confirm.content.decode()

    done = admin_client.post(reverse("account_support_order"), {**data, "confirm": "1"})
    assert done.status_code == 302 and done.url == PAGE + "#contract"
    contract = SupportContract.objects.get(account=account)
    assert (contract.plan.code, contract.minimum_end) == ("EMAIL", date(2027, 2, 19))
    page = text(admin_client.get(PAGE))
    assert "The Email plan is ordered from Nov. 20, 2026. Its minimum term ends on Feb. 19, " \
           "2027." in page
    assert "Minimum term ends on Feb. 19, 2027" in page
    assert "Reaction time 12 h of working time" in page


@pytest.mark.parametrize(("data", "message"), [
    ({"plan": "PREMIUM"}, "Choose one of the support plans offered."),
    ({"plan": "NOPE"}, "Choose one of the support plans offered."),
    ({"plan": "EMAIL\x00"}, "Choose one of the support plans offered."),
    ({"contact": "٣"}, "Choose an active member of your organisation."),
    ({"contact": "99999999999999999999"}, "Choose an active member of your organisation."),
    ({"start": "2026-11-19"}, "The contract cannot start in the past."),
    ({"start": "２０２６-１２-０１"}, "Enter the date as YYYY-MM-DD"),
])
def test_a_bad_order_is_a_400_with_the_reason_and_nothing_written(admin_client, acme, data,
                                                                  message):
    form = {"plan": "EMAIL", "start": "2026-11-20", "contact": str(acme[1].pk), **data,
            "confirm": "1"}
    response = admin_client.post(reverse("account_support_order"), form)
    assert response.status_code == 400
    assert message in text(response)
    assert not SupportContract.objects.exists()


def test_another_accounts_member_cannot_be_the_contact(admin_client, make_account):
    _other, stranger = make_account("Globex", as_of=TODAY)
    response = admin_client.post(reverse("account_support_order"), {
        "plan": "START", "start": "2026-12-01", "contact": str(stranger.pk), "confirm": "1"})
    assert response.status_code == 400
    assert "Choose an active member of your organisation." in text(response)
    assert not SupportContract.objects.exists()


def test_a_get_on_an_action_address_does_nothing(admin_client):
    response = admin_client.get(reverse("account_support_order"))
    assert response.status_code == 302 and response.url == PAGE + "#order"


# --- the contract, change and cancel ------------------------------------------------------------


def test_the_page_shows_the_terms_and_the_time_used_this_month(admin_client, acme, tiers):
    account, admin = acme
    contract = order(account, admin, "START", tiers, start=date(2026, 11, 2))
    services.time_entry_add(contract=contract, ticket=None, channel="remote", minutes=170,
                            date=date(2026, 11, 18), actor=None)  # 175 → 180 billable
    services.time_entry_add(contract=contract, ticket=None, channel="phone", minutes=10,
                            date=date(2026, 11, 19), actor=None)  # 15 billable, over
    services.time_entry_add(contract=contract, ticket=None, channel="email", minutes=30,
                            date=date(2026, 11, 19), actor=None)
    page = text(admin_client.get(PAGE))
    assert "The Start plan" in page
    assert "Minimum term ends on Feb. 1, 2027" in page
    assert "Included hours used 3 h of 3 h" in page
    assert "Over the bundle 15 min billed at 165.00 PLN net an hour" in page
    assert "Monthly limit used 3 h 30 min of 8 h" in page
    assert "Working hours Mon–Fri except public holidays, 8 a.m.–4 p.m." in page


@pytest.mark.parametrize(("code", "shown"), [("START", True), ("COMMUNITY", False)])
def test_the_monthly_limit_note_only_where_the_plan_has_a_limit(admin_client, acme, tiers, code,
                                                               shown):
    order(*acme, code, tiers)
    page = text(admin_client.get(PAGE))
    assert ("counts toward the monthly limit" in page) is shown
    assert ("Monthly limit used not applicable" in page) is not shown


def test_changing_the_plan_confirms_the_first_of_next_month(admin_client, acme, tiers):
    account, admin = acme
    contract = order(account, admin, "START", tiers, start=date(2026, 11, 2))
    confirm = admin_client.post(reverse("account_support_change"), {"plan": "STANDARD"})
    assert confirm.status_code == 200
    page = text(confirm)
    assert "The contract has the Standard plan from Dec. 1, 2026, for 799.00 PLN net a month." \
        in page
    assert "Until then it stays on Start." in page
    assert "The minimum term then ends on May 31, 2027." in page
    contract.refresh_from_db()
    assert contract.next_plan_id is None

    done = admin_client.post(reverse("account_support_change"),
                             {"plan": "STANDARD", "confirm": "1"})
    assert done.status_code == 302
    contract.refresh_from_db()
    assert (contract.next_plan.code, contract.next_plan_from) == ("STANDARD", date(2026, 12, 1))
    assert "The Standard plan applies from Dec. 1, 2026." in text(admin_client.get(PAGE))


def test_the_current_plan_is_not_offered_as_a_change(admin_client, acme, tiers):
    order(*acme, "START", tiers)
    response = admin_client.post(reverse("account_support_change"),
                                 {"plan": "START", "confirm": "1"})
    assert response.status_code == 400
    assert "Choose one of the support plans offered." in text(response)


def test_cancelling_confirms_the_end_of_the_minimum_terms_month(admin_client, acme, tiers):
    account, admin = acme
    contract = order(account, admin, "START", tiers, start=date(2026, 11, 2))
    confirm = admin_client.post(reverse("account_support_cancel"))
    page = text(confirm)
    assert confirm.status_code == 200
    assert "The contract runs until Feb. 28, 2027, and ends then." in page
    assert "Its minimum term runs until Feb. 1, 2027, so it ends with that month" in page
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE

    done = admin_client.post(reverse("account_support_cancel"), {"confirm": "1"})
    assert done.status_code == 302
    contract.refresh_from_db()
    assert (contract.status, contract.ends_on) == (ContractStatus.CANCELLED, date(2027, 2, 28))
    page = text(admin_client.get(PAGE))
    assert "The support contract is cancelled; it runs until Feb. 28, 2027." in page
    assert "Change the plan" not in page  # a cancelled contract cannot change


def test_cancelling_twice_is_refused_with_a_message(admin_client, acme, tiers):
    contract = order(*acme, "EMAIL", tiers)
    services.contract_cancel(contract=contract, actor=None, as_of=TODAY)
    response = admin_client.post(reverse("account_support_cancel"), {"confirm": "1"})
    assert response.status_code == 302
    assert "There is no running support contract to cancel." in text(
        admin_client.get(response.url))


# --- roles and tenants --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [MemberRole.MANAGER, MemberRole.USER])
def test_managers_and_users_get_403_everywhere(client, acme, tiers, make_member, role):
    contract = order(*acme, "START", tiers)
    member = make_member(acme[0], f"{role}@acme.example", role, as_of=TODAY)
    client.force_login(member.user)
    home = client.get("/", follow=True).content.decode()
    assert reverse("account_support") not in home
    for method, url in [("get", PAGE), ("post", reverse("account_support_order")),
                        ("post", reverse("account_support_change")),
                        ("post", reverse("account_support_cancel")),
                        ("get", reverse("account_support_report", args=[contract.pk]))]:
        assert getattr(client, method)(url).status_code == 403, url


def test_another_accounts_contract_and_ticket_are_404(admin_client, acme, tiers, make_account):
    own = order(*acme, "START", tiers)
    other_account, other_admin = make_account("Globex", as_of=TODAY)
    other = order(other_account, other_admin, "START", tiers)
    ticket = services.ticket_open(contract=other, received_at=NOW, channel="email", kind="bug",
                                  reporter=other_admin, actor=None, now=NOW)
    assert admin_client.get(reverse("account_support_report", args=[own.pk])).status_code == 200
    assert admin_client.get(reverse("account_support_report", args=[other.pk])
                            ).status_code == 404
    assert admin_client.get(reverse("account_support_ticket", args=[ticket.pk])
                            ).status_code == 404


def test_the_account_sees_its_own_ticket_and_report(admin_client, acme, tiers):
    contract = order(*acme, "START", tiers, start=date(2026, 11, 2))
    ticket = services.ticket_open(contract=contract, received_at=NOW, channel="email",
                                  kind="bug", subject="Export fails", reporter=acme[1],
                                  actor=None, now=NOW)
    page = text(admin_client.get(reverse("account_support_ticket", args=[ticket.pk])))
    assert "Export fails" in page
    assert "Reaction deadline Monday, Nov. 23, 2026, 4 p.m." in page
    response = admin_client.get(reverse("account_support_report", args=[contract.pk])
                                + "?month=2026-11")
    assert re.search(r'data-testid="count-tickets">1<', response.content.decode())
    assert re.search(r'data-testid="count-no-deadline">0<', response.content.decode())
    assert "Export fails" in text(response)


@pytest.mark.parametrize("month", ["2026-13", "november", "2026-1", "1999-12", "２０２６-１１",
                                   "2026-11\n"])
def test_a_month_that_is_no_month_is_a_400_page(admin_client, acme, tiers, month):
    contract = order(*acme, "START", tiers)
    response = admin_client.get(reverse("account_support_report", args=[contract.pk]),
                                {"month": month})
    assert response.status_code == 400
    page = text(response)
    assert "Enter the month as YYYY-MM" in page or "Choose a month from 2000 to 2099." in page


def test_the_forms_need_the_csrf_token(acme, tiers):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(acme[1].user)
    page = client.get(PAGE).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 2  # the order form and the language form
    response = client.post(reverse("account_support_order"), {
        "plan": "EMAIL", "start": "2026-11-20", "contact": str(acme[1].pk), "confirm": "1"})
    assert response.status_code == 403
    assert not SupportContract.objects.exists()


def test_the_admin_names_another_contact_person(admin_client, acme, tiers, make_member,
                                               make_account):
    contract = order(*acme, "START", tiers)
    anna = make_member(acme[0], "anna@acme.example", MemberRole.USER, as_of=TODAY)
    _globex, stranger = make_account("Globex", as_of=TODAY)
    refused = admin_client.post(reverse("account_support_contact"),
                                {"contact": str(stranger.pk)})
    assert refused.status_code == 400
    assert "Choose an active member of your organisation." in text(refused)
    done = admin_client.post(reverse("account_support_contact"), {"contact": str(anna.pk)})
    assert done.status_code == 302
    contract.refresh_from_db()
    assert contract.contact == anna
    assert "anna@acme.example is now the contact person" in text(admin_client.get(PAGE))


def test_an_ended_contract_is_listed_with_its_report_and_a_new_plan_can_be_ordered(
        admin_client, acme, tiers):
    old = services.contract_order(account=acme[0], plan=tiers["COMMUNITY"],
                                  start=date(2026, 12, 1), contact=acme[1], actor=None,
                                  as_of=TODAY)
    services.contract_cancel(contract=old, actor=None, as_of=TODAY)  # never started: ended
    page = admin_client.get(PAGE)
    body = page.content.decode()
    assert 'data-testid="order"' in body
    assert "Community from Dec. 1, 2026, cancelled before it started" in text(page)
    assert reverse("account_support_report", args=[old.pk]) in body


# --- after cancelling (issue 14 QA, item 5) -------------------------------------------------------


def test_a_cancelled_contract_says_when_it_ends_and_the_cancellation_can_be_withdrawn(
        admin_client, acme, tiers):
    contract = order(*acme, "START", tiers, start=date(2026, 11, 2))
    services.contract_cancel(contract=contract, actor=None, as_of=TODAY)
    page = admin_client.get(PAGE)
    body = page.content.decode()
    assert re.search(r'data-testid="contract-status">Ends on Feb. 28, 2027<', body)
    assert ">Cancelled<" not in body

    confirm = admin_client.post(reverse("account_support_withdraw"))
    assert confirm.status_code == 200
    assert "The contract continues after Feb. 28, 2027 as if it had not been cancelled" in \
        text(confirm)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.CANCELLED  # nothing changed yet
    done = admin_client.post(reverse("account_support_withdraw"), {"confirm": "1"}, follow=True)
    assert "The cancellation is withdrawn: the contract continues." in text(done)
    contract.refresh_from_db()
    assert (contract.status, contract.ends_on) == (ContractStatus.ACTIVE, None)
    again = admin_client.post(reverse("account_support_withdraw"), {"confirm": "1"}, follow=True)
    assert "There is no cancellation to withdraw." in text(again)


def test_a_contract_starting_later_shows_its_start_not_active(admin_client, acme, tiers):
    order(*acme, "START", tiers, start=date(2026, 12, 1))
    body = admin_client.get(PAGE).content.decode()
    assert re.search(r'data-testid="contract-status">Starts on Dec. 1, 2026<', body)


def test_the_cancel_confirmation_states_the_fee_of_a_scheduled_change(admin_client, acme,
                                                                      tiers):
    contract = order(*acme, "START", tiers, start=date(2026, 11, 2))
    plain = text(admin_client.post(reverse("account_support_cancel")))
    assert "the fee stays 399.00 PLN net a month." in plain
    services.contract_change_plan(contract=contract, plan=tiers["STANDARD"], actor=None,
                                  as_of=TODAY)
    page = text(admin_client.post(reverse("account_support_cancel")))
    assert ("the fee is 399.00 PLN net a month, and 799.00 PLN net a month on the Standard "
            "plan from Dec. 1, 2026.") in page
    assert "as now" not in page
    assert "Go back" in page and ">Cancel<" not in admin_client.post(
        reverse("account_support_cancel")).content.decode()


def test_managers_and_users_cannot_withdraw_a_cancellation(client, acme, tiers, make_member):
    contract = order(*acme, "START", tiers, start=date(2026, 11, 2))
    services.contract_cancel(contract=contract, actor=None, as_of=TODAY)
    member = make_member(acme[0], "manager@acme.example", MemberRole.MANAGER, as_of=TODAY)
    client.force_login(member.user)
    assert client.post(reverse("account_support_withdraw"), {"confirm": "1"}).status_code == 403
    contract.refresh_from_db()
    assert contract.status == ContractStatus.CANCELLED


# --- the contact person files tickets (issue 14 QA, item 6) -------------------------------------


@pytest.fixture
def user_contact(acme, tiers, make_member):
    """A User-role member who is the contact person of Acme's START contract."""
    user = make_member(acme[0], "anna@acme.example", MemberRole.USER, as_of=TODAY)
    contract = order(acme[0], user, "START", tiers, start=date(2026, 11, 2))
    return user, contract


def test_a_user_role_contact_sees_a_read_only_page_with_the_ticket_form(client, user_contact):
    user, _contract = user_contact
    client.force_login(user.user)
    home = client.get("/", follow=True).content.decode()
    assert 'data-testid="nav-support"' in home
    page = client.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="customer-ticket-form"' in body
    for admin_only in ("change-plan", "cancel-contract", "contact-form", "report-link"):
        assert f'data-testid="{admin_only}"' not in body
    assert 'name="critical"' not in body  # START has no critical issues on days off
    for method, url in [("post", reverse("account_support_order")),
                        ("post", reverse("account_support_change")),
                        ("post", reverse("account_support_cancel")),
                        ("post", reverse("account_support_contact")),
                        ("get", reverse("account_support_report", args=[_contract.pk]))]:
        assert getattr(client, method)(url).status_code == 403, url


def test_the_contact_files_a_portal_ticket_and_sees_its_deadline(client, user_contact, acme):
    user, contract = user_contact
    client.force_login(user.user)
    done = client.post(reverse("account_support_file_ticket"),
                       {"kind": "bug", "subject": "Export fails", "critical": "on"},
                       follow=True)
    ticket = contract.tickets.get()
    assert (ticket.channel, ticket.kind, ticket.reporter_id, ticket.critical) == (
        "portal", "bug", user.pk, False)
    assert done.redirect_chain[-1][0] == reverse("account_support_ticket", args=[ticket.pk])
    page = text(done)
    # Friday 16:30, after START's hours: due Monday 16:00; one full stop after "p.m."
    assert "the reaction deadline is Monday, Nov. 23, 2026, 4 p.m." in page
    assert "4 p.m.." not in page
    mine = text(client.get(PAGE))
    assert "Your tickets" in mine and f"#{ticket.pk} Export fails" in mine
    assert "Monday, Nov. 23, 2026, 4 p.m." in mine
    # the admin (not the contact) sees the ticket but cannot file one
    admin = client.__class__()
    admin.force_login(acme[1].user)
    assert 'data-testid="customer-ticket-form"' not in admin.get(PAGE).content.decode()
    refused = admin.post(reverse("account_support_file_ticket"),
                         {"kind": "bug", "subject": "x"}, follow=True)
    assert "Only the contract's contact person may file tickets." in text(refused)
    assert contract.tickets.count() == 1


def test_a_bad_ticket_is_a_400_with_the_reason(client, user_contact):
    user, contract = user_contact
    client.force_login(user.user)
    response = client.post(reverse("account_support_file_ticket"),
                           {"kind": "wish", "subject": ""})
    assert response.status_code == 400
    page = text(response)
    assert "Choose one of:" in page
    assert "This field is required." in page
    assert not contract.tickets.exists()


def test_critical_is_offered_where_the_plan_covers_critical_issues(client, acme, tiers,
                                                                   make_member):
    user = make_member(acme[0], "anna@acme.example", MemberRole.MANAGER, as_of=TODAY)
    contract = order(acme[0], user, "STANDARD", tiers, start=date(2026, 11, 2))
    client.force_login(user.user)
    assert 'name="critical"' in client.get(PAGE).content.decode()
    client.post(reverse("account_support_file_ticket"),
                {"kind": "bug", "subject": "Down", "critical": "on"})
    assert contract.tickets.get().critical is True


def test_the_contact_sees_only_their_own_tickets(client, user_contact, acme):
    user, contract = user_contact
    other = services.ticket_open(contract=contract, received_at=NOW, channel="email",
                                 kind="bug", reporter=user, actor=None, now=NOW)
    services.contract_contact_change(contract=contract, contact=acme[1], actor=None)
    mine = services.ticket_open(contract=contract, received_at=NOW, channel="email",
                                kind="bug", reporter=acme[1], actor=None, now=NOW)
    services.contract_contact_change(contract=contract, contact=user, actor=None)
    client.force_login(user.user)
    assert client.get(reverse("account_support_ticket", args=[other.pk])).status_code == 200
    assert client.get(reverse("account_support_ticket", args=[mine.pk])).status_code == 404
    # no longer the contact: no page at all
    services.contract_contact_change(contract=contract, contact=acme[1], actor=None)
    assert client.get(PAGE).status_code == 403
