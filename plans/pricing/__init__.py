"""Pricing maths: renewal quotes, add-on packs and package changes (SPEC §4–5).

Pure functions over frozen snapshots: no database, no Django, no clock. Every function takes the
business date it works for (`as_of`) explicitly; services load the rows, call these functions and
store what they return.

Conventions
- Periods are inclusive of both ends (`valid_until` is inclusive, SPEC §2).
- A period costs `price × (whole calendar months + Σ partial-month days ÷ days in that month)`
  (SPEC §5). The sum is kept exact (integer ratios, never floats) and rounded once per line to
  2 places, ROUND_HALF_UP. Totals are sums of rounded lines; the discount is computed once on the
  whole renewal net and VAT once on the net after discount.
- Prices and rates are `Decimal` (an `int` is accepted); a `float` is refused with `PricingError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from .arithmetic import (
    Period,
    PricingError,
    QuoteError,
    _count,
    _line_terms,
    _money,
    _month_index,
    _ratio,
    _round_half_up,
    add_months,
    addon_prorata,
    days_in_month,
    month_end,
    period_charge,
    split_period,
)

__all__ = [
    "DEFAULT_LADDER", "GRACE_PAID_DAYS", "MAX_MONTHS_AHEAD", "AddOnLine", "AddOnQuoteLine",
    "LineGroup", "Period", "PricingError", "Quote", "QuoteError", "QuoteLine", "SeatChange",
    "SeatTerms", "account_valid_until", "add_months", "addon_prorata", "base_month",
    "billing_start", "chargeable_from", "days_in_month", "discount_percent",
    "furthest_target_month", "group_lines", "month_end", "package_change", "period_charge",
    "quote_renewal", "renewal_start", "split_period", "term_months",
]

Ladder = Sequence[tuple[int, Decimal]]

# (min_months, percent): the highest rung whose min_months <= term applies (SPEC §5 defaults).
DEFAULT_LADDER: tuple[tuple[int, Decimal], ...] = (
    (6, Decimal("5")),
    (12, Decimal("10")),
    (24, Decimal("15")),
)
# A seat expired 1–14 days ago pays from its billing start; from day 15 on, forward only. The
# default of `grace_days` below; services pass `BillingPolicy.renewal_paid_grace_days` instead.
GRACE_PAID_DAYS = 14
# The furthest target month, counted from the later of as_of's month and the validity's month.
MAX_MONTHS_AHEAD = 36

ZERO = Decimal("0.00")


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeatTerms:
    """What pricing needs to know about one seat. `paid_through` is None for a never-paid seat."""

    seat_id: int | None
    valid_until: date
    paid_through: date | None
    created_on: date


@dataclass(frozen=True, slots=True)
class AddOnLine:
    """`packs` packs of add-on `code` at `price_per_pack` per month, renewed with the seats.

    `start` is None for packs renewed over the account's renewal span (see `renewal_start`); pass
    a date to charge a line from another day, e.g. packs bought within this renewal from `as_of`.
    """

    code: str
    packs: int
    price_per_pack: Decimal
    start: date | None = None


# --- outputs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """One seat's charge. `seat_id` is None for a seat added in this renewal."""

    seat_id: int | None
    start: date
    end: date
    months: int
    days: int
    days_in_month: int | None  # None when the period is whole months only
    unit_price: Decimal
    amount: Decimal
    # (days covered, days in that month) of each partial month, in date order; a seat line ends
    # on a month end, so it has at most one; `days`/`days_in_month` are its first.
    partials: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class AddOnQuoteLine:
    """One add-on's charge: `packs × unit_price` (per pack per month) over the period."""

    code: str
    packs: int
    start: date
    end: date
    months: int
    days: int
    days_in_month: int | None
    unit_price: Decimal
    amount: Decimal
    partials: tuple[tuple[int, int], ...] = ()  # as in `QuoteLine`


