"""Calendar periods and exact money, the building blocks of the pricing maths (SPEC §2, §5).

Pure: no database, no Django, no clock. Periods are inclusive of both ends; a period is split into
whole calendar months and partial months (days covered of that month's days); money is kept as
exact integer ratios and rounded once to cents, ROUND_HALF_UP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class PricingError(ValueError):
    """Any input this module refuses; the message is meant for the person who asked."""


class QuoteError(PricingError):
    """A renewal that cannot be quoted (target month in the past, too far ahead, ...)."""


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive period split into whole calendar months and partial months.

    `partials` holds `(days covered, days in that month)` for the partial first and/or last month,
    in date order. `days` is their total; `days_in_month` is that of the first partial month, None
    when there is none (a renewal period ends on a month end, so it has at most one partial month
    and the pair is exact; a general period may have two — read `partials` then).
    """

    start: date
    end: date
    months: int
    partials: tuple[tuple[int, int], ...]

    @property
    def days(self) -> int:
        return sum(d for d, _ in self.partials)

    @property
    def days_in_month(self) -> int | None:
        return self.partials[0][1] if self.partials else None

    @property
    def is_empty(self) -> bool:
        return self.end < self.start


# --- calendar ---------------------------------------------------------------------------------


def days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


def month_end(year: int, month: int) -> date:
    return date(year, month, days_in_month(year, month))


def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _split(start: date, end: date) -> tuple[int, tuple[tuple[int, int], ...]]:
    if end < start:
        return 0, ()
    s_dim = days_in_month(start.year, start.month)
    e_dim = days_in_month(end.year, end.month)
    whole_first = start.day == 1
    whole_last = end.day == e_dim
    if start.year == end.year and start.month == end.month:
        if whole_first and whole_last:
            return 1, ()
        return 0, ((end.day - start.day + 1, s_dim),)
    months = _month_index(end.year, end.month) - _month_index(start.year, start.month) - 1
    partials: list[tuple[int, int]] = []
    if whole_first:
        months += 1
    else:
        partials.append((s_dim - start.day + 1, s_dim))
    if whole_last:
        months += 1
    else:
        partials.append((end.day, e_dim))
    return months, tuple(partials)


def split_period(start: date, end: date) -> Period:
    """Whole months and partial months of `start`..`end` inclusive (empty when end < start).

    1 Jan–31 Mar is 3 months; 16 Nov–31 Jan is (15 of 30 days) + 2 months; 15 Jan–14 Feb is
    (17 of 31) + (14 of 28) with no whole month.
    """
    months, partials = _split(start, end)
    return Period(start, end, months, partials)


# --- exact money ------------------------------------------------------------------------------


def _ratio(value: Decimal | int, name: str, error: type[PricingError] = PricingError
           ) -> tuple[int, int]:
    """A non-negative Decimal (or int) as an exact (numerator, denominator)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise error(f"{name} must be a Decimal, got {type(value).__name__}.")
    if isinstance(value, Decimal) and not value.is_finite():
        raise error(f"{name} must be a finite amount.")
    if value < 0:
        raise error(f"{name} cannot be negative.")
    return value.as_integer_ratio()


def _count(value: int, what: str, error: type[PricingError] = PricingError) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise error(f"{what} must be a whole number, 0 or more.")


def _round_half_up(num: int, den: int) -> int:
    """`num / den` (den > 0) rounded to a whole number, halves away from zero (ROUND_HALF_UP)."""
    rounded = (abs(num) * 2 + den) // (2 * den)
    return rounded if num >= 0 else -rounded


def _round_cents(num: int, den: int) -> int:
    """`num / den` currency units as whole cents, ROUND_HALF_UP."""
    return _round_half_up(num * 100, den)


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _period_cents(months: int, partials: Iterable[tuple[int, int]], price: tuple[int, int],
                  quantity: int = 1) -> int:
    """price × quantity × (months + Σ days/dim), exactly, rounded once to cents."""
    num, den = months, 1
    for days, dim in partials:
        num, den = num * dim + days * den, den * dim
    return _round_cents(price[0] * quantity * num, price[1] * den)


def _line_terms(start: date, end: date, price: tuple[int, int], quantity: int
                ) -> tuple[int, tuple[tuple[int, int], ...], int]:
    """(whole months, partial months, cents) of a line: `price × quantity` over start..end."""
    months, partials = _split(start, end)
    return months, partials, _period_cents(months, partials, price, quantity)


def period_charge(start: date, end: date, monthly_price: Decimal) -> Decimal:
    """The price of `start`..`end` inclusive at `monthly_price` per month; 0.00 when empty."""
    months, partials = _split(start, end)
    return _money(_period_cents(months, partials, _ratio(monthly_price, "monthly_price")))


def addon_prorata(*, packs: int, price_per_pack: Decimal, as_of: date, until: date) -> Decimal:
    """Add-on packs bought outside a renewal: from `as_of` to `until` inclusive (the account's
    validity end), rounded once; 0.00 when `until` is before `as_of`."""
    _count(packs, "The number of packs")
    months, partials = _split(as_of, until)
    return _money(_period_cents(months, partials, _ratio(price_per_pack, "price_per_pack"), packs))


def add_months(year_month: tuple[int, int], months: int) -> tuple[int, int]:
    """(year, month) `months` calendar months after `year_month`."""
    index = _month_index(*year_month) + months
    return index // 12, index % 12 + 1
