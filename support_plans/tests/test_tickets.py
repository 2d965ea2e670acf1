"""Tickets (SPEC §8 and issue 14's error list): reporter, received_at, the monthly limit, the
e-mail scope, deadlines and the breached flag, the queue."""

from datetime import date, timedelta

import pytest
import time_machine

from billing_site.errors import DomainError
from seats.models import AuditEntry
from support_plans import selectors, services, tasks
from support_plans.models import Ticket

from .conftest import at

NOV = date(2026, 11, 1)
FRIDAY_1630 = at(2026, 12, 4, 16, 30)


def open_ticket(contract, received_at, *, now=None, kind="bug", channel="email", reporter=None,
                critical=False, actor=None):
    return services.ticket_open(contract=contract, received_at=received_at, channel=channel,
                                kind=kind, reporter=reporter or contract.contact,
                                subject="It broke", critical=critical, actor=actor,
                                now=now or received_at + timedelta(minutes=5))


def test_ticket_on_friday_1630_for_start_is_due_monday(order):
    contract = order("START", NOV)
    ticket = open_ticket(contract, FRIDAY_1630, kind="configuration")
    assert ticket.deadline == at(2026, 12, 7, 16, 0)
    assert not ticket.breached
    assert AuditEntry.objects.filter(action="ticket.open", target_id=ticket.pk).exists()


def test_reporter_who_is_not_the_contact_is_refused(order, acme, make_member):
    contract = order("START", NOV)
    colleague = make_member(acme[0], "colleague@acme.example")
    with pytest.raises(DomainError) as exc:
        open_ticket(contract, FRIDAY_1630, reporter=colleague)
    assert exc.value.code == "reporter_not_contact" and exc.value.field == "reporter"
    assert "contact person" in exc.value.message and "admin@acme.example" in exc.value.message
    assert not Ticket.objects.exists()


def test_received_at_in_the_future_is_refused(order):
    contract = order("START", NOV)
    with pytest.raises(DomainError) as exc:
        open_ticket(contract, FRIDAY_1630, now=FRIDAY_1630 - timedelta(seconds=1))
    assert exc.value.code == "received_in_future" and exc.value.field == "received_at"
    assert not Ticket.objects.exists()


def test_ticket_after_a_cancelled_contract_ended_is_refused(order):
    contract = order("COMMUNITY", NOV)
    services.contract_cancel(contract=contract, actor=None, as_of=date(2026, 11, 16))
    open_ticket(contract, at(2026, 11, 30, 10, 0))  # still runs through 30 Nov
    with pytest.raises(DomainError) as exc:
        open_ticket(contract, at(2026, 12, 1, 10, 0))
    assert exc.value.code == "contract_not_running"
    assert "cancelled and ended" in exc.value.message


def test_ticket_before_the_contract_starts_is_refused(order):
    contract = order("START", date(2026, 12, 1))
    with pytest.raises(DomainError) as exc:
        open_ticket(contract, at(2026, 11, 30, 10, 0))
    assert exc.value.code == "contract_not_running"


def test_community_email_scope_bugs_only_refuses_other_matters(order):
    contract = order("COMMUNITY", NOV)
    with pytest.raises(DomainError) as exc:
        open_ticket(contract, at(2026, 11, 16, 10, 0), kind="configuration")
    assert exc.value.code == "email_bugs_only" and "forum" in exc.value.message
    bug = open_ticket(contract, at(2026, 11, 16, 10, 0), kind="bug")
    assert bug.deadline is None  # COMMUNITY guarantees no reaction


def test_phone_ticket_on_a_plan_without_phone_support_is_refused(order):
    contract = order("EMAIL", NOV)
    with pytest.raises(DomainError) as exc:
        open_ticket(contract, at(2026, 11, 16, 10, 0), channel="phone")
    assert exc.value.code == "phone_not_in_plan"


def test_past_the_monthly_limit_non_bug_tickets_get_no_deadline(order):
    contract = order("EMAIL", NOV)  # limit 3 h
    services.time_entry_add(contract=contract, ticket=None, channel="email", minutes=179,
                            date=date(2026, 11, 10), actor=None)
    under = open_ticket(contract, at(2026, 11, 16, 10, 0), kind="other")
    assert under.deadline is not None
    services.time_entry_add(contract=contract, ticket=None, channel="email", minutes=1,
                            date=date(2026, 11, 12), actor=None)
    over = open_ticket(contract, at(2026, 11, 16, 11, 0), kind="other")
    assert over.deadline is None
    bug = open_ticket(contract, at(2026, 11, 16, 12, 0), kind="bug")
    assert bug.deadline == at(2026, 11, 18, 12, 0)
    # the limit is per month: December starts afresh
    december = open_ticket(contract, at(2026, 12, 1, 10, 0), kind="other")
    assert december.deadline is not None


def test_critical_ticket_on_standard_counts_on_saturday(order):
    contract = order("STANDARD", NOV)
    ticket = open_ticket(contract, at(2026, 12, 5, 10, 0), critical=True)
    assert ticket.deadline == at(2026, 12, 5, 14, 0)


def test_first_response_after_the_deadline_is_breached(order):
    contract = order("START", NOV)
    late = open_ticket(contract, FRIDAY_1630)
    on_time = open_ticket(contract, FRIDAY_1630)
    late = services.ticket_respond(ticket=late, responded_at=at(2026, 12, 7, 16, 1), actor=None)
    on_time = services.ticket_respond(ticket=on_time, responded_at=at(2026, 12, 7, 16, 0),
                                      actor=None)
    assert late.breached and not on_time.breached


