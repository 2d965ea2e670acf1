"""Synthetic accounts and seats for the dunning sweep benchmark (issue 10), loaded with COPY.

`dataset_load(spec)` fills the database Django is connected to (PostgreSQL only) with
`spec.accounts` accounts of `spec.seats_per_account` seats each (100 000 × 10 by default), one
admin per account (user + member, occupying the first seat, so that notices have a recipient),
a few contracts and access holds. `dunning_state_load(spec)` then writes what a daily sweep would
have recorded by the evening of `spec.as_of - 1` (the *steady* state): the recorded account and
seat phases, the transitions that led there and the notices already sent (including three
months of older pre-expiry notices). On `spec.as_of` about `spec.change_count` accounts (1 % by
default) then need the sweep, spread over every kind of change (`CHANGE_KINDS`), while all others
are steady. Both are deterministic (seeded): reloading the dunning state between two timed runs
gives the second run exactly the same work.

The plan of each account is computed in Python, and its recorded phases with the same pure
functions the sweep decides with (`seats.standing`), so the steady state is consistent by
construction; `candidate_account_ids(as_of - 1)` is empty on it (the benchmark and the test check
it).

Not loaded: seat periods (the `SeatPeriod` ledger whose cache `valid_until` / `paid_through` are;
the sweep never reads it, and no database check ties the cache to it), orders, documents,
payments. Account ids are 1 … `accounts` (the tables are emptied first, identities restarted).

The tables are emptied with TRUNCATE … CASCADE (accounts, users and everything that refers to
them): `dataset_load` refuses to do that on a database that has accounts and was not loaded by
it (`MARKER_TABLE` names the dataset loaded).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta

DEFAULT_AS_OF = date(2026, 12, 15)
MARKER_TABLE = "bench_sweep_dataset"
EMAIL_DOMAIN = "sweep-bench.example"

# What changes on `as_of` (each about as often): notices due, phases entered, a payment made
# after the previous sweep, and seats of a valid account lapsing.
CHANGE_KINDS = (
    "expires_7",         # latest valid_until = as_of + 7: the 7-day notice
    "expires_1",         # as_of + 1: the 1-day notice
    "enters_grace",      # as_of - 1: active → grace (account and its 10 seats)
    "enters_blocked",    # as_of - 8: grace → blocked (account and seats)
    "enters_suspended",  # as_of - 15: blocked → suspended, automations paused
    "trial_ending",      # unpaid trial ending on as_of + 3: the trial-ending notice
    "trial_ended",       # unpaid trial ended on as_of - 1: active → blocked (account and seats)
    "paid_after_lapse",  # recorded suspended, paid yesterday: → active, automations resumed
    "seat_lapses",       # a valid account: one seat enters grace, one becomes blocked
)
# What does not change on `as_of`, as shares of the accounts (the rest are paid and valid).
STEADY_SHARES = {
    "lapsed": 0.04,        # paid once, expired 2–400 days ago (most of them suspended)
    "trial": 0.01,         # on their trial, ending within two weeks
    "trial_over": 0.005,   # unpaid trial ended 2–29 days ago (blocked, not due for deletion)
    "contract": 0.002,     # contract accounts with expired seats (never blocked by expiry)
    "held": 0.0005,        # contract accounts blocked by finance (an open access hold)
}
PAID_HISTORY_MONTHS = 3  # earlier pre-expiry notices kept per paid account
OTHER_SEATS_SHARE = 0.2  # accounts with 1–3 seats of their own (earlier) dates
REMOVED_SEAT_SHARE = 0.02
HISTORY_ACTIVE_SHARE = 0.1  # valid accounts that lapsed once (a recorded "active" row)


@dataclass(frozen=True)
class SweepDataSpec:
    """What to load. `changes`: accounts that change on `as_of` (default: `change_rate` of
    `accounts`)."""

    accounts: int = 100_000
    seats_per_account: int = 10
    changes: int | None = None
    change_rate: float = 0.01
    as_of: date = DEFAULT_AS_OF
    seed: int = 10

    def __post_init__(self):
        if self.seats_per_account < 3:
            raise ValueError("seats_per_account: at least 3 (seat_lapses uses two of them)")
        if self.change_count + self.steady_counts_total > self.accounts:
            raise ValueError("more changing and special accounts than accounts")

    @property
    def change_count(self) -> int:
        if self.changes is not None:
            return self.changes
        return round(self.accounts * self.change_rate)

    @property
    def steady_counts(self) -> dict[str, int]:
        # at least one of each kind once there are enough accounts to afford it
        minimum = 1 if self.accounts >= 100 else 0
        return {kind: max(minimum, round(self.accounts * share))
                for kind, share in STEADY_SHARES.items()}

    @property
    def steady_counts_total(self) -> int:
        return sum(self.steady_counts.values())

    @property
    def seats(self) -> int:
        return self.accounts * self.seats_per_account

    @property
    def steady_day(self) -> date:
        return self.as_of - timedelta(days=1)

    def as_json(self) -> str:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        data["changes"] = self.change_count
        del data["change_rate"]  # `changes` says it
        return json.dumps(data, sort_keys=True)


@dataclass(slots=True)
class SeatPlan:
    valid_until: date
    paid_through: date | None
    removed_on: date | None = None


@dataclass(slots=True)
class AccountPlan:
    id: int
    kind: str
    trial_ends_on: date | None  # only while on the unpaid trial
    seats: list[SeatPlan]
    contract: bool = False
    held_since: date | None = None
    history_active: bool = False
    # the seats' valid_until as the previous sweep saw them (a payment made since moved them)
    recorded_dates: list[date | None] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return self.kind in CHANGE_KINDS


# --- the plan ----------------------------------------------------------------------------------


def _kinds(spec: SweepDataSpec, rng: random.Random) -> list[str]:
    kinds = []
    count = spec.change_count
    for j, kind in enumerate(CHANGE_KINDS):
        kinds += [kind] * (count // len(CHANGE_KINDS) + (j < count % len(CHANGE_KINDS)))
    for kind, count in spec.steady_counts.items():
        kinds += [kind] * count
    kinds += ["active"] * (spec.accounts - len(kinds))
    rng.shuffle(kinds)
    return kinds


def account_plans(spec: SweepDataSpec) -> Iterator[AccountPlan]:
    """The accounts, ids 1 … `spec.accounts`, in order (deterministic for a spec)."""
    rng = random.Random(spec.seed)
    as_of = spec.as_of
    n = spec.seats_per_account

    def day(offset):
        return as_of + timedelta(days=offset)

    def seat_day_avoiding_changes(value):
        # a seat's date that changes nothing on as_of (seats change at d = 1 and d = 8)
        while (as_of - value).days in (1, 8):
            value -= timedelta(days=1)
        return value

    def paid_seats(latest):
        seats = [SeatPlan(latest, latest) for _ in range(n)]
        if rng.random() < OTHER_SEATS_SHARE:
            for index in rng.sample(range(1, n), rng.randint(1, 3)):
                other = seat_day_avoiding_changes(latest - timedelta(days=rng.randint(30, 400)))
                seats[index] = SeatPlan(other, other)
        for seat in seats[1:]:  # seat 0 is the admin's, never removed
            if rng.random() < REMOVED_SEAT_SHARE:
                seat.removed_on = min(seat.valid_until, day(-2))
        return seats

    for account_id, kind in enumerate(_kinds(spec, rng), start=1):
        trial_ends_on, contract, held_since, history = None, False, None, False
        old_latest = None
        if kind == "active":
            latest = day(rng.choice([o for o in range(0, 366) if o not in (1, 7)]))
            seats = paid_seats(latest)
            history = rng.random() < HISTORY_ACTIVE_SHARE
        elif kind == "lapsed":
            offset = rng.randint(2, 400)
            while offset in (8, 15):
                offset += 1
            seats = paid_seats(day(-offset))
        elif kind in ("trial", "trial_over", "trial_ending", "trial_ended"):
            if kind == "trial":
                offset = rng.choice([o for o in range(0, 14) if o != 3])
            elif kind == "trial_over":
                offset = -rng.randint(2, 29)  # deleted 30 days after the end: not yet
            else:
                offset = 3 if kind == "trial_ending" else -1
            trial_ends_on = day(offset)
            seats = [SeatPlan(trial_ends_on, None) for _ in range(n)]
        elif kind in ("contract", "held"):
            contract = True
            seats = paid_seats(seat_day_avoiding_changes(day(-rng.randint(20, 200))))
            if kind == "held":
                held_since = day(-rng.randint(2, 60))
        elif kind == "paid_after_lapse":
            old_latest = day(-rng.randint(16, 60))
            latest = day(rng.randint(28, 31))
            seats = [SeatPlan(latest, latest) for _ in range(n)]
        elif kind == "seat_lapses":
            latest = day(rng.randint(30, 300))
            seats = [SeatPlan(latest, latest) for _ in range(n)]
            seats[1] = SeatPlan(day(-1), day(-1))
            seats[2] = SeatPlan(day(-8), day(-8))
        else:
            offset = {"expires_7": 7, "expires_1": 1, "enters_grace": -1, "enters_blocked": -8,
                      "enters_suspended": -15}[kind]
            seats = [SeatPlan(day(offset), day(offset)) for _ in range(n)]
        recorded = [None if s.removed_on else (old_latest or s.valid_until) for s in seats]
        yield AccountPlan(account_id, kind, trial_ends_on, seats, contract=contract,
                          held_since=held_since, history_active=history,
                          recorded_dates=recorded)


# --- the steady state (what the sweep recorded on as_of - 1) ------------------------------------


@dataclass
class SteadyState:
    phase: str | None  # the account's recorded phase (None: no row)
    since: date | None
    seat_phases: dict[int, tuple[str, date]]  # seat index → (phase, since), not active only
    transitions: list[tuple]  # (seat index or None, from, to, effective_on)
    notices: list[tuple[str, date, date]]  # (kind, about, created_on)


def steady_state(plan: AccountPlan, day: date, policy) -> SteadyState:
    """What a sweep running every day up to `day` would have recorded for `plan`."""
    from seats.phases import Phase
    from seats.standing import account_standing, seat_standing_phase

    histogram = defaultdict(int)
    for value in plan.recorded_dates:
        if value is not None:
            histogram[value] += 1
    held = plan.held_since is not None and plan.held_since <= day
    standing = account_standing(histogram, day, policy, trial_ends_on=plan.trial_ends_on,
                                contract=plan.contract, held=held)
    latest, trial_end = standing.valid_until, plan.trial_ends_on
    grace, blocked = policy.grace_days, policy.blocked_through_day

    def entered(phase, base):
        """The day `phase` began (the sweep's effective day)."""
        if held:
            return plan.held_since
        if trial_end is not None:
            return trial_end + timedelta(days=1)
        offset = {Phase.GRACE: 1, Phase.BLOCKED: grace + 1, Phase.SUSPENDED: blocked + 1}[phase]
        return base + timedelta(days=offset)

    def path(final, base):
        """The transitions from active to `final`: [(from, to, effective_on)]."""
        if final == Phase.ACTIVE:
            return []
        if held or trial_end is not None:
            return [(Phase.ACTIVE, final, entered(final, base))]
        order = [Phase.ACTIVE, Phase.GRACE, Phase.BLOCKED, Phase.SUSPENDED]
        steps = order[:order.index(final) + 1]
        return [(a, b, entered(b, base)) for a, b in zip(steps, steps[1:], strict=False)]

    transitions = [(None, a.value, b.value, on) for a, b, on in path(standing.phase, latest)]
    phase, since = None, None
    if standing.phase != Phase.ACTIVE:
        phase, since = standing.phase.value, transitions[-1][3]
    elif plan.history_active:  # lapsed once, two months ago, and paid within three days
        lapse = min(latest, day) - timedelta(days=60)
        back = lapse + timedelta(days=3)
        transitions += [(None, "active", "grace", lapse + timedelta(days=1)),
                        (None, "grace", "active", back)]
        phase, since = "active", back

    seat_phases = {}
    for index, value in enumerate(plan.recorded_dates):
        if value is None:
            continue
        seat_phase = seat_standing_phase(value, day, policy, trial_ends_on=trial_end,
                                         contract=plan.contract, held=held)
        for a, b, on in path(seat_phase, value):
            transitions.append((index, a.value, b.value, on))
        if seat_phase != Phase.ACTIVE:
            seat_phases[index] = (seat_phase.value, transitions[-1][3])

    notices = []
    if not plan.contract and not held:
        if trial_end is not None:
            for kind, created in (("trial_ending", trial_end - timedelta(days=3)),
                                  ("trial_ended", trial_end + timedelta(days=1))):
                if created <= day:
                    notices.append((kind, trial_end, created))
        else:
            due = [("expires_7", latest - timedelta(days=7)),
                   ("expires_1", latest - timedelta(days=1)),
                   ("grace", latest + timedelta(days=1)),
                   ("blocked", latest + timedelta(days=grace + 1)),
                   ("suspended", latest + timedelta(days=blocked + 1))]
            notices += [(kind, latest, created) for kind, created in due if created <= day]
            for month in range(1, PAID_HISTORY_MONTHS + 1):  # the renewals before this one
                earlier = latest - timedelta(days=30 * month)
                notices += [(kind, earlier, created) for kind, created in (
                    ("expires_7", earlier - timedelta(days=7)),
                    ("expires_1", earlier - timedelta(days=1))) if created <= day]
    return SteadyState(phase, since, seat_phases, transitions, notices)


# --- loading -----------------------------------------------------------------------------------


def _at(day: date) -> datetime:
    return datetime.combine(day, time(0, 15), tzinfo=UTC)


def _seat_id(spec: SweepDataSpec, account_id: int, index: int) -> int:
    return (account_id - 1) * spec.seats_per_account + index + 1


def _copy(cursor, table: str, columns: tuple[str, ...], rows) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _raw_cursor(django_cursor):
    return django_cursor.cursor  # the psycopg cursor under Django's wrapper


def _reset_identity(cursor, table: str) -> None:
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)")


