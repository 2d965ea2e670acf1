"""Late-payment phases (seats/phases.py, SPEC §6) at fixed dates, and the phase the access
decision reports.

`d` = days since `valid_until`. Default policy: active d ≤ 0, grace 1–7, blocked 8–14, suspended
from 15 (account level; a seat past its grace stays blocked), banner from d = −7. The pure tests
need no database: a `BillingPolicy()` instance is never saved.
"""

from datetime import date, timedelta

import pytest

from catalogue.models import BillingPolicy
from seats.access import access_decision
from seats.models import Member, Seat
from seats.phases import (
    Phase,
    PhasePolicy,
    banner_due,
    days_since,
    phase_of_account,
    phase_of_seat,
    trial_deletion_due,
)

SPEC = PhasePolicy(banner_lead_days=7, grace_days=7, blocked_through_day=14,
                   trial_deletion_days=30)
# Every number differs from the default: the functions must read them from the policy.
SHORT = PhasePolicy(banner_lead_days=3, grace_days=5, blocked_through_day=10,
                    trial_deletion_days=20)

ACTIVE, GRACE, BLOCKED, SUSPENDED = Phase.ACTIVE, Phase.GRACE, Phase.BLOCKED, Phase.SUSPENDED


def d(text):
    return date.fromisoformat(text)


def at(valid_until, days):
    """The day `days` after `valid_until` (d = days)."""
    return valid_until + timedelta(days=days)


# --- the SPEC §6 table, day by day ------------------------------------------------------------

VALID_UNTIL = d("2026-11-30")
# d: (seat phase, account phase, banner)
TABLE = {
    -8: (ACTIVE, ACTIVE, False),
    -7: (ACTIVE, ACTIVE, True),
    -1: (ACTIVE, ACTIVE, True),
    0: (ACTIVE, ACTIVE, True),
    1: (GRACE, GRACE, True),
    7: (GRACE, GRACE, True),
    8: (BLOCKED, BLOCKED, True),
    14: (BLOCKED, BLOCKED, True),
    15: (BLOCKED, SUSPENDED, True),
    400: (BLOCKED, SUSPENDED, True),
}


@pytest.mark.parametrize(("days", "expected"), TABLE.items())
def test_spec_6_table_phase_and_banner_at_each_boundary_of_d(days, expected):
    seat, account, banner = expected
    as_of = at(VALID_UNTIL, days)
    assert days_since(VALID_UNTIL, as_of) == days
    assert phase_of_seat(VALID_UNTIL, as_of, SPEC) == seat
    assert phase_of_account(VALID_UNTIL, as_of, SPEC) == account
    assert banner_due(VALID_UNTIL, as_of, SPEC) is banner


def test_active_while_d_is_0_or_less_the_last_valid_day_included():
    assert phase_of_seat(d("2026-11-30"), d("2026-11-30"), SPEC) == ACTIVE
    assert phase_of_account(d("2026-11-30"), d("2026-01-01"), SPEC) == ACTIVE


def test_grace_from_day_1_to_day_7_after_expiry():
    assert phase_of_account(d("2026-11-30"), d("2026-12-01"), SPEC) == GRACE
    assert phase_of_account(d("2026-11-30"), d("2026-12-07"), SPEC) == GRACE
    assert phase_of_account(d("2026-11-30"), d("2026-12-08"), SPEC) == BLOCKED


def test_account_blocked_from_day_8_to_day_14_then_suspended_from_day_15():
    assert phase_of_account(d("2026-11-30"), d("2026-12-08"), SPEC) == BLOCKED
    assert phase_of_account(d("2026-11-30"), d("2026-12-14"), SPEC) == BLOCKED
    assert phase_of_account(d("2026-11-30"), d("2026-12-15"), SPEC) == SUSPENDED


