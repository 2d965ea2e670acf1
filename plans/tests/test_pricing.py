"""Pure pricing maths (plans/pricing/): worked examples for every rule of SPEC §4–5.

No database: these tests build `SeatTerms` snapshots directly. Amounts in the comments are worked
out by hand; the seat price is Base, 59 PLN per month, unless a test says otherwise.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from catalogue.models import BillingPolicy
from plans import services as plan_services
from plans.pricing import (
    DEFAULT_LADDER,
    AddOnLine,
    PricingError,
    QuoteError,
    SeatTerms,
    addon_prorata,
    billing_start,
    days_in_month,
    group_lines,
    package_change,
    period_charge,
    quote_renewal,
    split_period,
)
from seats import services as seat_services
from seats.tests.helpers import seats_pay_through

BASE = Decimal("59")
AUTOMATION = Decimal("119")
VAT = Decimal("23")
AS_OF = date(2026, 11, 16)


def d(text):
    return date.fromisoformat(text)


def paid(seat_id, through, *, created="2026-01-01"):
    """A seat paid (and valid) through `through`."""
    return SeatTerms(seat_id, d(through), d(through), d(created))


def quote(seats, target, *, as_of=AS_OF, new_seats=0, price=BASE, vat=VAT, **kwargs):
    return quote_renewal(seats=seats, new_seats=new_seats, unit_price=price, target_month=target,
                         as_of=as_of, vat_rate=vat, **kwargs)


def only_line(q):
    assert len(q.lines) == 1
    return q.lines[0]


# --- calendar and periods ---------------------------------------------------------------------


def test_days_in_month_knows_28_29_30_31_day_months_and_leap_years():
    assert days_in_month(2027, 2) == 28
    assert days_in_month(2028, 2) == 29  # divisible by 4
    assert days_in_month(2100, 2) == 28  # century, not divisible by 400
    assert days_in_month(2000, 2) == 29  # divisible by 400
    assert days_in_month(2026, 11) == 30
    assert days_in_month(2026, 12) == 31


def test_period_from_first_to_last_day_is_whole_months_only():
    p = split_period(d("2027-01-01"), d("2027-03-31"))
    assert (p.months, p.partials, p.days, p.days_in_month) == (3, (), 0, None)
    assert period_charge(d("2027-01-01"), d("2027-03-31"), BASE) == Decimal("177.00")


def test_period_starting_mid_month_is_partial_first_month_then_whole_months():
    p = split_period(d("2026-11-16"), d("2027-01-31"))
    assert (p.months, p.partials, p.days, p.days_in_month) == (2, ((15, 30),), 15, 30)
    # 59 × 15/30 + 59 × 2 = 29.50 + 118 = 147.50
    assert period_charge(p.start, p.end, BASE) == Decimal("147.50")


def test_period_within_one_month_is_one_partial_month():
    p = split_period(d("2026-11-10"), d("2026-11-19"))
    assert (p.months, p.partials) == (0, ((10, 30),))
    assert split_period(d("2026-11-01"), d("2026-11-30")).months == 1


def test_period_ending_mid_month_has_partial_first_and_last_month():
    p = split_period(d("2026-11-16"), d("2027-01-15"))
    # 16–30 Nov (15/30), December whole, 1–15 Jan (15/31)
    assert (p.months, p.partials, p.days, p.days_in_month) == (1, ((15, 30), (15, 31)), 30, 30)
    # 59 × (1 + 15/30 + 15/31) = 59 + 29.50 + 28.548… = 117.048… → 117.05
    assert period_charge(p.start, p.end, BASE) == Decimal("117.05")


def test_empty_period_costs_nothing():
    assert split_period(d("2026-12-01"), d("2026-11-30")).is_empty
    assert period_charge(d("2026-12-01"), d("2026-11-30"), BASE) == Decimal("0.00")


# --- billing start per seat (SPEC §5) ---------------------------------------------------------


def test_never_paid_seat_is_billed_from_creation_day():
    # Created 2026-11-16, valid to the end of November, never paid; renewed to end of Nov 2026:
    # 16–30 Nov = 15 days of 30 → 15/30 × 59 = 29.50
    seat = SeatTerms(7, d("2026-11-30"), None, d("2026-11-16"))
    line = only_line(quote([seat], (2026, 11)))
    assert (line.seat_id, line.start, line.end) == (7, d("2026-11-16"), d("2026-11-30"))
    assert (line.months, line.days, line.days_in_month) == (0, 15, 30)
    assert (line.unit_price, line.amount) == (BASE, Decimal("29.50"))


def test_paid_seat_is_billed_from_day_after_paid_through():
    # Paid through 2026-11-30, renewed to end of January: 2 whole months × 59 = 118.00
    line = only_line(quote([paid(1, "2026-11-30")], (2027, 1)))
    assert (line.start, line.months, line.days, line.days_in_month) == (d("2026-12-01"), 2, 0,
                                                                       None)
    assert line.amount == Decimal("118.00")


def test_seat_valid_but_paid_only_partly_is_billed_from_day_after_paid_through():
    seat = SeatTerms(1, d("2026-11-30"), d("2026-11-20"), d("2026-01-01"))
    line = only_line(quote([seat], (2026, 11)))
    assert line.start == d("2026-11-21")  # 10/30 × 59 = 19.666… → 19.67
    assert line.amount == Decimal("19.67")


def test_seat_already_paid_through_target_end_has_no_line():
    q = quote([paid(1, "2026-11-30"), SeatTerms(2, d("2026-11-30"), None, d("2026-11-16"))],
              (2026, 11))
    assert [line.seat_id for line in q.lines] == [2]
    assert q.net_before_discount == Decimal("29.50")


def test_grace_days_within_14_days_are_paid_for():
    # Expired 6 days ago (valid through 10 Nov): charged from 11 Nov → 20/30 × 59 = 39.333… → 39.33
    line = only_line(quote([paid(1, "2026-11-10")], (2026, 11)))
    assert (line.start, line.days, line.amount) == (d("2026-11-11"), 20, Decimal("39.33"))


def test_grace_days_are_paid_for_a_seat_expired_exactly_14_days_ago():
    # Valid through 2 Nov, as_of 16 Nov: 14 days → from 3 Nov, 28/30 × 59 = 55.066… → 55.07
    line = only_line(quote([paid(1, "2026-11-02")], (2026, 11)))
    assert (line.start, line.amount) == (d("2026-11-03"), Decimal("55.07"))


def test_seat_expired_15_days_ago_is_charged_forward_only():
    # Valid through 1 Nov, as_of 16 Nov: 15 days → from 16 Nov, 15/30 × 59 = 29.50
    line = only_line(quote([paid(1, "2026-11-01")], (2026, 11)))
    assert (line.start, line.amount) == (AS_OF, Decimal("29.50"))


def test_seat_expired_long_ago_and_never_paid_is_charged_forward_only():
    seat = SeatTerms(1, d("2026-09-30"), None, d("2026-09-10"))
    assert only_line(quote([seat], (2026, 11))).start == AS_OF


def test_grace_rule_charges_the_unpaid_days_before_the_lapse_too():
    # SPEC §5 (clarified): a seat lapsed 1–14 days ago is charged from the day after paid_through,
    # or from its creation day when never paid: the unpaid days before the lapse are paid too.
    never_paid = SeatTerms(1, d("2026-11-10"), None, d("2026-11-01"))
    partly_paid = SeatTerms(2, d("2026-11-10"), d("2026-11-05"), d("2026-01-01"))
    q = quote([never_paid, partly_paid], (2026, 11))
    assert [line.start for line in q.lines] == [d("2026-11-01"), d("2026-11-06")]
    # 1–30 Nov is the whole month: 59.00; 6–30 Nov is 25/30 × 59 = 49.17
    assert [line.amount for line in q.lines] == [Decimal("59.00"), Decimal("49.17")]


def test_grace_rule_never_charges_a_day_already_paid():
    # paid_through beyond valid_until (e.g. after a package change shortened validity)
    seat = SeatTerms(1, d("2026-11-10"), d("2026-11-20"), d("2026-01-01"))
    assert only_line(quote([seat], (2026, 11))).start == d("2026-11-21")


def test_forward_only_rule_never_charges_a_day_already_paid():
    seat = SeatTerms(1, d("2026-10-31"), d("2026-11-20"), d("2026-01-01"))  # lapsed 16 days
    assert only_line(quote([seat], (2026, 11))).start == d("2026-11-21")


def test_new_seats_are_charged_from_as_of_with_no_seat_id():
    q = quote([paid(1, "2026-11-30")], (2026, 12), new_seats=2)
    assert [(line.seat_id, line.start) for line in q.lines] == [
        (1, d("2026-12-01")), (None, AS_OF), (None, AS_OF),
    ]
    # new seats: 59 × (15/30 + 1) = 88.50 each; the old one 59 → 59 + 2 × 88.50 = 236.00
    assert q.net_before_discount == Decimal("236.00")


def test_quote_valid_until_is_last_day_of_target_month():
    q = quote([paid(1, "2026-11-30")], (2027, 2))
    assert q.valid_until == d("2027-02-28")
    assert {line.end for line in q.lines} == {d("2027-02-28")}


def test_target_month_may_be_given_as_any_date_in_it():
    assert quote([paid(1, "2026-11-30")], d("2027-02-10")).valid_until == d("2027-02-28")


# --- months of 28/29/30/31 days ---------------------------------------------------------------


def test_leap_february_2028_counts_29_days():
    # Paid through 14 Feb 2028: 15–29 Feb = 15 days of 29 → 59 × 15/29 = 30.517… → 30.52
    line = only_line(quote([paid(1, "2028-02-14")], (2028, 2), as_of=d("2028-02-10")))
    assert (line.days, line.days_in_month, line.amount) == (15, 29, Decimal("30.52"))


def test_february_2027_counts_28_days():
    # Paid through 14 Feb 2027: 15–28 Feb = 14 days of 28 → 59 × 14/28 = 29.50
    line = only_line(quote([paid(1, "2027-02-14")], (2027, 2), as_of=d("2027-02-10")))
    assert (line.days, line.days_in_month, line.amount) == (14, 28, Decimal("29.50"))


def test_31_day_month_partial():
    # Paid through 10 Dec: 11–31 Dec = 21 days of 31 → 59 × 21/31 = 39.967… → 39.97
    line = only_line(quote([paid(1, "2026-12-10")], (2026, 12), as_of=d("2026-12-05")))
    assert (line.days, line.days_in_month, line.amount) == (21, 31, Decimal("39.97"))


def test_period_starting_on_the_31st():
    # Paid through 30 Jan 2027, to end of March: 31 Jan (1/31) + Feb + Mar
    # → 59/31 + 2 × 59 = 1.903… + 118 = 119.903… → 119.90
    line = only_line(quote([paid(1, "2027-01-30")], (2027, 3), as_of=d("2027-01-20")))
    assert (line.start, line.months, line.days, line.days_in_month) == (d("2027-01-31"), 2, 1, 31)
    assert line.amount == Decimal("119.90")


def test_leap_day_alone_is_one_29th_of_a_month():
    # 29 Feb 2028 only: 59/29 = 2.034… → 2.03
    line = only_line(quote([paid(1, "2028-02-28")], (2028, 2), as_of=d("2028-02-20")))
    assert (line.start, line.days, line.amount) == (d("2028-02-29"), 1, Decimal("2.03"))


def test_whole_leap_year_costs_twelve_months():
    assert period_charge(d("2028-01-01"), d("2028-12-31"), BASE) == Decimal("708.00")


# --- rounding ---------------------------------------------------------------------------------


def test_line_amount_rounds_half_up():
    # 0.05 × 15/30 = 0.025 → 0.03 (ROUND_HALF_EVEN would give 0.02)
    seat = SeatTerms(1, d("2026-11-30"), None, d("2026-11-16"))
    assert only_line(quote([seat], (2026, 11), price=Decimal("0.05"))).amount == Decimal("0.03")


def test_totals_are_sums_of_rounded_lines():
    # Three seats, 21/31 × 59 = 39.967… → 39.97 each → 119.91 (not 3 × 39.967… = 119.90)
    seats = [paid(i, "2026-12-10") for i in (1, 2, 3)]
    q = quote(seats, (2026, 12), as_of=d("2026-12-05"))
    assert q.net_before_discount == Decimal("119.91")


def test_discount_is_rounded_once_on_the_whole_net_and_vat_once_on_net_after_discount():
    # Two seats × 6 months × 59.99 = 2 × 359.94 = 719.88; term 6 → 5 %:
    # discount 35.994 → 35.99 (per line it would be 2 × 18.00 = 36.00); net 683.89;
    # VAT 23 % of 683.89 = 157.2947 → 157.29 (per line 2 × 78.65 = 157.30); gross 841.18
    q = quote([paid(1, "2026-11-30"), paid(2, "2026-11-30")], (2027, 5), price=Decimal("59.99"))
    assert q.term_months == 6
    assert (q.net_before_discount, q.discount_percent, q.discount) == (
        Decimal("719.88"), Decimal("5"), Decimal("35.99"))
    assert (q.net, q.vat_rate, q.vat, q.gross) == (
        Decimal("683.89"), VAT, Decimal("157.29"), Decimal("841.18"))


def test_vat_rate_zero_gives_gross_equal_to_net():
    q = quote([paid(1, "2026-11-30")], (2027, 1), vat=Decimal("0"))
    assert (q.vat, q.gross) == (Decimal("0.00"), Decimal("118.00"))


def test_all_amounts_have_exactly_two_decimal_places():
    q = quote([paid(1, "2026-11-30")], (2027, 5), price=Decimal("59"),
              add_ons=[AddOnLine("chat", 1, Decimal("49"))])
    amounts = [line.amount for line in q.lines + q.add_on_lines]
    amounts += [q.net_before_discount, q.discount, q.net, q.vat, q.gross]
    assert all(a.as_tuple().exponent == -2 for a in amounts)


# --- discount ladder by term ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "term", "percent"),
    [
        ((2026, 11), 0, "0"),  # renewing to the current validity month itself
        ((2027, 4), 5, "0"),
        ((2027, 5), 6, "5"),
        ((2027, 10), 11, "5"),
        ((2027, 11), 12, "10"),
        ((2028, 10), 23, "10"),
        ((2028, 11), 24, "15"),
        ((2029, 11), 36, "15"),
    ],
)
def test_discount_ladder_by_term_months(target, term, percent):
    # Account valid through 30 Nov 2026: the term counts from December 2026.
    q = quote([paid(1, "2026-11-30")], target)
    assert (q.term_months, q.discount_percent) == (term, Decimal(percent))


def test_discount_ladder_6_months_5_percent():
    # 6 × 59 = 354.00; 5 % = 17.70; net 336.30; VAT 77.349 → 77.35; gross 413.65
    q = quote([paid(1, "2026-11-30")], (2027, 5))
    assert (q.net_before_discount, q.discount, q.net, q.vat, q.gross) == tuple(
        map(Decimal, ("354.00", "17.70", "336.30", "77.35", "413.65")))


def test_discount_ladder_12_months_10_percent():
    q = quote([paid(1, "2026-11-30")], (2027, 11))  # 12 × 59 = 708.00 → 70.80
    assert (q.discount_percent, q.discount, q.net) == (
        Decimal("10"), Decimal("70.80"), Decimal("637.20"))


def test_discount_ladder_24_months_15_percent():
    q = quote([paid(1, "2026-11-30")], (2028, 11))  # 24 × 59 = 1416.00 → 212.40
    assert (q.discount_percent, q.discount, q.net) == (
        Decimal("15"), Decimal("212.40"), Decimal("1203.60"))


def test_default_ladder_makes_24_months_cheaper_than_23_after_discount():
    # A property of the SPEC defaults, kept visible: 23 × 59 × 0.90 = 1221.30 > 24 × 59 × 0.85
    # = 1203.60. Before discount, extending further never costs less (see the properties).
    q23 = quote([paid(1, "2026-11-30")], (2028, 10))
    q24 = quote([paid(1, "2026-11-30")], (2028, 11))
    assert q23.net_before_discount < q24.net_before_discount
    assert q23.net == Decimal("1221.30") > q24.net


def test_term_counts_from_month_after_current_validity():
    # Valid through 31 Dec 2026: January–June 2027 = 6 months.
    q = quote([paid(1, "2026-12-31")], (2027, 6))
    assert (q.term_months, q.discount_percent) == (6, Decimal("5"))


def test_term_counts_from_the_latest_valid_seat():
    q = quote([paid(1, "2026-11-30"), paid(2, "2026-12-31")], (2027, 6))
    assert q.term_months == 6  # from January, although seat 1 also pays December


def test_term_counts_from_as_of_month_when_nothing_is_valid():
    # Expired 20 days ago: November 2026–April 2027 = 6 months.
    q = quote([paid(1, "2026-10-27")], (2027, 4))
    assert (q.term_months, q.discount_percent) == (6, Decimal("5"))


def test_term_counts_from_as_of_month_while_the_account_is_in_grace():
    q = quote([paid(1, "2026-11-13")], (2027, 4))  # expired 3 days ago
    assert q.term_months == 6


def test_custom_ladder_is_used():
    ladder = ((3, Decimal("2.5")), (6, Decimal("7")))
    q = quote([paid(1, "2026-11-30")], (2027, 2), ladder=ladder)  # 3 months × 59 = 177.00
    assert (q.discount_percent, q.discount) == (Decimal("2.5"), Decimal("4.43"))  # 4.425 → 4.43
    assert DEFAULT_LADDER[0] == (6, Decimal("5"))


# --- add-on packs -----------------------------------------------------------------------------


def test_add_ons_are_charged_from_day_after_account_validity():
    # 2 packs × 49.00 from 1 Dec to 31 Jan: 2 months × 98.00 = 196.00
    q = quote([paid(1, "2026-11-30")], (2027, 1), add_ons=[AddOnLine("chat", 2, Decimal("49"))])
    (line,) = q.add_on_lines
    assert (line.code, line.packs, line.start, line.end) == ("chat", 2, d("2026-12-01"),
                                                             d("2027-01-31"))
    assert (line.months, line.days, line.unit_price, line.amount) == (2, 0, Decimal("49"),
                                                                      Decimal("196.00"))
    assert q.net_before_discount == Decimal("314.00")  # 118.00 seats + 196.00 add-ons


def test_add_ons_are_charged_from_as_of_when_nothing_is_valid():
    # Expired 20 days ago: 16 Nov–31 Dec → 98 × (15/30 + 1) = 147.00
    q = quote([paid(1, "2026-10-27")], (2026, 12), add_ons=[AddOnLine("chat", 2, Decimal("49"))])
    assert (q.add_on_lines[0].start, q.add_on_lines[0].amount) == (AS_OF, Decimal("147.00"))


def test_add_on_line_may_start_on_its_own_day():
    # One new pack bought in an end-of-month renewal: 16–30 Nov → 49 × 15/30 = 24.50
    q = quote([paid(1, "2026-11-30")], (2026, 11),
              add_ons=[AddOnLine("chat", 1, Decimal("49"), start=AS_OF)])
    assert q.add_on_lines[0].amount == Decimal("24.50")


def test_add_ons_with_nothing_to_charge_have_no_line():
    q = quote([paid(1, "2026-11-30")], (2026, 11),
              add_ons=[AddOnLine("chat", 2, Decimal("49")), AddOnLine("sms", 0, Decimal("9"))])
    assert q.add_on_lines == ()


def test_discount_applies_to_add_ons_too():
    # 6 months: seats 354.00 + add-on 6 × 49 = 294.00 → 648.00; 5 % = 32.40
    q = quote([paid(1, "2026-11-30")], (2027, 5), add_ons=[AddOnLine("chat", 1, Decimal("49"))])
    assert (q.net_before_discount, q.discount) == (Decimal("648.00"), Decimal("32.40"))


def test_addon_prorata_from_as_of_to_validity_end():
    # 2 packs × 20.00, 16–30 Nov: 40 × 15/30 = 20.00
    assert addon_prorata(packs=2, price_per_pack=Decimal("20"), as_of=AS_OF,
                         until=d("2026-11-30")) == Decimal("20.00")


def test_addon_prorata_to_mid_month_counts_both_partial_months():
    # 16 Nov–15 Dec: 40 × 15/30 + 40 × 15/31 = 20 + 19.354… = 39.354… → 39.35
    assert addon_prorata(packs=2, price_per_pack=Decimal("20"), as_of=AS_OF,
                         until=d("2026-12-15")) == Decimal("39.35")


def test_addon_prorata_after_validity_end_is_zero():
    assert addon_prorata(packs=2, price_per_pack=Decimal("20"), as_of=AS_OF,
                         until=d("2026-11-15")) == Decimal("0.00")


# --- refused quotes ---------------------------------------------------------------------------


def test_target_month_in_the_past_is_refused():
    with pytest.raises(QuoteError, match="2026-10 is in the past"):
        quote([paid(1, "2026-10-31")], (2026, 10))


def test_target_month_before_current_validity_is_refused():
    with pytest.raises(QuoteError, match=r"current validity \(2027-01-31\); pick 2027-01"):
        quote([paid(1, "2027-01-31")], (2026, 12))


def test_target_month_more_than_36_months_ahead_is_refused():
    assert quote([paid(1, "2026-11-30")], (2029, 11)).valid_until == d("2029-11-30")
    with pytest.raises(QuoteError, match="after 2029-11, the furthest month"):
        quote([paid(1, "2026-11-30")], (2029, 12))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"new_seats": -1},
        {"price": 59.0},
        {"price": Decimal("-1")},
        {"vat": Decimal("NaN")},
        {"add_ons": [AddOnLine("chat", -1, Decimal("49"))]},
        {"add_ons": [AddOnLine("chat", 1, 49.0)]},
    ],
)
def test_malformed_inputs_are_refused_with_quote_error(kwargs):
    with pytest.raises(QuoteError):
        quote([paid(1, "2026-11-30")], (2026, 12), **kwargs)


def test_quote_error_is_a_value_error():
    assert issubclass(QuoteError, PricingError)
    assert issubclass(PricingError, ValueError)


# --- grouping for the details view ------------------------------------------------------------


def test_group_lines_groups_seats_with_identical_periods():
    seats = [paid(1, "2026-11-30"), paid(2, "2026-11-30"),
             SeatTerms(3, d("2026-11-30"), None, d("2026-11-16"))]
    q = quote(seats, (2026, 12), new_seats=2)
    first, second = group_lines(q.lines)
    # 16 Nov–31 Dec: 59 × (15/30 + 1) = 88.50, for seat 3 and two new seats → 265.50
    assert (first.start, first.seat_ids, first.new_seats, first.count) == (AS_OF, (3,), 2, 3)
    assert (first.months, first.days, first.days_in_month, first.amount) == (
        1, 15, 30, Decimal("265.50"))
    assert (second.start, second.seat_ids, second.amount) == (d("2026-12-01"), (1, 2),
                                                              Decimal("118.00"))
    assert first.amount + second.amount == q.net_before_discount


# --- package change (SPEC §4) -----------------------------------------------------------------


def test_package_change_base_to_automation_checked_example():
    # 46 days left × 59/119 = 22.8 → 22 days: 15 Nov + 22 = 7 Dec
    (change,) = package_change(seats=[paid(1, "2026-12-31")], old_price=BASE,
                               new_price=AUTOMATION, as_of=d("2026-11-15"))
    assert change == (1, d("2026-12-31"), d("2026-12-07"))


def test_package_change_automation_to_base_checked_example():
    # 46 days left × 119/59 = 92.78 → 92 days: 15 Nov + 92 = 15 Feb
    (change,) = package_change(seats=[paid(1, "2026-12-31")], old_price=AUTOMATION,
                               new_price=BASE, as_of=d("2026-11-15"))
    assert change == (1, d("2026-12-31"), d("2027-02-15"))


def test_package_change_leaves_expired_seats_out():
    seats = [paid(1, "2026-12-31"), paid(2, "2026-11-14"), paid(3, "2026-11-15")]
    changes = package_change(seats=seats, old_price=BASE, new_price=AUTOMATION,
                             as_of=d("2026-11-15"))
    # seat 2 expired: untouched and not listed; seat 3 valid through today: 0 days left, unchanged
    assert [(c.seat_id, c.valid_until_after) for c in changes] == [
        (1, d("2026-12-07")), (3, d("2026-11-15"))]


def test_package_change_floors_with_exact_arithmetic():
    # 3 days × 0.7 / 0.1 = 21 exactly; with floats it is 20.999… and would floor to 20
    seat = SeatTerms(1, AS_OF + timedelta(days=3), None, AS_OF)
    (change,) = package_change(seats=[seat], old_price=Decimal("0.7"),
                               new_price=Decimal("0.1"), as_of=AS_OF)
    assert change.valid_until_after == AS_OF + timedelta(days=21)


def test_package_change_to_a_free_package_is_refused():
    with pytest.raises(PricingError):
        package_change(seats=[], old_price=BASE, new_price=Decimal("0"), as_of=AS_OF)


def test_package_change_past_the_end_of_the_calendar_is_refused():
    seat = SeatTerms(1, date(2100, 12, 31), None, AS_OF)
    with pytest.raises(PricingError, match="calendar"):
        package_change(seats=[seat], old_price=Decimal("1000"), new_price=Decimal("0.01"),
                       as_of=AS_OF)


# --- the paid-grace limit comes from the billing policy (SPEC §5, issue 8) --------------------


def test_paid_grace_limit_is_a_parameter_defaulting_to_14_days():
    # Valid through 5 Nov, as_of 16 Nov: expired 11 days ago
    seat = paid(1, "2026-11-05")
    assert billing_start(seat, as_of=AS_OF) == d("2026-11-06")
    assert billing_start(seat, as_of=AS_OF, grace_days=11) == d("2026-11-06")
    assert billing_start(seat, as_of=AS_OF, grace_days=10) == AS_OF
    assert only_line(quote([seat], (2026, 11), grace_days=10)).start == AS_OF
    assert only_line(quote([seat], (2026, 11), grace_days=11)).start == d("2026-11-06")


@pytest.mark.parametrize("grace_days", [-1, 14.0, True])
def test_a_malformed_paid_grace_limit_is_refused(grace_days):
    with pytest.raises(QuoteError, match="paid grace days"):
        quote([paid(1, "2026-11-05")], (2026, 11), grace_days=grace_days)


@pytest.mark.django_db
def test_renewal_quote_reads_the_paid_grace_limit_from_the_billing_policy_row(catalogue):
    """The one database test here: the quote service passes the policy row's limit."""
    account = seat_services.account_create(name="Acme", package_code="base", country="PL",
                                           trial=False, actor=None, as_of=d("2026-10-01"))
    [seat] = seat_services.seats_add(account=account, count=1, actor=None, as_of=d("2026-10-01"))
    seats_pay_through([seat], d("2026-11-05"))  # as a booked renewal; 16 Nov is day 11 after

    def start():
        q = plan_services.renewal_quote(account=account, until=(2026, 11), as_of=AS_OF)
        return only_line(q).start

    BillingPolicy.objects.update_or_create(pk=BillingPolicy.SINGLETON_ID,
                                           defaults={"renewal_paid_grace_days": 14})
    assert start() == d("2026-11-06")  # within 14 days: the grace days are paid
    BillingPolicy.objects.filter(pk=BillingPolicy.SINGLETON_ID).update(renewal_paid_grace_days=10)
    assert start() == AS_OF  # day 11 > 10: forward only
