"""Where an account stands on a day (SPEC §3, §6), as a pure function of its seats' dates.

`account_standing` is the one computation behind the access decision, the banners, the status
API and the dunning sweep: given the `valid_until` of every seat of the account (as a
{date: seat count} histogram, so that 1 000 seats valid until the same day cost one entry), the
business date and the billing policy, it returns the account's phase, how many days it is
overdue, whether its automations are paused and which seats the expiry banner is about. No
database and no clock: the callers read the dates (one query) and pass `as_of`.

Two things override the dates:
- a running **contract** (SPEC §3): the account and its seats are never blocked by expiry
  (phase active, no expiry banner, 0 days overdue);
- an open **access hold** (finance blocked the account by hand): the account and every seat are
  blocked whatever the dates (automations still run, as in the blocked phase).

An unpaid trial decides by its own end (see `seats.phases`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .phases import Phase, banner_due, days_since, phase_of_account, phase_of_seat


@dataclass(frozen=True, slots=True)
class Standing:
    """An account's standing on `as_of`.

    `valid_until`: the latest seat `valid_until` (None without seats); `days_overdue`: days since
    that date (or since the unpaid trial's end), 0 while valid; `expiring_count` /
    `expiring_first`: the seats the admin's banner is about (expiring within the banner lead or
    expired) and the earliest of their dates."""

    phase: Phase
    valid_until: date | None
    days_overdue: int
    automations_paused: bool
    trial_ends_on: date | None
    contract: bool
    held: bool
    expiring_count: int
    expiring_first: date | None

    @property
    def blocked(self) -> bool:
        """Only admins log in, to the billing pages (SPEC §6 blocked and suspended)."""
        return self.phase in (Phase.BLOCKED, Phase.SUSPENDED)


def account_standing(seat_dates: Mapping[date, int], as_of: date, policy, *,
                     trial_ends_on: date | None = None, contract: bool = False,
                     held: bool = False) -> Standing:
    """The standing of an account whose live (not removed) seats have the `valid_until` dates
    of `seat_dates` ({date: number of seats}). `trial_ends_on`: the last day of its unpaid free
    trial, only while it is on one; `contract`: a contract runs on `as_of`; `held`: finance
    blocked it by hand. `policy`: see `seats.phases`."""
    dates = [day for day, count in seat_dates.items() if count > 0]
    latest = max(dates) if dates else None
    if held:
        phase = Phase.BLOCKED
    elif contract:
        phase = Phase.ACTIVE
    elif trial_ends_on is not None:
        phase = phase_of_account(latest or trial_ends_on, as_of, policy,
                                 trial_ends_on=trial_ends_on)
    elif latest is None:
        phase = Phase.BLOCKED  # no seat at all: nothing is valid, nobody can log in
    else:
        phase = phase_of_account(latest, as_of, policy)
    if contract:
        overdue = 0
    elif trial_ends_on is not None:
        overdue = max(0, days_since(trial_ends_on, as_of))
    else:
        overdue = max(0, days_since(latest, as_of)) if latest is not None else 0
    expiring = [] if contract else [day for day in dates if banner_due(day, as_of, policy)]
    return Standing(
        phase=phase, valid_until=latest, days_overdue=overdue,
        automations_paused=phase == Phase.SUSPENDED,
        trial_ends_on=trial_ends_on, contract=contract, held=held,
        expiring_count=sum(seat_dates[day] for day in expiring),
        expiring_first=min(expiring) if expiring else None,
    )


def seat_standing_phase(valid_until: date, as_of: date, policy, *,
                        trial_ends_on: date | None = None, contract: bool = False,
                        held: bool = False) -> Phase:
    """One seat's phase with the same overrides as `account_standing`."""
    if held:
        return Phase.BLOCKED
    if contract:
        return Phase.ACTIVE
    return phase_of_seat(valid_until, as_of, policy, trial_ends_on=trial_ends_on)