@dataclass(frozen=True, slots=True)
class Quote:
    """A renewal quote; applying it sets every quoted seat (and the new ones) to `valid_until`.

    Seats with nothing to pay (already paid through the target end) have no line.
    `net_before_discount` = Σ line amounts + Σ add-on line amounts; `net` = that − `discount`;
    `gross` = `net` + `vat`. Percent fields are percents (Decimal("23") is 23 %).
    """

    lines: tuple[QuoteLine, ...]
    add_on_lines: tuple[AddOnQuoteLine, ...]
    net_before_discount: Decimal
    discount_percent: Decimal
    discount: Decimal
    net: Decimal
    vat_rate: Decimal
    vat: Decimal
    gross: Decimal
    valid_until: date
    term_months: int


@dataclass(frozen=True, slots=True)
class LineGroup:
    """Seat lines sharing one period and price (the "per group of seats" view of SPEC §5)."""

    start: date
    end: date
    months: int
    days: int
    days_in_month: int | None
    unit_price: Decimal
    seat_ids: tuple[int, ...]  # existing seats, in line order
    new_seats: int  # seats added in the renewal
    amount: Decimal  # sum of the rounded line amounts
    partials: tuple[tuple[int, int], ...] = ()  # as in `QuoteLine`

    @property
    def count(self) -> int:
        return len(self.seat_ids) + self.new_seats


class SeatChange(NamedTuple):
    """One valid seat's validity before and after a package change (unpacks as a 3-tuple)."""

    seat_id: int | None
    valid_until_before: date
    valid_until_after: date


# --- renewal rules ----------------------------------------------------------------------------


def billing_start(seat: SeatTerms, *, as_of: date, free_through: date | None = None,
                  grace_days: int = GRACE_PAID_DAYS) -> date:
    """The first day a renewal charges for this seat (SPEC §5).

    The day after `paid_through`, or the creation day of a never-paid seat. This holds for a
    valid seat and for one that expired 1–`grace_days` (default 14) days before `as_of`: the
    unpaid days before the lapse and the grace days after it are all paid. A seat that expired
    longer ago (15 or more days by default) is charged forward only, from `as_of` (or from its
    billing start when that is later, so no day is charged twice). Days up to `free_through`
    (the last day of a free trial) are never charged: billing starts no earlier than the day
    after it.
    """
    _count(grace_days, "The paid grace days")
    start = seat.paid_through + timedelta(days=1) if seat.paid_through else seat.created_on
    if (as_of - seat.valid_until).days > grace_days:
        start = max(start, as_of)
    return chargeable_from(start, free_through)


def chargeable_from(start: date, free_through: date | None) -> date:
    """`start`, or the day after `free_through` (the last free day of a trial) when `start`
    falls on or before it: trial days are never charged (SPEC §5)."""
    if free_through is not None and start <= free_through:
        return free_through + timedelta(days=1)
    return start


def account_valid_until(seats: Iterable[SeatTerms]) -> date | None:
    """The account is valid while any seat is: the latest `valid_until`, None without seats."""
    return max((s.valid_until for s in seats), default=None)


def _valid(current_valid_until: date | None, as_of: date) -> bool:
    """Whether the account is still valid on `as_of`: valid through today counts as valid."""
    return current_valid_until is not None and current_valid_until >= as_of


def renewal_start(*, current_valid_until: date | None, as_of: date) -> date:
    """Where the account's renewal span starts: the day after its validity, or `as_of` when
    nothing is valid any more (an account valid through `as_of` itself starts tomorrow).
    Add-on packs already bought are charged from here."""
    if _valid(current_valid_until, as_of):
        return current_valid_until + timedelta(days=1)
    return as_of


def base_month(*, current_valid_until: date | None, as_of: date) -> tuple[int, int]:
    """(year, month) the target-month shortcuts and the term count from (SPEC §5): the month of
    the account's validity while it is valid, else `as_of`'s month. "+N months" is this + N."""
    if _valid(current_valid_until, as_of):
        return current_valid_until.year, current_valid_until.month
    return as_of.year, as_of.month


def furthest_target_month(*, current_valid_until: date | None, as_of: date
                          ) -> tuple[int, int]:
    """The furthest month a renewal may target (SPEC §5): 36 months after the later of `as_of`'s
    month and the validity's month, so that an account valid far ahead (e.g. after a downgrade
    converted its time) can always be renewed."""
    later = as_of if current_valid_until is None else max(as_of, current_valid_until)
    return add_months((later.year, later.month), MAX_MONTHS_AHEAD)


