"""The SLA clock (SPEC §8): reaction time counted only in a plan's working hours. Pure: no
database, no `now()`; every function takes the instants it works on.

Rules:
- a plan's *counted days* are Mon–Fri without Polish public holidays (`WarsawCalendar`), plus
  Saturdays and Sundays when `plan.weekends`, plus public holidays when `plan.public_holidays`;
- for a ticket flagged critical on a plan with `critical_on_days_off` (STANDARD) every day is a
  counted day: the clock also runs on weekends and public holidays, within the plan's working-day
  hours (our decision; SPEC §8 says only "critical issues on days off: yes");
- on a counted day the clock runs from `plan.workday_start` to `plan.workday_end` (Europe/Warsaw
  wall-clock times), or the whole day when `plan.round_the_clock`;
- a ticket received outside the hours starts counting at the plan's next opening;
- minutes are real elapsed minutes: across a DST change a round-the-clock day has 23 or 25 hours,
  and a window's length is measured between its aware ends (UTC), never on the wall clock.

`plan` is anything with the `SupportPlan` fields used here (`reaction_minutes`, `workday_start`,
`workday_end`, `round_the_clock`, `weekends`, `public_holidays`, `critical_on_days_off`).
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

WARSAW = ZoneInfo("Europe/Warsaw")
# how far ahead the clock looks for working time before giving up (a plan always has Mon–Fri)
_MAX_DAYS = 3660


class WarsawCalendar:
    """Working days in Poland: Monday to Friday without the public holidays of the `holidays`
    package (since 0.64 Christmas Eve is one, from 2025)."""

    def __init__(self):
        self._holidays = holidays.Poland()  # fills in years lazily as they are asked for

    def is_public_holiday(self, day: date) -> bool:
        return day in self._holidays

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_public_holiday(day)

    def counts(self, day: date, plan, *, critical: bool = False) -> bool:
        """Whether the plan's clock runs on `day` at all (see the module docstring)."""
        if critical and plan.critical_on_days_off:
            return True
        if day.weekday() >= 5 and not plan.weekends:
            return False
        if self.is_public_holiday(day) and not plan.public_holidays:
            return False
        return True


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _window(day: date, plan) -> tuple[datetime, datetime]:
    """The plan's working window on `day`, as aware UTC instants [start, end)."""
    if plan.round_the_clock:
        start = datetime.combine(day, time(0), tzinfo=WARSAW)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=WARSAW)
    else:
        start = datetime.combine(day, plan.workday_start, tzinfo=WARSAW)
        end = datetime.combine(day, plan.workday_end, tzinfo=WARSAW)
    return start.astimezone(UTC), end.astimezone(UTC)


def _windows_from(instant: datetime, plan, calendar, critical: bool
                  ) -> Iterator[tuple[datetime, datetime]]:
    """The plan's working windows that end after `instant`, in order, clipped to start no
    earlier than it (UTC)."""
    day = instant.astimezone(WARSAW).date()
    for offset in range(_MAX_DAYS):
        current = day + timedelta(days=offset)
        if not calendar.counts(current, plan, critical=critical):
            continue
        start, end = _window(current, plan)
        start = max(start, instant)
        if start < end:
            yield start, end
    raise ValueError("the plan has no working time within ten years")


def deadline(received_at: datetime, plan, calendar, *, critical: bool = False
             ) -> datetime | None:
    """The reaction deadline of a ticket received at `received_at` (aware): the instant when
    `plan.reaction_minutes` working minutes have passed, counted from `received_at` or from the
    plan's next opening after it. Returned aware in Europe/Warsaw; it lies within a working
    window (possibly at its closing minute). None when the plan guarantees no reaction
    (`reaction_minutes` null, COMMUNITY). ValueError for a naive `received_at`. SPEC §8."""
    _require_aware(received_at, "received_at")
    if plan.reaction_minutes is None:
        return None
    remaining = timedelta(minutes=plan.reaction_minutes)
    for start, end in _windows_from(received_at.astimezone(UTC), plan, calendar, critical):
        available = end - start
        if remaining <= available:
            return (start + remaining).astimezone(WARSAW)
        remaining -= available
    raise AssertionError("unreachable")  # _windows_from raises first


def working_minutes_between(start: datetime, end: datetime, plan, calendar, *,
                            critical: bool = False) -> int:
    """Whole working minutes of the plan between two aware instants (rounded towards zero);
    negative when `end` is before `start` (a deadline already passed: how overdue, in working
    minutes). ValueError for naive datetimes. SPEC §8."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end < start:
        return -working_minutes_between(end, start, plan, calendar, critical=critical)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    for window_start, window_end in _windows_from(start, plan, calendar, critical):
        if window_start >= end:
            break
        total += min(window_end, end) - window_start
    return int(total.total_seconds() // 60)
