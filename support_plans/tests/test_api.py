"""The support API (issue 14): tickets, the queue, time entries, contracts — callers, tenant
scoping (404 for another account's contract), the errors of the issue as 400s with nothing
written, datetimes in Europe/Warsaw."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group

from seats.models import MemberRole, Seat
from support_plans import services
from support_plans.models import SupportContract, Ticket, TimeEntry
from tests.helpers import token_client

WAW = ZoneInfo("Europe/Warsaw")
FRIDAY_1630 = datetime(2026, 12, 4, 16, 30, tzinfo=WAW)
NOV = date(2026, 11, 1)


@pytest.fixture(autouse=True)
def friday():
    with time_machine.travel(FRIDAY_1630, tick=False):
        yield


@pytest.fixture
def paid(seat_validity):
    """Seats of an account paid through the end of the year (the access decision lets its
    members in on the Friday of these tests)."""

    def _paid(account):
        seat_validity.pay_through(list(Seat.objects.filter(account=account)), date(2026, 12, 31))

    return _paid


@pytest.fixture
def support_user(django_user_model, tiers):
    user = django_user_model.objects.create_user(
        username="support@vendor.example", email="support@vendor.example",
        password="pass-Word-123", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return user


@pytest.fixture
def start_contract(order, acme, paid):
    paid(acme[0])
    return order("START", NOV)


@pytest.fixture
def support(support_user):
    return token_client(support_user)


def test_support_staff_file_a_ticket_friday_1630_due_monday_in_warsaw_time(support,
                                                                           start_contract):
    response = support.post("/api/v1/support/tickets/", {
        "contract": start_contract.pk, "channel": "email", "kind": "configuration",
        "reporter": start_contract.contact_id, "subject": "Printer"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["deadline"] == "2026-12-07T16:00:00+01:00"
    assert body["received_at"] == "2026-12-04T16:30:00+01:00"
    assert Ticket.objects.get(pk=body["id"]).reporter_id == start_contract.contact_id


def test_staff_may_set_received_at(support, start_contract):
    response = support.post("/api/v1/support/tickets/", {
        "contract": start_contract.pk, "channel": "phone", "kind": "bug",
        "received_at": "2026-12-04T10:00:00+01:00"}, format="json")
    assert response.status_code == 201
    assert response.json()["deadline"] == "2026-12-07T10:00:00+01:00"


def test_received_at_in_the_future_is_400(support, start_contract):
    response = support.post("/api/v1/support/tickets/", {
        "contract": start_contract.pk, "channel": "email", "kind": "bug",
        "received_at": "2026-12-04T16:31:00+01:00"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "received_in_future" and body["received_at"]
    assert not Ticket.objects.exists()


def test_the_contact_files_for_their_own_contract_without_received_at(start_contract, acme):
    client = token_client(acme[1].user)
    response = client.post("/api/v1/support/tickets/", {
        "contract": start_contract.pk, "channel": "portal", "kind": "bug"}, format="json")
    assert response.status_code == 201, response.json()
    response = client.post("/api/v1/support/tickets/", {
        "contract": start_contract.pk, "channel": "portal", "kind": "bug",
        "received_at": "2026-12-04T10:00:00+01:00"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "staff_only"


def test_a_member_who_is_not_the_contact_is_refused_with_400(start_contract, acme,
                                                            make_member):
    colleague = make_member(acme[0], "colleague@acme.example", MemberRole.ADMIN)
    response = token_client(colleague.user).post("/api/v1/support/tickets/", {
        "contract": start_contract.pk, "channel": "email", "kind": "bug"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "reporter_not_contact"
    assert "Only the contract's contact person" in body["reporter"][0]
    assert not Ticket.objects.exists()


def test_another_accounts_contract_is_404(start_contract, make_account, paid):
    other_account, other_admin = make_account("Other")
    paid(other_account)
    response = token_client(other_admin.user).post("/api/v1/support/tickets/", {
        "contract": start_contract.pk, "channel": "email", "kind": "bug"}, format="json")
    assert response.status_code == 404
    missing = token_client(other_admin.user).post("/api/v1/support/tickets/", {
        "contract": 999999, "channel": "email", "kind": "bug"}, format="json")
    assert missing.status_code == 404 and missing.json() == response.json()


def test_bad_channel_is_400_naming_the_values(support, start_contract):
    response = support.post("/api/v1/support/tickets/", {
        "contract": start_contract.pk, "channel": "fax", "kind": "bug"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["channel"][0]


def test_queue_is_for_support_staff_nearest_deadline_first(support, start_contract, acme,
                                                          staff):
    services.ticket_open(contract=start_contract, received_at=datetime(2026, 12, 4, 9, 0,
                                                                      tzinfo=WAW),
                         channel="email", kind="bug", reporter=acme[1], actor=None,
                         now=FRIDAY_1630)
    services.ticket_open(contract=start_contract, received_at=datetime(2026, 12, 3, 9, 0,
                                                                      tzinfo=WAW),
                         channel="email", kind="bug", reporter=acme[1], actor=None,
                         now=FRIDAY_1630)
    response = support.get("/api/v1/support/queue/")
    assert response.status_code == 200
    rows = response.json()
    assert [row["deadline"] for row in rows] == ["2026-12-04T09:00:00+01:00",
                                                 "2026-12-07T09:00:00+01:00"]
    assert rows[0]["overdue"] and rows[0]["minutes_left"] < 0
    assert rows[1]["minutes_left"] == 60
    assert support.get("/api/v1/support/queue/?plan=NOPE").status_code == 400
    assert support.get("/api/v1/support/queue/?kind=other").json() == []
    assert token_client(acme[1].user).get("/api/v1/support/queue/").status_code == 403
    assert token_client(staff).get("/api/v1/support/queue/").status_code == 403


def test_time_entry_answers_billable_and_over_bundle(support, start_contract):
    response = support.post("/api/v1/support/time-entries/", {
        "contract": start_contract.pk, "ticket": None, "channel": "remote", "minutes": 200,
        "date": "2026-12-04"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["billable_minutes"], body["billed_minutes_over_bundle"]) == (210, 30)
    assert set(body) >= {"id", "billable_minutes", "billed_minutes_over_bundle"}


def test_development_entry_on_start_is_400_and_nothing_written(support, start_contract):
    response = support.post("/api/v1/support/time-entries/", {
        "contract": start_contract.pk, "channel": "development", "minutes": 30,
        "date": "2026-12-04"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "development_not_in_plan"
    assert not TimeEntry.objects.exists()


def test_time_entry_for_a_cancelled_contract_is_400(support, order, acme, paid):
    paid(acme[0])
    contract = order("COMMUNITY", NOV)
    services.contract_cancel(contract=contract, actor=None, as_of=date(2026, 11, 20))
    response = support.post("/api/v1/support/time-entries/", {
        "contract": contract.pk, "channel": "remote", "minutes": 30, "date": "2026-12-04"},
        format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "contract_not_running"
    assert "cancelled" in response.json()["detail"]


@pytest.mark.parametrize("minutes", [0, 1441, "٣", 2.5])
def test_time_entry_minutes_out_of_range_is_400(support, start_contract, minutes):
    response = support.post("/api/v1/support/time-entries/", {
        "contract": start_contract.pk, "channel": "remote", "minutes": minutes},
        format="json")
    assert response.status_code == 400 and "minutes" in response.json()


def test_time_entries_are_for_support_staff_only(start_contract, acme):
    response = token_client(acme[1].user).post("/api/v1/support/time-entries/", {
        "contract": start_contract.pk, "channel": "remote", "minutes": 30}, format="json")
    assert response.status_code == 403


def test_an_admin_orders_the_email_plan_and_sees_its_minimum_term(acme, tiers, paid):
    paid(acme[0])
    account, admin = acme
    response = token_client(admin.user).post("/api/v1/support/contracts/", {
        "account": account.pk, "plan": "EMAIL", "start": "2026-12-07", "contact": admin.pk},
        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["plan"], body["start"], body["minimum_end"], body["status"]) == (
        "EMAIL", "2026-12-07", "2027-03-06", "active")
    again = token_client(admin.user).post("/api/v1/support/contracts/", {
        "account": account.pk, "plan": "START", "start": "2026-12-07", "contact": admin.pk},
        format="json")
    assert again.status_code == 409 and again.json()["code"] == "contract_exists"


def test_contract_order_errors(acme, tiers, paid, make_account, make_member):
    paid(acme[0])
    account, admin = acme
    client = token_client(admin.user)
    other_account, other_admin = make_account("Other")
    cases = [
        ({"plan": "GOLD"}, 400, "plan_unknown"),
        ({"plan": "PREMIUM"}, 400, "plan_not_orderable"),
        ({"contact": other_admin.pk}, 400, "contact_not_member"),
        ({"start": "2026-12-01"}, 400, "start_past"),
        ({"start": "2026-13-01"}, 400, "invalid"),
        ({"account": other_account.pk}, 404, None),
    ]
    for change, code, error in cases:
        body = {"account": account.pk, "plan": "START", "start": "2026-12-07",
                "contact": admin.pk, **change}
        response = client.post("/api/v1/support/contracts/", body, format="json")
        assert response.status_code == code, (change, response.json())
        if error:
            assert response.json()["code"] == error, change
    assert not SupportContract.objects.exists()
    user = make_member(account, "user@acme.example")
    response = token_client(user.user).post("/api/v1/support/contracts/", {
        "account": account.pk, "plan": "START", "start": "2026-12-07", "contact": admin.pk},
        format="json")
    assert response.status_code == 403


def test_staff_may_order_an_individual_plan_with_agreed_terms(acme, tiers, staff,
                                                             premium_acme):
    account, admin = acme
    body = {"account": account.pk, "plan": "PREMIUM", "start": "2026-12-07", "contact": admin.pk}
    seeded = token_client(staff).post("/api/v1/support/contracts/", body, format="json")
    assert seeded.status_code == 400 and seeded.json()["code"] == "plan_terms_not_set"
    response = token_client(staff).post("/api/v1/support/contracts/",
                                        {**body, "plan": "PREMIUM-ACME"}, format="json")
    assert response.status_code == 201


def test_unauthenticated_is_401(db):
    from rest_framework.test import APIClient
    assert APIClient().get("/api/v1/support/queue/").status_code == 401


def test_time_entry_in_the_future_is_400(support, start_contract):
    response = support.post("/api/v1/support/time-entries/", {
        "contract": start_contract.pk, "channel": "remote", "minutes": 30,
        "date": "2026-12-05"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "date_in_future"


def test_contract_start_far_away_is_400_not_500(acme, tiers, staff):
    account, admin = acme
    response = token_client(staff).post("/api/v1/support/contracts/", {
        "account": account.pk, "plan": "START", "start": "9999-12-01", "contact": admin.pk},
        format="json")
    assert response.status_code == 400 and response.json()["code"] == "start_range"


def test_support_staff_record_the_first_response(support, start_contract, acme):
    ticket = services.ticket_open(contract=start_contract,
                                  received_at=datetime(2026, 12, 3, 9, 0, tzinfo=WAW),
                                  channel="email", kind="bug", reporter=acme[1], actor=None,
                                  now=FRIDAY_1630)
    url = f"/api/v1/support/tickets/{ticket.pk}/respond/"
    assert token_client(acme[1].user).post(url, {}, format="json").status_code == 403
    late = support.post(url, {"responded_at": "2026-12-04T09:01:00+01:00"}, format="json")
    assert late.status_code == 200
    assert late.json()["breached"] is True
    assert late.json()["first_response_at"] == "2026-12-04T09:01:00+01:00"
    assert support.post(url, {}, format="json").status_code == 409
    assert support.post("/api/v1/support/tickets/999999/respond/", {},
                        format="json").status_code == 404


def test_other_vendor_staff_do_not_file_tickets(staff, start_contract):
    response = token_client(staff).post("/api/v1/support/tickets/", {
        "contract": start_contract.pk, "channel": "email", "kind": "bug"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "support_only"


# --- strict input (issue 14 QA, item 1) ----------------------------------------------------------


@pytest.mark.parametrize(("path", "body"), [
    ("tickets/", {"channel": "email", "kind": "bug", "recieved_at": "2026-12-04T09:00"}),
    ("time-entries/", {"channel": "remote", "minutes": 30, "minuts": 15}),
])
def test_a_typo_is_a_400_naming_the_key_and_nothing_is_written(support, start_contract, path,
                                                               body):
    [typo] = [key for key in body if key in {"recieved_at", "minuts"}]
    response = support.post(f"/api/v1/support/{path}", {"contract": start_contract.pk, **body},
                            format="json")
    assert response.status_code == 400
    assert response.json()[typo][0].startswith(f"“{typo}” is not a field of this request")
    assert not Ticket.objects.exists() and not TimeEntry.objects.exists()


def test_the_respond_and_order_operations_refuse_unknown_keys(support, start_contract, acme,
                                                              staff):
    ticket = services.ticket_open(contract=start_contract,
                                  received_at=datetime(2026, 12, 3, 9, 0, tzinfo=WAW),
                                  channel="email", kind="bug", reporter=acme[1], actor=None,
                                  now=FRIDAY_1630)
    respond = support.post(f"/api/v1/support/tickets/{ticket.pk}/respond/",
                           {"responded": "2026-12-04T09:01:00+01:00"}, format="json")
    order = token_client(staff).post("/api/v1/support/contracts/", {
        "account": acme[0].pk, "plan": "START", "start": "2026-12-07", "contact": acme[1].pk,
        "strat": "2027-01-01"}, format="json")
    assert respond.status_code == 400 and "responded" in respond.json()
    assert order.status_code == 400 and "strat" in order.json()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


@pytest.mark.parametrize(("field", "value"), [("minutes", "15"), ("contract", "1")])
def test_a_number_sent_as_text_is_refused(support, start_contract, field, value):
    body = {"contract": start_contract.pk, "channel": "remote", "minutes": 30, field: value}
    response = support.post("/api/v1/support/time-entries/", body, format="json")
    assert response.status_code == 400
    assert response.json()[field] == ["Send a JSON number, not text (15, not “15”)."]
    assert not TimeEntry.objects.exists()


def test_the_unknown_plan_error_lists_what_the_caller_may_order(acme, tiers, paid, staff):
    paid(acme[0])
    account, admin = acme
    body = {"account": account.pk, "plan": "GOLD", "start": "2026-12-07", "contact": admin.pk}
    customer = token_client(admin.user).post("/api/v1/support/contracts/", body, format="json")
    vendor = token_client(staff).post("/api/v1/support/contracts/", body, format="json")
    assert customer.json()["detail"] == (
        "There is no plan GOLD; the plans are: COMMUNITY, EMAIL, START, STANDARD.")
    assert vendor.json()["detail"] == (
        "There is no plan GOLD; the plans are: COMMUNITY, PREMIUM, EMAIL, START, STANDARD.")