def term_months(*, current_valid_until: date | None, target_end: date, as_of: date) -> int:
    """Months from the month after the account's validity (from `as_of`'s month when nothing is
    valid) to the target month, inclusive; 0 when the target is that validity's own month."""
    if _valid(current_valid_until, as_of):
        first = _month_index(current_valid_until.year, current_valid_until.month) + 1
    else:
        first = _month_index(as_of.year, as_of.month)
    return max(0, _month_index(target_end.year, target_end.month) - first + 1)


def discount_percent(term: int, ladder: Ladder = DEFAULT_LADDER) -> Decimal:
    """The percent of the highest rung with `min_months <= term`; 0 below the first rung."""
    best_min, best = 0, Decimal(0)
    for min_months, percent in ladder:
        _ratio(percent, "A discount percent")
        if percent > 100:
            raise PricingError("A discount percent cannot exceed 100.")
        if best_min <= min_months <= term:
            best_min, best = min_months, Decimal(percent)
    return best


def _target(target_month: tuple[int, int] | date) -> tuple[int, int]:
    if isinstance(target_month, date):
        return target_month.year, target_month.month
    year, month = target_month
    if not 1 <= month <= 12:
        raise QuoteError(f"{month} is not a month.")
    return year, month


def quote_renewal(
    *,
    seats: Iterable[SeatTerms],
    new_seats: int,
    unit_price: Decimal,
    target_month: tuple[int, int] | date,
    as_of: date,
    ladder: Ladder = DEFAULT_LADDER,
    vat_rate: Decimal,
    add_ons: Iterable[AddOnLine] = (),
    free_through: date | None = None,
    grace_days: int = GRACE_PAID_DAYS,
) -> Quote:
    """Quote extending `seats` (an iterable of `SeatTerms`) plus `new_seats` new seats to the last
    day of `target_month` ((year, month) or any date in that month), as of `as_of`.

    Lines keep the order of `seats`, then one line per new seat (charged from `as_of`). Each seat
    is charged from its `billing_start`. `free_through` is the last day of the account's free
    trial (None when it has none): no line, of a seat, a new seat or an add-on, charges a day up
    to it (SPEC §5). `grace_days` is the paid-grace limit of `billing_start` (the billing
    policy's `renewal_paid_grace_days`). Raises `QuoteError` for a target month before `as_of`'s
    month, ending before the account's current validity, or after `furthest_target_month`.
    """
    seats = tuple(seats)
    year, month = _target(target_month)
    ym, now = f"{year:04d}-{month:02d}", _month_index(as_of.year, as_of.month)
    current = account_valid_until(seats)
    if _month_index(year, month) < now:
        raise QuoteError(f"The target month {ym} is in the past.")
    furthest = furthest_target_month(current_valid_until=current, as_of=as_of)
    if _month_index(year, month) > _month_index(*furthest):
        raise QuoteError(f"The target month {ym} is after {furthest[0]:04d}-{furthest[1]:02d}, "
                         f"the furthest month a renewal can reach.")
    end = month_end(year, month)
    if current is not None and end < current:
        raise QuoteError(
            f"The target month {ym} ends before the seats' current validity ({current}); "
            f"pick {current:%Y-%m} or later."
        )
    _count(new_seats, "The number of new seats", QuoteError)
    price = _ratio(unit_price, "The seat price", QuoteError)
    vat = _ratio(vat_rate, "The VAT rate", QuoteError)
    _count(grace_days, "The paid grace days", QuoteError)

    unit_price = Decimal(unit_price)
    # Seats of one account mostly share a billing start: price each distinct period once.
    cache: dict[date, tuple[int, tuple[tuple[int, int], ...], int]] = {}
    lines: list[QuoteLine] = []
    total = 0
    starts = [(s.seat_id, billing_start(s, as_of=as_of, free_through=free_through,
                                        grace_days=grace_days))
              for s in seats]
    new_start = chargeable_from(as_of, free_through)
    for seat_id, start in starts + [(None, new_start)] * new_seats:
        if start > end:  # already paid through the target end: nothing to charge, no line
            continue
        terms = cache.get(start)
        if terms is None:
            terms = cache[start] = _line_terms(start, end, price, 1)
        months, partials, cents = terms
        days, dim = partials[0] if partials else (0, None)
        lines.append(QuoteLine(seat_id, start, end, months, days, dim, unit_price,
                               _money(cents), partials))
        total += cents

    span_start = renewal_start(current_valid_until=current, as_of=as_of)
    add_on_lines: list[AddOnQuoteLine] = []
    for add_on in add_ons:
        _count(add_on.packs, f"The number of {add_on.code} packs", QuoteError)
        pack_price = _ratio(add_on.price_per_pack, f"The {add_on.code} pack price", QuoteError)
        start = chargeable_from(add_on.start or span_start, free_through)
        if add_on.packs == 0 or start > end:
            continue
        months, partials, cents = _line_terms(start, end, pack_price, add_on.packs)
        days, dim = partials[0] if partials else (0, None)
        add_on_lines.append(AddOnQuoteLine(add_on.code, add_on.packs, start, end, months, days,
                                           dim, Decimal(add_on.price_per_pack), _money(cents),
                                           partials))
        total += cents

    term = term_months(current_valid_until=current, target_end=end, as_of=as_of)
    percent = discount_percent(term, ladder)
    pct = percent.as_integer_ratio()
    discount = _round_half_up(total * pct[0], pct[1] * 100)  # cents × percent ÷ 100
    net = total - discount
    vat_cents = _round_half_up(net * vat[0], vat[1] * 100)
    return Quote(
        lines=tuple(lines),
        add_on_lines=tuple(add_on_lines),
        net_before_discount=_money(total),
        discount_percent=percent,
        discount=_money(discount),
        net=_money(net),
        vat_rate=Decimal(vat_rate),
        vat=_money(vat_cents),
        gross=_money(net + vat_cents),
        valid_until=end,
        term_months=term,
    )


