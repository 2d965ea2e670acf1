"""The SLA clock (SPEC §8) at fixed datetimes, named after the rules, and its properties.

Pure: unsaved plans built from the SPEC §8 defaults, no database. 2026: 24–26 Dec and 11 Nov are
public holidays; DST starts on 29 March and ends on 25 October."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support_plans import sla
from support_plans.defaults import tier_fields
from support_plans.models import SupportPlan

WAW = ZoneInfo("Europe/Warsaw")
CAL = sla.WarsawCalendar()


def plan(code, **changes):
    return SupportPlan(**{**tier_fields()[code], **changes})


def at(*args):
    return datetime(*args, tzinfo=WAW)


def deadline(code, received, **kw):
    return sla.deadline(received, plan(code), CAL, **kw)


# --- START: 8:00–16:00 on working days, 8 h reaction (one working day) ---

def test_received_during_hours_counts_from_receipt():
    assert deadline("START", at(2026, 11, 16, 10, 0)) == at(2026, 11, 17, 10, 0)


def test_received_before_opening_counts_from_opening():
    assert deadline("START", at(2026, 11, 16, 6, 30)) == at(2026, 11, 16, 16, 0)


def test_received_after_closing_counts_from_next_opening():
    assert deadline("START", at(2026, 11, 16, 17, 0)) == at(2026, 11, 17, 16, 0)


def test_received_on_friday_evening_counts_from_monday_opening():
    assert deadline("START", at(2026, 12, 4, 18, 0)) == at(2026, 12, 7, 16, 0)


def test_received_on_friday_1630_after_closing_is_due_monday():
    # the browser test's case: filed after START's 16:00 closing on Friday
    assert deadline("START", at(2026, 12, 4, 16, 30)) == at(2026, 12, 7, 16, 0)


def test_received_on_friday_afternoon_carries_over_the_weekend():
    assert deadline("START", at(2026, 12, 4, 14, 0)) == at(2026, 12, 7, 14, 0)


def test_christmas_eve_eve_skips_24_to_27_december():
    # 23 Dec (Wed) 15:00: 1 h that day; 24, 25, 26 Dec holidays, 27 a Sunday; 7 h on Mon 28 Dec
    assert deadline("START", at(2026, 12, 23, 15, 0)) == at(2026, 12, 28, 15, 0)


def test_independence_day_eve_skips_11_november():
    assert deadline("START", at(2026, 11, 10, 12, 0)) == at(2026, 11, 12, 12, 0)


def test_received_on_a_holiday_counts_from_the_next_working_day():
    assert deadline("START", at(2026, 11, 11, 9, 0)) == at(2026, 11, 12, 16, 0)


def test_across_spring_dst_change_the_deadline_is_in_summer_time():
    # Fri 27 Mar 2026 15:00 CET: 1 h Friday, 7 h on Mon 30 Mar (CEST)
    due = deadline("START", at(2026, 3, 27, 15, 0))
    assert due == at(2026, 3, 30, 15, 0)
    assert due.utcoffset() == timedelta(hours=2)


def test_across_autumn_dst_change_the_deadline_is_in_winter_time():
    due = deadline("START", at(2026, 10, 23, 15, 0))
    assert due == at(2026, 10, 26, 15, 0)
    assert due.utcoffset() == timedelta(hours=1)


def test_received_at_in_another_time_zone_is_read_in_warsaw():
    received = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # 10:00 in Warsaw
    assert deadline("START", received) == at(2026, 11, 17, 10, 0)


# --- each tier ---

def test_community_has_no_deadline():
    assert deadline("COMMUNITY", at(2026, 11, 16, 10, 0)) is None


def test_email_plan_12_hours_in_9_to_15_days():
    assert deadline("EMAIL", at(2026, 11, 16, 9, 0)) == at(2026, 11, 17, 15, 0)
    assert deadline("EMAIL", at(2026, 11, 16, 12, 0)) == at(2026, 11, 18, 12, 0)


def test_standard_plan_4_hours_in_7_to_17_days():
    assert deadline("STANDARD", at(2026, 11, 16, 15, 0)) == at(2026, 11, 17, 9, 0)


def test_standard_critical_ticket_on_saturday_runs_within_working_hours():
    assert deadline("STANDARD", at(2026, 12, 5, 10, 0), critical=True) == at(2026, 12, 5, 14, 0)


def test_standard_non_critical_ticket_on_saturday_waits_for_monday():
    assert deadline("STANDARD", at(2026, 12, 5, 10, 0)) == at(2026, 12, 7, 11, 0)


def test_standard_critical_ticket_on_christmas_runs_on_the_holidays():
    assert deadline("STANDARD", at(2026, 12, 25, 16, 0), critical=True) == at(2026, 12, 26, 10, 0)


def test_critical_flag_does_nothing_on_plans_without_critical_days_off():
    assert deadline("START", at(2026, 12, 5, 10, 0), critical=True) == at(2026, 12, 7, 16, 0)


def test_premium_round_the_clock_runs_through_the_night_and_weekend():
    assert deadline("PREMIUM", at(2026, 12, 5, 22, 0)) == at(2026, 12, 6, 2, 0)


def test_premium_round_the_clock_across_spring_dst_counts_real_minutes():
    # 00:30 CET + 4 real hours = 05:30 CEST (the clock skipped 02:00–03:00)
    assert deadline("PREMIUM", at(2026, 3, 29, 0, 30)) == at(2026, 3, 29, 5, 30)


def test_premium_round_the_clock_across_autumn_dst_counts_real_minutes():
    # 00:30 CEST + 4 real hours = 03:30 CET (02:00–03:00 happened twice)
    due = deadline("PREMIUM", at(2026, 10, 25, 0, 30))
    assert due.astimezone(UTC) == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    assert due == at(2026, 10, 25, 3, 30)


def test_naive_received_at_is_refused():
    with pytest.raises(ValueError, match="aware"):
        sla.deadline(datetime(2026, 11, 16, 10, 0), plan("START"), CAL)


# --- working minutes between two instants (the queue's "time left") ---

def test_working_minutes_over_a_weekend():
    start, end = at(2026, 12, 4, 15, 0), at(2026, 12, 7, 9, 0)
    assert sla.working_minutes_between(start, end, plan("START"), CAL) == 120


def test_working_minutes_are_negative_when_overdue():
    start, end = at(2026, 12, 7, 9, 0), at(2026, 12, 4, 15, 0)
    assert sla.working_minutes_between(start, end, plan("START"), CAL) == -120


def test_working_minutes_round_the_clock_across_dst_is_real_time():
    start, end = at(2026, 3, 29, 0, 0), at(2026, 3, 29, 4, 0)
    assert sla.working_minutes_between(start, end, plan("PREMIUM"), CAL) == 180


def test_working_minutes_outside_hours_are_zero():
    start, end = at(2026, 12, 5, 9, 0), at(2026, 12, 6, 18, 0)
    assert sla.working_minutes_between(start, end, plan("START"), CAL) == 0


# --- properties ---

instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),
                        timezones=st.just(UTC))
codes = st.sampled_from(["EMAIL", "START", "STANDARD", "PREMIUM"])
reactions = st.integers(min_value=1, max_value=5000)


def _inside_working_time(instant, p, critical):
    """After the opening and at the latest at the closing of a counted day (round the clock: a
    counted day, or the midnight that ends one)."""
    local = instant.astimezone(WAW)
    if p.round_the_clock:
        just_before = (instant - timedelta(seconds=1)).astimezone(WAW)
        return CAL.counts(just_before.date(), p, critical=critical)
    return (CAL.counts(local.date(), p, critical=critical)
            and p.workday_start < local.time() <= p.workday_end)


@settings(max_examples=300, deadline=None)
@given(received=instants, code=codes, reaction=reactions, critical=st.booleans())
def test_deadline_is_never_earlier_than_received_plus_reaction(received, code, reaction,
                                                               critical):
    p = plan(code, reaction_minutes=reaction)
    due = sla.deadline(received, p, CAL, critical=critical)
    assert due >= received + timedelta(minutes=reaction)


@settings(max_examples=300, deadline=None)
@given(received=instants, code=codes, reaction=reactions, critical=st.booleans())
def test_deadline_always_lies_within_working_hours(received, code, reaction, critical):
    p = plan(code, reaction_minutes=reaction)
    due = sla.deadline(received, p, CAL, critical=critical)
    assert _inside_working_time(due, p, critical)


@settings(max_examples=300, deadline=None)
@given(received=instants, code=codes, reaction=reactions, critical=st.booleans())
def test_working_minutes_to_the_deadline_are_the_reaction_time(received, code, reaction,
                                                               critical):
    p = plan(code, reaction_minutes=reaction)
    due = sla.deadline(received, p, CAL, critical=critical)
    assert sla.working_minutes_between(received, due, p, CAL, critical=critical) == reaction


@settings(max_examples=300, deadline=None)
@given(first=instants, gap=st.integers(min_value=0, max_value=7 * 24 * 60), code=codes,
       critical=st.booleans())
def test_a_later_ticket_is_never_due_earlier(first, gap, code, critical):
    later = first + timedelta(minutes=gap)
    p = plan(code)
    assert sla.deadline(later, p, CAL, critical=critical) >= sla.deadline(first, p, CAL,
                                                                         critical=critical)


def test_a_sentence_ending_with_an_abbreviation_has_one_full_stop():
    from support_plans.presenting import sentence

    assert sentence("The deadline is Monday, 4 p.m..") == "The deadline is Monday, 4 p.m."
    assert sentence("Termin: poniedziałek 16:00.") == "Termin: poniedziałek 16:00."