def loaded_spec() -> str | None:
    """The JSON of the spec whose accounts are loaded (None: none, or not by this module)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT spec FROM {MARKER_TABLE} WHERE id = 1")
        row = cursor.fetchone()
    if row is None:
        return None
    return json.dumps(row[0] if isinstance(row[0], dict) else json.loads(row[0]),
                      sort_keys=True)


def dataset_load(spec: SweepDataSpec) -> dict[str, int]:
    """Empty the account tables and load `spec`'s accounts, users, members, seats, contracts and
    holds, then its steady dunning state (`dunning_state_load`). In one transaction; returns the
    row counts. Refuses a database with accounts it did not load."""
    from django.db import connection, transaction

    from catalogue.models import Package

    if connection.vendor != "postgresql":
        raise RuntimeError("the sweep benchmark data needs PostgreSQL (COPY)")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s), EXISTS (SELECT 1 FROM seats_account)",
                           [MARKER_TABLE])
            marker, has_accounts = cursor.fetchone()
            if has_accounts and marker is None:
                raise RuntimeError(
                    "refusing to empty a database whose accounts were not loaded by "
                    "bench.sweep_data: use a database of its own for the benchmark")
            package_id = Package.objects.get(code="base").pk
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # see dunning_state_load
            cursor.execute("TRUNCATE seats_account, auth_user, dunning_sweeprun "
                           "RESTART IDENTITY CASCADE")
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
                           "(id int PRIMARY KEY, spec jsonb NOT NULL, loaded_at timestamptz)")
            cursor.execute(f"DELETE FROM {MARKER_TABLE}")
            counts = _load_accounts(_raw_cursor(cursor), spec, package_id)
            for table in ("seats_account", "auth_user", "seats_member", "seats_seat",
                          "seats_contract", "seats_accesshold"):
                _reset_identity(cursor, table)
            cursor.execute(f"INSERT INTO {MARKER_TABLE} VALUES (1, %s, now())",
                           [spec.as_json()])
        counts.update(dunning_state_load(spec))
    return counts


def _load_accounts(cursor, spec, package_id) -> dict[str, int]:
    created = _at(spec.as_of - timedelta(days=500))
    created_on = spec.as_of - timedelta(days=500)
    plans = list(account_plans(spec))

    def accounts():
        for plan in plans:
            yield (plan.id, f"Bench account {plan.id:06d}", package_id, "PL", "PLN", "monthly",
                   plan.trial_ends_on is not None, plan.trial_ends_on, created)

    def users():
        for plan in plans:
            email = f"admin{plan.id}@{EMAIL_DOMAIN}"
            yield (plan.id, "!", False, email, "", "", email, False, True, created)

    def members():
        for plan in plans:
            yield (plan.id, plan.id, plan.id, "admin", "active", "", False, True, created)

    def seats():
        for plan in plans:
            for index, seat in enumerate(plan.seats):
                yield (_seat_id(spec, plan.id, index), plan.id, seat.valid_until,
                       seat.paid_through, created_on, seat.removed_on,
                       plan.id if index == 0 else None, created)

    counts = {
        "accounts": _copy(cursor, "seats_account", (
            "id", "name", "package_id", "country", "currency", "billing_period", "trial",
            "trial_ends_on", "created_at"), accounts()),
        "users": _copy(cursor, "auth_user", (
            "id", "password", "is_superuser", "username", "first_name", "last_name", "email",
            "is_staff", "is_active", "date_joined"), users()),
        "members": _copy(cursor, "seats_member", (
            "id", "account_id", "user_id", "role", "state", "pending_state",
            "pending_remove_seat", "email_confirmed", "created_at"), members()),
        "seats": _copy(cursor, "seats_seat", (
            "id", "account_id", "valid_until", "paid_through", "created_on", "removed_on",
            "member_id", "created_at"), seats()),
        "contracts": _copy(cursor, "seats_contract", (
            "account_id", "starts_on", "ends_on", "created_at"),
            ((p.id, spec.as_of - timedelta(days=400), None, created)
             for p in plans if p.contract)),
        "holds": _copy(cursor, "seats_accesshold", (
            "account_id", "reason", "placed_at"),
            ((p.id, "benchmark: overdue contract invoice", _at(p.held_since))
             for p in plans if p.held_since is not None)),
    }
    return counts


DUNNING_TABLES = ("dunning_phasetransition", "dunning_notice", "dunning_seatrecordedphase",
                  "dunning_recordedphase", "dunning_sweeprun")


def dunning_state_load(spec: SweepDataSpec) -> dict[str, int]:
    """Empty the dunning tables and write the steady state of `spec.steady_day` (module
    docstring). Call it again to undo a sweep of `spec.as_of`."""
    from django.db import connection, transaction

    from catalogue.models import BillingPolicy
    from seats.phases import PhasePolicy

    policy = PhasePolicy.from_model(BillingPolicy.current())
    day = spec.steady_day
    states = [(plan, steady_state(plan, day, policy)) for plan in account_plans(spec)]

    def phases():
        for plan, state in states:
            if state.phase is not None:
                yield (plan.id, state.phase, state.since, state.phase == "suspended", _at(day))

    def seat_phases():
        for plan, state in states:
            for index, (phase, since) in state.seat_phases.items():
                yield (_seat_id(spec, plan.id, index), plan.id, phase, since)

    def transitions():
        for plan, state in states:
            for index, a, b, on in state.transitions:
                seat_id = None if index is None else _seat_id(spec, plan.id, index)
                yield (plan.id, seat_id, a, b, on, on, _at(on))

    def notices():
        for plan, state in states:
            recipients = json.dumps([f"admin{plan.id}@{EMAIL_DOMAIN}"])
            for kind, about, created in state.notices:
                yield (plan.id, kind, about.isoformat(), about, recipients, created,
                       _at(created), 1, "")

    with transaction.atomic(), connection.cursor() as django_cursor:
        # a caller's transaction (a test's) may hold deferred foreign-key checks of these tables,
        # which TRUNCATE refuses: check them now
        django_cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        django_cursor.execute(f"TRUNCATE {', '.join(DUNNING_TABLES)} RESTART IDENTITY")
        cursor = _raw_cursor(django_cursor)
        counts = {
            "recorded_phases": _copy(cursor, "dunning_recordedphase", (
                "account_id", "phase", "since", "automations_paused", "updated_at"), phases()),
            "seat_recorded_phases": _copy(cursor, "dunning_seatrecordedphase", (
                "seat_id", "account_id", "phase", "since"), seat_phases()),
            "transitions": _copy(cursor, "dunning_phasetransition", (
                "account_id", "seat_id", "from_phase", "to_phase", "effective_on",
                "recorded_on", "created_at"), transitions()),
            "notices": _copy(cursor, "dunning_notice", (
                "account_id", "kind", "reference", "about_date", "recipients", "created_on",
                "sent_at", "attempts", "last_error"), notices()),
        }
        for table in ("dunning_phasetransition", "dunning_notice"):
            _reset_identity(django_cursor, table)
        django_cursor.execute("ANALYZE " + ", ".join(
            ("seats_account", "seats_seat", "seats_member", "auth_user", "seats_contract",
             "seats_accesshold") + DUNNING_TABLES))
    return counts


def changing_account_ids(spec: SweepDataSpec) -> list[int]:
    """The ids of the accounts planned to change on `spec.as_of`."""
    return [plan.id for plan in account_plans(spec) if plan.changes]
