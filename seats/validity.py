"""A seat's validity derived from its rows in the seat-period ledger (pure: no database, no clock).

The rule, which `SeatPeriod` states as its invariant:

- a seat's rows are read in the order they were appended (by id; the account lock makes that the
  commit order of one account's writes);
- a row is *effective* unless it is a reversal row (`reverses` set) or a later row reverses it;
- `valid_until` = the last day of the latest effective row;
- `paid_through` = the last day of the latest effective *paid* row (None when there is none).

An event that sets a seat's dates appends at most two rows (see `periods_for_change`): a paid row
ending on the new `paid_through` when that moves, then a row ending on the new `valid_until` when
that differs from what the rows then say. So any pair of dates, moving later or earlier, is one
append; and reversing an event's rows leaves the rows before it in charge again, which restores
the dates the seat had before that event exactly.
"""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Validity:
    """A seat's dates: `valid_until` (inclusive; None only for a seat with no effective row) and
    `paid_through` (last day already paid; None for a seat never paid)."""

    valid_until: date | None
    paid_through: date | None


@dataclass(frozen=True)
class Period:
    """What the derivation reads of a ledger row (a `SeatPeriod` has the same attributes)."""

    id: int
    last_day: date
    paid: bool
    reverses_id: int | None = None


def derive_validity(periods) -> Validity:
    """(valid_until, paid_through) of one seat from all of its rows, in any order.

    `periods`: objects with `id`, `last_day`, `paid` and `reverses_id` (rows of one seat)."""
    rows = sorted(periods, key=lambda p: p.id)
    reversed_ids = {p.reverses_id for p in rows if p.reverses_id is not None}
    effective = [p for p in rows if p.reverses_id is None and p.id not in reversed_ids]
    paid = [p for p in effective if p.paid]
    return Validity(
        valid_until=effective[-1].last_day if effective else None,
        paid_through=paid[-1].last_day if paid else None,
    )


class ValidityChangeError(ValueError):
    """The dates asked for cannot be reached by appending rows."""


def _first_day(before: date | None, last: date, *, created_on: date, as_of: date) -> date:
    """First day of a row ending on `last` that replaces `before`: the days it adds when the date
    moves later (from the creation day for a first row); from the event day when it moves earlier.
    Never after `last`. Informational only: the derivation reads `last_day`."""
    if before is None:
        first = created_on
    elif last > before:
        first = before + timedelta(days=1)
    else:
        first = as_of
    return min(first, last)


def periods_for_change(*, current: Validity, target: Validity, created_on: date,
                       as_of: date) -> list[tuple[date, date, bool]]:
    """The rows `(first_day, last_day, paid)` to append, in this order, to the rows of a seat that
    derive `current` so that they derive `target`; [] when nothing changes.

    Paid time can only move, not vanish: taking `paid_through` back to None is the reversal of the
    rows that added it. `paid_through` after `valid_until` is refused (paid days the seat does not
    have)."""
    if target.valid_until is None:
        raise ValidityChangeError("a seat is always valid until some day")
    if target.paid_through is not None and target.paid_through > target.valid_until:
        raise ValidityChangeError("paid_through cannot be after valid_until")
    if target.paid_through is None and current.paid_through is not None:
        raise ValidityChangeError("paid time is taken back only by reversing the periods that "
                                  "added it")
    rows = []
    valid_until = current.valid_until  # what the rows say after each appended row
    if target.paid_through is not None and target.paid_through != current.paid_through:
        first = _first_day(current.paid_through, target.paid_through, created_on=created_on,
                           as_of=as_of)
        rows.append((first, target.paid_through, True))
        valid_until = target.paid_through
    if target.valid_until != valid_until:
        first = _first_day(valid_until, target.valid_until, created_on=created_on, as_of=as_of)
        rows.append((first, target.valid_until, False))
    return rows