def test_second_first_response_and_response_before_receipt_are_refused(order):
    contract = order("START", NOV)
    ticket = open_ticket(contract, FRIDAY_1630)
    with pytest.raises(DomainError) as exc:
        services.ticket_respond(ticket=ticket, responded_at=FRIDAY_1630 - timedelta(minutes=1),
                                actor=None)
    assert exc.value.code == "response_before_received"
    services.ticket_respond(ticket=ticket, responded_at=FRIDAY_1630, actor=None)
    with pytest.raises(DomainError) as exc:
        services.ticket_respond(ticket=ticket, responded_at=FRIDAY_1630, actor=None)
    assert exc.value.status == 409


def test_sweep_marks_tickets_past_their_deadline_without_response(order):
    contract = order("START", NOV)
    ticket = open_ticket(contract, FRIDAY_1630)
    answered = open_ticket(contract, FRIDAY_1630)
    services.ticket_respond(ticket=answered, responded_at=at(2026, 12, 7, 9, 0), actor=None)
    assert services.tickets_mark_breached(now=at(2026, 12, 7, 16, 0)) == 0
    assert services.tickets_mark_breached(now=at(2026, 12, 7, 16, 1)) == 1
    assert services.tickets_mark_breached(now=at(2026, 12, 7, 17, 0)) == 0
    ticket.refresh_from_db()
    answered.refresh_from_db()
    assert ticket.breached and not answered.breached


def test_backfilled_ticket_already_past_its_deadline_is_breached(order):
    contract = order("START", NOV)
    ticket = open_ticket(contract, at(2026, 11, 16, 9, 0), now=at(2026, 11, 20, 9, 0))
    assert ticket.breached


def test_queue_nearest_deadline_first_no_deadline_last_with_time_left(order, tiers, acme,
                                                                       make_account):
    contract = order("START", NOV)
    other_account, other_admin = make_account("Other")
    community = services.contract_order(account=other_account, plan=tiers["COMMUNITY"],
                                        start=NOV, contact=other_admin, actor=None, as_of=NOV)
    later = open_ticket(contract, at(2026, 12, 7, 9, 0))          # due Tue 8 Dec 9:00
    sooner = open_ticket(contract, FRIDAY_1630)                    # due Mon 7 Dec 16:00
    none = open_ticket(community, at(2026, 12, 4, 11, 0))          # no deadline
    answered = open_ticket(contract, at(2026, 12, 4, 9, 0))
    services.ticket_respond(ticket=answered, responded_at=at(2026, 12, 4, 10, 0), actor=None)
    rows = selectors.support_queue(now=at(2026, 12, 7, 10, 0))
    assert [row.ticket for row in rows] == [sooner, later, none]
    assert [row.minutes_left for row in rows] == [360, 7 * 60, None]
    assert [r.ticket for r in selectors.support_queue(now=at(2026, 12, 7, 10, 0),
                                                      plan="COMMUNITY")] == [none]
    overdue = selectors.support_queue(now=at(2026, 12, 7, 17, 0))[0]
    assert overdue.ticket == sooner and overdue.overdue and overdue.minutes_left == -1


def test_queue_filters_by_kind_and_breached(order):
    contract = order("START", NOV)
    bug = open_ticket(contract, FRIDAY_1630, kind="bug")
    other = open_ticket(contract, FRIDAY_1630, kind="other")
    services.tickets_mark_breached(now=at(2026, 12, 8, 9, 0))
    assert [r.ticket for r in selectors.support_queue(now=at(2026, 12, 8, 9, 0),
                                                      kind="other")] == [other]
    assert {r.ticket for r in selectors.support_queue(now=at(2026, 12, 8, 9, 0),
                                                      breached=True)} == {bug, other}
    assert selectors.support_queue(now=at(2026, 12, 8, 9, 0), breached=False) == []


def test_sla_report_counts_met_breached_and_no_deadline(order):
    contract = order("EMAIL", NOV)
    met = open_ticket(contract, at(2026, 11, 16, 9, 0))
    services.ticket_respond(ticket=met, responded_at=at(2026, 11, 16, 10, 0), actor=None)
    late = open_ticket(contract, at(2026, 11, 16, 9, 0))
    services.ticket_respond(ticket=late, responded_at=at(2026, 11, 18, 10, 0), actor=None)
    services.time_entry_add(contract=contract, ticket=None, channel="email", minutes=180,
                            date=date(2026, 11, 17), actor=None)
    open_ticket(contract, at(2026, 11, 18, 9, 0), kind="other")  # past the limit
    report = selectors.sla_report(contract, NOV)
    assert (report["tickets"], report["met"], report["breached"], report["no_deadline"],
            report["open"]) == (3, 1, 1, 1, 1)
    assert report["minutes_used"]["limit_used"] == 180
    assert selectors.sla_report(contract, date(2026, 12, 1))["tickets"] == 0


def test_the_sweep_writes_an_audit_row_per_ticket(order):
    contract = order("START", NOV)
    ticket = open_ticket(contract, FRIDAY_1630)
    services.tickets_mark_breached(now=at(2026, 12, 8, 9, 0))
    entry = AuditEntry.objects.get(action="ticket.breached")
    assert entry.target_id == ticket.pk and entry.account_id == contract.account_id


def test_the_periodic_tasks_run_the_sweep_and_the_daily_job(order, tiers):
    contract = order("START", NOV)
    open_ticket(contract, FRIDAY_1630)
    services.contract_change_plan(contract=contract, plan=tiers["STANDARD"], actor=None,
                                  as_of=date(2026, 12, 4))
    with time_machine.travel(at(2026, 12, 8, 9, 0), tick=False):
        assert tasks.mark_breached.delay().get() == 1
    assert tasks.apply_scheduled.delay(as_of="2027-01-01").get() == {"plans_applied": 1,
                                                                     "ended": 0}
    contract.refresh_from_db()
    assert contract.plan.code == "STANDARD"