def test_a_seat_is_never_suspended_it_stays_blocked_from_day_8():
    # Suspension (automations paused) is an account state; a seat past its grace is blocked.
    assert phase_of_seat(d("2026-11-30"), d("2026-12-08"), SPEC) == BLOCKED
    assert phase_of_seat(d("2026-11-30"), d("2026-12-15"), SPEC) == BLOCKED
    assert phase_of_seat(d("2026-11-30"), d("2028-02-29"), SPEC) == BLOCKED


def test_banner_from_7_days_before_expiry_and_every_day_after_it():
    assert banner_due(d("2026-11-30"), d("2026-11-22"), SPEC) is False
    assert banner_due(d("2026-11-30"), d("2026-11-23"), SPEC) is True
    assert banner_due(d("2026-11-30"), d("2026-12-20"), SPEC) is True


# --- calendar: month ends, leap day, year end, DST change days --------------------------------


@pytest.mark.parametrize(("valid_until", "as_of", "seat", "account"), [
    # 31-day month into February: d = 7, 8
    ("2026-01-31", "2026-02-07", GRACE, GRACE),
    ("2026-01-31", "2026-02-08", BLOCKED, BLOCKED),
    # end of a 28-day February: d = 7 on 7 March, 14 on 14 March, 15 on 15 March
    ("2027-02-28", "2027-03-07", GRACE, GRACE),
    ("2027-02-28", "2027-03-14", BLOCKED, BLOCKED),
    ("2027-02-28", "2027-03-15", BLOCKED, SUSPENDED),
    # leap day as the last valid day: d = 7 on 7 March 2028
    ("2028-02-29", "2028-03-07", GRACE, GRACE),
    ("2028-02-29", "2028-03-08", BLOCKED, BLOCKED),
    # the leap day counts: valid through 28 Feb 2028, 7 March is d = 8
    ("2028-02-28", "2028-03-06", GRACE, GRACE),
    ("2028-02-28", "2028-03-07", BLOCKED, BLOCKED),
    # across the year end: d = 14 on 14 January, 15 on 15 January
    ("2026-12-31", "2027-01-14", BLOCKED, BLOCKED),
    ("2026-12-31", "2027-01-15", BLOCKED, SUSPENDED),
])
def test_phases_count_calendar_days_over_month_ends_leap_day_and_year_end(valid_until, as_of,
                                                                          seat, account):
    assert phase_of_seat(d(valid_until), d(as_of), SPEC) == seat
    assert phase_of_account(d(valid_until), d(as_of), SPEC) == account


@pytest.mark.parametrize(("valid_until", "as_of", "expected"), [
    # Europe/Warsaw springs forward on 29 March 2026 and falls back on 25 October 2026: business
    # dates are calendar dates, so a 23- or 25-hour day is still one day of d.
    ("2026-03-29", "2026-03-29", ACTIVE),  # expiring on the short day
    ("2026-03-22", "2026-03-29", GRACE),  # d = 7 on the short day
    ("2026-03-21", "2026-03-29", BLOCKED),  # d = 8 on the short day
    ("2026-03-15", "2026-03-29", BLOCKED),  # d = 14
    ("2026-03-14", "2026-03-29", SUSPENDED),  # d = 15
    ("2026-10-25", "2026-10-26", GRACE),  # the long day as the last valid one: d = 1 after it
    ("2026-10-18", "2026-10-25", GRACE),  # d = 7 on the long day
    ("2026-10-17", "2026-10-25", BLOCKED),  # d = 8 on the long day
    ("2026-10-10", "2026-10-25", SUSPENDED),  # d = 15 on the long day
])
def test_phases_on_dst_change_days_count_whole_calendar_days(valid_until, as_of, expected):
    assert phase_of_account(d(valid_until), d(as_of), SPEC) == expected


def test_banner_on_the_dst_change_day_7_days_before_expiry():
    assert banner_due(d("2026-11-01"), d("2026-10-25"), SPEC) is True
    assert banner_due(d("2026-11-01"), d("2026-10-24"), SPEC) is False


# --- the numbers come from the policy ---------------------------------------------------------


