"""Time entries (SPEC §8 and issue 14's error list): rounding with the write-up, included hours
used first in order of entry, e-mail time, channels per plan, contract dates."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_site.errors import DomainError
from support_plans import selectors, services
from support_plans.models import SupportSettlement, TimeEntry

from .conftest import at

NOV = date(2026, 11, 1)


def add(contract, channel, minutes, day=date(2026, 11, 16), ticket=None):
    return services.time_entry_add(contract=contract, ticket=ticket, channel=channel,
                                   minutes=minutes, date=day, actor=None)


@pytest.mark.parametrize(("channel", "minutes", "billable"), [
    ("phone", 1, 15), ("phone", 10, 15), ("phone", 11, 30), ("phone", 25, 30),
    ("remote", 1, 30), ("remote", 25, 30), ("remote", 26, 60), ("development", 55, 60),
    ("development", 56, 90), ("email", 40, 0),
])
def test_billable_minutes_add_five_and_round_up(channel, minutes, billable):
    assert services.billable_minutes(channel, minutes) == billable


def test_included_hours_are_used_first_in_order_of_entry(order):
    contract = order("START", NOV)  # 3 h included, 165 PLN/h
    first = add(contract, "remote", 100)   # 120 billable, all included
    second = add(contract, "remote", 50, day=date(2026, 11, 2))  # 60: the last included hour
    third = add(contract, "phone", 10)     # 15 over the bundle
    assert [(e.billable_minutes, e.included_minutes, e.billed_minutes_over_bundle)
            for e in (first, second, third)] == [(120, 120, 0), (60, 60, 0), (15, 0, 15)]
    used = selectors.minutes_used(contract, NOV)
    assert (used["included_used"], used["over_bundle"], used["limit_used"]) == (180, 15, 160)


def test_an_entry_splits_across_the_end_of_the_bundle(order):
    contract = order("START", NOV)
    add(contract, "remote", 145)  # 150 billable
    entry = add(contract, "remote", 40)  # 60 billable: 30 included, 30 over
    assert (entry.included_minutes, entry.billed_minutes_over_bundle) == (30, 30)


def test_each_month_has_its_own_bundle(order):
    contract = order("START", NOV)
    add(contract, "remote", 175)
    december = add(contract, "remote", 25, day=date(2026, 12, 1))
    assert december.included_minutes == 30


def test_email_time_is_not_billed_and_uses_no_included_hours_but_counts_to_the_limit(order):
    contract = order("START", NOV)
    entry = add(contract, "email", 40)
    assert (entry.billable_minutes, entry.included_minutes,
            entry.billed_minutes_over_bundle) == (0, 0, 0)
    used = selectors.minutes_used(contract, NOV)
    assert (used["included_used"], used["limit_used"], used["email"]) == (0, 40, 40)


def test_development_entry_on_a_plan_without_development_is_refused(order):
    contract = order("START", NOV)
    with pytest.raises(DomainError) as exc:
        add(contract, "development", 30)
    assert exc.value.code == "development_not_in_plan" and exc.value.field == "channel"
    assert "development" in exc.value.message
    assert not TimeEntry.objects.exists()


def test_development_entry_on_standard_is_accepted(order):
    contract = order("STANDARD", NOV)
    assert add(contract, "development", 30).billable_minutes == 60


def test_phone_entry_on_a_plan_without_phone_is_refused(order):
    contract = order("EMAIL", NOV)
    with pytest.raises(DomainError) as exc:
        add(contract, "phone", 10)
    assert exc.value.code == "phone_not_in_plan"


def test_remote_help_on_email_plan_is_billed_at_its_rate(order):
    contract = order("EMAIL", NOV)  # no hours included
    entry = add(contract, "remote", 20)
    assert (entry.included_minutes, entry.billed_minutes_over_bundle) == (0, 30)


def test_time_entry_for_a_cancelled_contract_is_refused(order):
    contract = order("COMMUNITY", NOV)
    services.contract_cancel(contract=contract, actor=None, as_of=date(2026, 11, 16))
    add(contract, "remote", 30, day=date(2026, 11, 30))  # the notice period is still covered
    with pytest.raises(DomainError) as exc:
        add(contract, "remote", 30, day=date(2026, 12, 1))
    assert exc.value.code == "contract_not_running" and exc.value.field == "date"
    assert "cancelled" in exc.value.message
    assert TimeEntry.objects.count() == 1


def test_time_entry_before_the_start_is_refused(order):
    contract = order("START", date(2026, 12, 1))
    with pytest.raises(DomainError) as exc:
        add(contract, "remote", 30, day=date(2026, 11, 30))
    assert exc.value.code == "contract_not_running"


@pytest.mark.parametrize("minutes", [0, -5, 1441, True, 1.5, "30", None])
def test_minutes_must_be_whole_from_1_to_1440(order, minutes):
    contract = order("START", NOV)
    with pytest.raises(DomainError) as exc:
        add(contract, "remote", minutes)
    assert exc.value.field == "minutes"


def test_unknown_channel_and_a_ticket_of_another_contract_are_refused(order, tiers,
                                                                      make_account):
    contract = order("START", NOV)
    with pytest.raises(DomainError) as exc:
        add(contract, "fax", 10)
    assert exc.value.field == "channel"
    other_account, other_admin = make_account("Other")
    other = services.contract_order(account=other_account, plan=tiers["START"], start=NOV,
                                    contact=other_admin, actor=None, as_of=NOV)
    foreign = services.ticket_open(contract=other, received_at=at(2026, 11, 16, 9),
                                   channel="email", kind="bug", reporter=other_admin,
                                   actor=None, now=at(2026, 11, 16, 10))
    with pytest.raises(DomainError) as exc:
        add(contract, "remote", 10, ticket=foreign)
    assert exc.value.code == "ticket_other_contract"


def test_a_settled_month_takes_no_more_entries(order):
    contract = order("START", NOV)
    SupportSettlement.objects.create(contract=contract, month=NOV)
    with pytest.raises(DomainError) as exc:
        add(contract, "remote", 10)
    assert exc.value.code == "month_settled" and exc.value.status == 409


def test_the_plan_of_the_entry_day_decides(order, tiers):
    contract = order("START", NOV)
    services.contract_change_plan(contract=contract, plan=tiers["STANDARD"], actor=None,
                                  as_of=date(2026, 11, 16))
    with pytest.raises(DomainError):
        add(contract, "development", 30, day=date(2026, 11, 30))
    assert add(contract, "development", 30, day=date(2026, 12, 1)).included_minutes == 60


def test_time_entry_in_the_future_is_refused(order):
    contract = order("START", NOV)
    with pytest.raises(DomainError) as exc:
        services.time_entry_add(contract=contract, ticket=None, channel="remote", minutes=30,
                                date=date(2026, 11, 17), actor=None, as_of=date(2026, 11, 16))
    assert exc.value.code == "date_in_future"


@settings(max_examples=200, deadline=None)
@given(channel=st.sampled_from(["phone", "remote", "development"]),
       minutes=st.integers(min_value=1, max_value=1440),
       left=st.integers(min_value=-100, max_value=2000))
def test_billing_properties(channel, minutes, left):
    unit = 15 if channel == "phone" else 30
    billable = services.billable_minutes(channel, minutes)
    assert billable % unit == 0 and minutes + 5 <= billable < minutes + 5 + unit
    included, over = services.split_included(billable, left)
    assert included + over == billable and 0 <= included <= max(left, 0)
