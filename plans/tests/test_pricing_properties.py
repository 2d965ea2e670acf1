"""Hypothesis properties of the pricing maths (plans/pricing/), issue 3.

Seats are drawn around `as_of` so that every state occurs: valid, in grace (1–14 days), lapsed
15+ days, paid, partly paid and never paid; dates span 28/29/30/31-day months, leap years and the
non-leap century year 2100.
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from plans.pricing import (
    AddOnLine,
    SeatTerms,
    account_valid_until,
    package_change,
    period_charge,
    quote_renewal,
    split_period,
)

VAT = Decimal("23")

as_of_dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2100, 12, 31))
prices_2dp = st.decimals(min_value=0, max_value=1000, places=2)
prices_4dp = st.decimals(min_value=0, max_value=1000, places=4)
# catalogue-like prices: a ratio of at most 1000 keeps converted dates within the calendar
positive_prices = st.decimals(min_value=1, max_value=1000, places=2)


@st.composite
def seat_terms(draw, as_of, seat_id):
    valid_until = as_of + timedelta(days=draw(st.integers(-60, 400)))
    paid_through = draw(st.one_of(
        st.none(), st.integers(0, 90).map(lambda k: valid_until - timedelta(days=k))))
    created_on = (paid_through or valid_until) - timedelta(days=draw(st.integers(0, 400)))
    return SeatTerms(seat_id, valid_until, paid_through, created_on)


@st.composite
def accounts(draw, prices=prices_2dp):
    """(as_of, seats, new_seats, unit_price, add_ons)."""
    as_of = draw(as_of_dates)
    count = draw(st.integers(0, 6))
    seats = tuple(draw(seat_terms(as_of, i + 1)) for i in range(count))
    new_seats = draw(st.integers(0 if seats else 1, 3))
    add_ons = tuple(
        AddOnLine(f"addon{i}", draw(st.integers(0, 20)), draw(prices))
        for i in range(draw(st.integers(0, 2)))
    )
    return as_of, seats, new_seats, draw(prices), add_ons


def month_index(day):
    return day.year * 12 + day.month - 1


def month_of(index):
    return index // 12, index % 12 + 1


def first_allowed_month(as_of, seats):
    current = account_valid_until(seats)
    return max(month_index(as_of), month_index(current) if current else 0)


def quote(as_of, seats, new_seats, price, add_ons, target_index):
    return quote_renewal(seats=seats, new_seats=new_seats, unit_price=price,
                         target_month=month_of(target_index), as_of=as_of, vat_rate=VAT,
                         add_ons=add_ons)


def money_fields(q):
    return [line.amount for line in q.lines + q.add_on_lines] + [
        q.net_before_discount, q.discount, q.net, q.vat, q.gross]


@given(accounts(), st.data())
def test_extending_further_never_costs_less(account, data):
    as_of, seats, new_seats, price, add_ons = account
    low = first_allowed_month(as_of, seats)
    near = data.draw(st.integers(low, month_index(as_of) + 36))
    far = data.draw(st.integers(near, month_index(as_of) + 36))
    q_near = quote(as_of, seats, new_seats, price, add_ons, near)
    q_far = quote(as_of, seats, new_seats, price, add_ons, far)

    assert q_far.net_before_discount >= q_near.net_before_discount
    # seat by seat too: every line of the nearer quote has a line at least as dear further on
    far_by_seat = {line.seat_id: line.amount for line in q_far.lines}
    for line in q_near.lines:
        assert far_by_seat[line.seat_id] >= line.amount  # new seats (None) all cost the same
    # After discount only within one rung: the SPEC's default ladder makes 24 months cheaper
    # than 23 (test_default_ladder_makes_24_months_cheaper_than_23_after_discount).
    if q_far.discount_percent == q_near.discount_percent:
        assert q_far.net >= q_near.net
        assert q_far.gross >= q_near.gross


def apply_renewal(seats, new_seats, q, as_of):
    """The seat snapshots after paying quote `q`: everything valid and paid through its end."""
    end = q.valid_until
    return tuple(replace(s, valid_until=end, paid_through=end) for s in seats) + tuple(
        SeatTerms(None, end, end, as_of) for _ in range(new_seats))


def check_consecutive_renewals(account, data):
    as_of, seats, new_seats, price, add_ons = account
    last = month_index(as_of) + 36
    first = data.draw(st.integers(first_allowed_month(as_of, seats), last - 1))
    second = data.draw(st.integers(first + 1, last))
    q1 = quote(as_of, seats, new_seats, price, add_ons, first)
    # the second renewal may happen any day up to the end of the first one
    later = data.draw(st.dates(min_value=as_of, max_value=q1.valid_until))
    renewed = apply_renewal(seats, new_seats, q1, as_of)
    q2 = quote(later, renewed, 0, price, add_ons, second)
    whole = quote(as_of, seats, new_seats, price, add_ons, second)
    # the second renewal starts on a 1st and ends on a month end: whole months only
    assert all(line.days == 0 for line in q2.lines + q2.add_on_lines)
    return q1, q2, whole


@given(accounts(prices_2dp), st.data())
def test_two_consecutive_renewals_cost_one_renewal_over_the_same_span_before_discount(
    account, data
):
    # With prices of 2 decimal places the second renewal's lines are price × whole months,
    # already exact cents, so rounding the whole line once equals rounding its first part once
    # and adding the exact rest: the sums are equal to the cent.
    q1, q2, whole = check_consecutive_renewals(account, data)
    assert q1.net_before_discount + q2.net_before_discount == whole.net_before_discount


@given(accounts(prices_4dp), st.data())
def test_two_consecutive_renewals_differ_at_most_a_cent_per_split_line(account, data):
    # With sub-cent prices every line split at the boundary is rounded twice instead of once.
    # Each rounding error lies in [-0.005, 0.005), so round(a) + round(b) − round(a + b) lies in
    # (-0.015, 0.015) and is a whole number of cents: at most 0.01 per split line. The split
    # lines are exactly the second renewal's lines (seat and add-on), hence the bound below.
    q1, q2, whole = check_consecutive_renewals(account, data)
    tolerance = Decimal("0.01") * (len(q2.lines) + len(q2.add_on_lines))
    assert abs(q1.net_before_discount + q2.net_before_discount
               - whole.net_before_discount) <= tolerance


@given(accounts(), st.data())
def test_amounts_are_never_negative_and_have_exactly_two_places(account, data):
    as_of, seats, new_seats, price, add_ons = account
    target = data.draw(st.integers(first_allowed_month(as_of, seats), month_index(as_of) + 36))
    q = quote(as_of, seats, new_seats, price, add_ons, target)
    for amount in money_fields(q):
        assert amount >= 0
        assert amount.as_tuple().exponent == -2
    assert q.net_before_discount == sum(line.amount for line in q.lines + q.add_on_lines)
    assert q.net == q.net_before_discount - q.discount
    assert q.gross == q.net + q.vat


@given(accounts(), st.data())
def test_every_line_ends_on_the_target_month_end_and_starts_no_earlier_than_needed(
    account, data
):
    as_of, seats, new_seats, price, add_ons = account
    target = data.draw(st.integers(first_allowed_month(as_of, seats), month_index(as_of) + 36))
    q = quote(as_of, seats, new_seats, price, add_ons, target)
    assert (q.valid_until + timedelta(days=1)).day == 1
    by_id = {s.seat_id: s for s in seats}
    for line in q.lines:
        assert line.start <= line.end == q.valid_until
        assert line.days_in_month in (None, 28, 29, 30, 31)
        assert (line.days == 0) == (line.days_in_month is None)
        if line.seat_id is None:
            assert line.start == as_of
            continue
        seat = by_id[line.seat_id]
        if seat.paid_through:
            assert line.start > seat.paid_through  # no day is charged twice
        if seat.valid_until < as_of - timedelta(days=14):
            assert line.start >= as_of  # lapsed 15+ days: forward only


@given(st.dates(min_value=date(1999, 1, 1), max_value=date(2101, 12, 31)),
       st.integers(0, 1200), prices_2dp)
def test_period_split_counts_every_day_once(start, length, price):
    end = start + timedelta(days=length)
    p = split_period(start, end)
    whole_month_days = 0
    cursor = start
    # walk month by month (months, not days) summing the lengths of the whole months
    while cursor <= end:
        nxt = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        month_last = nxt - timedelta(days=1)
        if cursor.day == 1 and month_last <= end:
            whole_month_days += month_last.day
        cursor = nxt
    assert whole_month_days + p.days == length + 1
    assert len(p.partials) <= 2
    assert all(1 <= days < dim for days, dim in p.partials)
    assert 0 <= period_charge(start, end, price) <= price * (p.months + len(p.partials))


@given(st.integers(1999, 2101), st.integers(1, 12), prices_2dp)
def test_a_calendar_month_is_one_whole_month_whatever_its_length(year, month, price):
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    assert split_period(first, last).months == 1
    assert period_charge(first, last, price) == price


@given(as_of_dates, st.data(), positive_prices, positive_prices)
def test_package_change_there_and_back_never_lengthens_validity(as_of, data, price_a, price_b):
    seats = [data.draw(seat_terms(as_of, i)) for i in range(data.draw(st.integers(1, 5)))]
    there = package_change(seats=seats, old_price=price_a, new_price=price_b, as_of=as_of)
    moved = [SeatTerms(c.seat_id, c.valid_until_after, None, as_of) for c in there]
    back = package_change(seats=moved, old_price=price_b, new_price=price_a, as_of=as_of)
    valid = [s for s in seats if s.valid_until >= as_of]
    assert [c.seat_id for c in there] == [s.seat_id for s in valid]  # expired seats left out
    for change, returned in zip(there, back, strict=True):
        assert as_of <= returned.valid_until_after <= change.valid_until_before
        assert change.valid_until_after >= as_of
        if price_b >= price_a:
            assert change.valid_until_after <= change.valid_until_before
        if price_b <= price_a:
            assert change.valid_until_after >= change.valid_until_before