@pytest.mark.parametrize(("days", "seat", "account", "banner"), [
    (-4, ACTIVE, ACTIVE, False),
    (-3, ACTIVE, ACTIVE, True),
    (5, GRACE, GRACE, True),
    (6, BLOCKED, BLOCKED, True),
    (10, BLOCKED, BLOCKED, True),
    (11, BLOCKED, SUSPENDED, True),
])
def test_a_policy_with_grace_5_blocked_through_10_banner_3_moves_every_boundary(days, seat,
                                                                                account, banner):
    as_of = at(VALID_UNTIL, days)
    assert phase_of_seat(VALID_UNTIL, as_of, SHORT) == seat
    assert phase_of_account(VALID_UNTIL, as_of, SHORT) == account
    assert banner_due(VALID_UNTIL, as_of, SHORT) is banner


def test_the_billing_policy_defaults_are_the_spec_numbers_and_the_row_is_a_policy():
    policy = BillingPolicy()  # unsaved: its field defaults
    assert PhasePolicy.from_model(policy) == SPEC
    # the functions take the model instance itself too
    assert phase_of_account(VALID_UNTIL, at(VALID_UNTIL, 15), policy) == SUSPENDED
    assert phase_of_seat(VALID_UNTIL, at(VALID_UNTIL, 7), policy) == GRACE
    assert banner_due(VALID_UNTIL, at(VALID_UNTIL, -7), policy) is True


def test_an_edited_billing_policy_instance_changes_the_phases():
    policy = BillingPolicy(grace_days=5, blocked_through_day=10)
    assert phase_of_seat(VALID_UNTIL, at(VALID_UNTIL, 6), policy) == BLOCKED
    assert phase_of_account(VALID_UNTIL, at(VALID_UNTIL, 11), policy) == SUSPENDED


@pytest.mark.parametrize("kwargs", [
    {"grace_days": 7, "blocked_through_day": 7},
    {"grace_days": 8, "blocked_through_day": 7},
    {"grace_days": -1},
    {"banner_lead_days": -1},
    {"grace_days": True},
    {"trial_deletion_days": 1.5},
])
def test_a_phase_policy_refuses_overlapping_phases_and_non_counts(kwargs):
    values = {"banner_lead_days": 7, "grace_days": 7, "blocked_through_day": 14,
              "trial_deletion_days": 30, **kwargs}
    with pytest.raises(ValueError):
        PhasePolicy(**values)


# --- trial ------------------------------------------------------------------------------------


def test_unpaid_trial_is_active_through_its_last_day_then_blocked_without_grace():
    trial_ends_on = d("2026-11-29")
    for phase_of in (phase_of_seat, phase_of_account):
        assert phase_of(trial_ends_on, d("2026-11-29"), SPEC,
                        trial_ends_on=trial_ends_on) == ACTIVE
        assert phase_of(trial_ends_on, d("2026-11-30"), SPEC,
                        trial_ends_on=trial_ends_on) == BLOCKED


def test_unpaid_trial_stays_blocked_never_suspended_until_deleted():
    trial_ends_on = d("2026-11-29")
    assert phase_of_account(trial_ends_on, d("2027-03-01"), SPEC,
                            trial_ends_on=trial_ends_on) == BLOCKED


def test_unpaid_trial_ends_on_its_last_day_whatever_the_seat_validity_says():
    # a seat added after the trial's end runs to the month end; the unpaid trial still decides
    assert phase_of_seat(d("2026-12-31"), d("2026-12-01"), SPEC,
                         trial_ends_on=d("2026-11-29")) == BLOCKED


def test_unpaid_trial_deleted_30_days_after_it_ends():
    trial_ends_on = d("2026-11-29")
    assert trial_deletion_due(trial_ends_on, d("2026-12-28"), SPEC) is False  # day 29
    assert trial_deletion_due(trial_ends_on, d("2026-12-29"), SPEC) is True  # day 30
    assert trial_deletion_due(trial_ends_on, d("2026-12-19"), SHORT) is True  # day 20


