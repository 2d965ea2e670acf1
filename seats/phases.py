"""Late-payment phases of a seat and of an account (SPEC §6), as pure functions.

No database and no clock: every function takes the business date it decides for (`as_of`) and
the policy whose numbers it applies. `policy` is any object with `banner_lead_days`,
`grace_days` and `blocked_through_day` (and `trial_deletion_days` for `trial_deletion_due`):
the `catalogue.models.BillingPolicy` row, or a `PhasePolicy` snapshot of it.

`d` is the number of days since `valid_until` (inclusive, SPEC §2): 0 on the last valid day,
1 the day after, -7 a week before. With the default policy:

| phase     | seat `d` | account `d` |
| --------- | -------- | ----------- |
| active    | ≤ 0      | ≤ 0         |
| grace     | 1–7      | 1–7         |
| blocked   | ≥ 8      | 8–14        |
| suspended | never    | ≥ 15        |

Decisions
- A seat is never *suspended*: suspension (automations paused) is a state of the account, which
  runs its automations for all of its seats. A single seat past its grace stays *blocked* for
  good; the account it belongs to is valid while any of its seats is.
- An unpaid free trial (`trial_ends_on` given) has no grace: the day after the trial's last day
  the account and each of its seats are *blocked*, and they stay blocked, never *suspended*,
  until paying or the deletion `trial_deletion_days` later (`trial_deletion_due`). The trial's
  end decides then, whatever `valid_until` says. Pass `trial_ends_on` only while the account is
  on its unpaid trial (`Account.trial`); once it has paid, its seats follow the table.
- Contract accounts are never blocked by seat expiry (SPEC §3); callers do not ask for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import models
from django.utils.translation import pgettext_lazy


class Phase(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("billing phase", "active")
    GRACE = "grace", pgettext_lazy("billing phase", "grace period")
    BLOCKED = "blocked", pgettext_lazy("billing phase", "blocked")
    SUSPENDED = "suspended", pgettext_lazy("billing phase", "suspended")


@dataclass(frozen=True, slots=True)
class PhasePolicy:
    """The numbers the phases depend on, as a frozen snapshot of the billing policy.

    Grace covers d = 1 … `grace_days`, the blocked phase d = `grace_days` + 1 …
    `blocked_through_day`, suspension starts the day after; the banner shows from
    d = −`banner_lead_days`.
    """

    banner_lead_days: int
    grace_days: int
    blocked_through_day: int
    trial_deletion_days: int

    def __post_init__(self):
        for name in ("banner_lead_days", "grace_days", "blocked_through_day",
                     "trial_deletion_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number, 0 or more.")
        if self.grace_days >= self.blocked_through_day:
            raise ValueError("The grace period must end before the blocked phase does.")

    @classmethod
    def from_model(cls, policy) -> PhasePolicy:
        """A snapshot of `policy` (a `BillingPolicy`, or anything with the same attributes)."""
        return cls(
            banner_lead_days=policy.banner_lead_days,
            grace_days=policy.grace_days,
            blocked_through_day=policy.blocked_through_day,
            trial_deletion_days=policy.trial_deletion_days,
        )


def days_since(valid_until: date, as_of: date) -> int:
    """`d`: days from `valid_until` to `as_of`; 0 on the last valid day, negative before it."""
    return (as_of - valid_until).days


def phase_of_seat(valid_until: date, as_of: date, policy, *,
                  trial_ends_on: date | None = None) -> Phase:
    """A seat's phase on `as_of`: active while valid, grace for `policy.grace_days` days after,
    blocked from then on (a seat is never suspended; see the module's decisions).
    `trial_ends_on`: the last day of the account's unpaid free trial, when it is on one."""
    if trial_ends_on is not None:
        return _unpaid_trial_phase(trial_ends_on, as_of)
    d = days_since(valid_until, as_of)
    if d <= 0:
        return Phase.ACTIVE
    if d <= policy.grace_days:
        return Phase.GRACE
    return Phase.BLOCKED


def phase_of_account(valid_until: date, as_of: date, policy, *,
                     trial_ends_on: date | None = None) -> Phase:
    """The account's phase on `as_of`, from its latest seat `valid_until` (the account is valid
    while any seat is): active, grace, blocked through `policy.blocked_through_day`, then
    suspended. `trial_ends_on`: the last day of its unpaid free trial, when it is on one."""
    if trial_ends_on is not None:
        return _unpaid_trial_phase(trial_ends_on, as_of)
    d = days_since(valid_until, as_of)
    if d <= 0:
        return Phase.ACTIVE
    if d <= policy.grace_days:
        return Phase.GRACE
    if d <= policy.blocked_through_day:
        return Phase.BLOCKED
    return Phase.SUSPENDED


def _unpaid_trial_phase(trial_ends_on: date, as_of: date) -> Phase:
    """An unpaid trial: active through its last day, blocked from the next (no grace)."""
    return Phase.ACTIVE if as_of <= trial_ends_on else Phase.BLOCKED


def banner_due(valid_until: date, as_of: date, policy) -> bool:
    """Whether the expiry banner shows on `as_of`: from `policy.banner_lead_days` days before
    `valid_until` (d ≥ −lead) and every day after it, until a renewal moves `valid_until`."""
    return days_since(valid_until, as_of) >= -policy.banner_lead_days


def trial_deletion_due(trial_ends_on: date, as_of: date, policy) -> bool:
    """Whether an unpaid trial that ended on `trial_ends_on` is due for deletion on `as_of`:
    `policy.trial_deletion_days` days after its last day, or later."""
    return days_since(trial_ends_on, as_of) >= policy.trial_deletion_days