def group_lines(lines: Iterable[QuoteLine]) -> tuple[LineGroup, ...]:
    """Seat lines grouped by identical (start, end, unit_price), ordered by start then end."""
    groups: dict[tuple[date, date, Decimal], list[QuoteLine]] = {}
    for line in lines:
        groups.setdefault((line.start, line.end, line.unit_price), []).append(line)
    result = []
    for (start, end, unit_price), members in sorted(groups.items(), key=lambda kv: kv[0][:2]):
        first = members[0]
        result.append(LineGroup(
            start, end, first.months, first.days, first.days_in_month, unit_price,
            tuple(m.seat_id for m in members if m.seat_id is not None),
            sum(1 for m in members if m.seat_id is None),
            sum((m.amount for m in members), ZERO),
            first.partials,
        ))
    return tuple(result)


# --- package change ---------------------------------------------------------------------------


def package_change(
    *, seats: Iterable[SeatTerms], old_price: Decimal, new_price: Decimal, as_of: date
) -> list[SeatChange]:
    """Convert each valid seat's remaining time at the price ratio (SPEC §4):
    `as_of + floor((valid_until − as_of).days × old_price / new_price)` days.

    Only seats still valid on `as_of` (`valid_until >= as_of`) are listed, each even when its date
    does not move; expired seats are left out and stay untouched. Exact integer arithmetic.
    """
    old = _ratio(old_price, "old_price")
    new = _ratio(new_price, "new_price")
    if old[0] == 0 or new[0] == 0:
        raise PricingError("Package prices must be above zero to convert remaining time.")
    num, den = old[0] * new[1], old[1] * new[0]
    changes = []
    for seat in seats:
        if seat.valid_until < as_of:
            continue
        remaining = (seat.valid_until - as_of).days
        try:
            after = as_of + timedelta(days=remaining * num // den)
        except OverflowError:  # only for absurd price ratios
            raise PricingError("This price ratio moves validity past the calendar's end.") from None
        changes.append(SeatChange(seat.seat_id, seat.valid_until, after))
    return changes