def test_a_paid_account_follows_the_table_once_its_trial_is_over():
    # no trial_ends_on: the seat validity decides, with grace
    assert phase_of_account(d("2026-12-31"), d("2027-01-05"), SPEC) == GRACE


# --- the access decision reports the seat's phase ---------------------------------------------

AS_OF = date(2026, 10, 25)  # a member added today has a seat valid until 31 October


def set_policy(**values):
    """The policy row with `values` (the row may be missing: a transactional test flushed it)."""
    BillingPolicy.objects.update_or_create(pk=BillingPolicy.SINGLETON_ID, defaults=values)


@pytest.fixture
def jane(make_account, make_member):
    account, _ = make_account("Acme Widgets", as_of=AS_OF)
    member = make_member(account, "jane@acme.example", as_of=AS_OF)
    assert member.seat.valid_until == d("2026-10-31")
    return member


@pytest.mark.django_db
@pytest.mark.parametrize(("as_of", "phase", "code"), [
    ("2026-10-31", ACTIVE, "ok"), ("2026-11-07", GRACE, "ok"), ("2026-11-08", BLOCKED, "blocked"),
    ("2026-11-20", BLOCKED, "blocked"),
])
def test_access_decision_reports_the_seat_phase_of_the_default_policy(jane, as_of, phase, code):
    set_policy(grace_days=7, blocked_through_day=14)
    decision = access_decision(jane.user, as_of=d(as_of))
    # a user whose seat is blocked is refused (SPEC §6); grace still works
    assert (decision.code, decision.phase, decision.allowed) == (code, phase, code == "ok")


@pytest.mark.django_db
def test_access_decision_reads_the_grace_period_from_the_policy_row(jane):
    set_policy(grace_days=4, blocked_through_day=10)
    assert access_decision(jane.user, as_of=d("2026-11-04")).phase == GRACE
    assert access_decision(jane.user, as_of=d("2026-11-05")).phase == BLOCKED


@pytest.mark.django_db
def test_access_decision_uses_the_default_policy_when_the_row_is_missing(jane):
    BillingPolicy.objects.all().delete()
    assert access_decision(jane.user, as_of=d("2026-11-07")).phase == GRACE
    assert access_decision(jane.user, as_of=d("2026-11-08")).phase == BLOCKED
    assert not BillingPolicy.objects.exists()  # reading never creates the row


@pytest.mark.django_db
def test_access_decision_blocks_an_unpaid_trial_the_day_after_it_ends(make_account):
    account, admin = make_account("Trial Co", trial=True, as_of=AS_OF)
    assert account.trial_ends_on == d("2026-11-07")
    assert access_decision(admin.user, as_of=d("2026-11-07")).phase == ACTIVE
    assert access_decision(admin.user, as_of=d("2026-11-08")).phase == BLOCKED


@pytest.mark.django_db
def test_access_decision_reads_seat_and_policy_in_one_query(jane, django_assert_num_queries):
    set_policy(grace_days=4, blocked_through_day=10)
    with django_assert_num_queries(2):  # the member with its account, the seats with the policy
        decision = access_decision(jane.user, as_of=d("2026-11-04"))
    assert decision.phase == GRACE
    member = Member.objects.select_related("account").get(pk=jane.pk)
    with django_assert_num_queries(1):  # the middleware passes the member it loaded
        assert access_decision(jane.user, as_of=d("2026-11-04"), member=member).phase == GRACE


@pytest.mark.django_db
def test_access_decision_has_no_phase_for_staff_and_refusals(jane, staff):
    assert access_decision(staff, as_of=AS_OF).phase is None
    # setup only: a member left without a seat, which the services never do
    Seat.objects.filter(member=jane).update(member=None)
    decision = access_decision(jane.user, as_of=AS_OF)
    assert (decision.code, decision.phase) == ("no_seat", None)
