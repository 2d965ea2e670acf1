"""Benchmark: the daily dunning sweep on 100 000 accounts with 1 000 000 seats (issue 10).

Run from the project root: `.venv/bin/python -m bench bench_sweep` (defaults) or
`.venv/bin/python bench/bench_sweep.py [--accounts 10000,100000] [--changes N | --change-rate R]
[--reload] [--explain] [--no-tracemalloc]`. `make bench` runs it with 10 000 accounts (about 20 s
with the first load); `BENCH_SWEEP_ACCOUNTS=100000 make bench` (or `10000,100000`)
sets the default sizes.

Per size: `bench.sweep_data` loads the accounts (10 seats each, one admin each) with COPY into a
database of its own, unless the same dataset is loaded already, then writes the dunning state
the sweep recorded the day before (`as_of - 1`, steady), so that on `as_of` only the planned
changes (1 % of the accounts by default: notices due, grace / blocked / suspended / trial ended
entered, a payment, seats lapsing) are left to do. A fresh child process then runs the real
`dunning_sweep(as_of=...)` (e-mails to the locmem backend: nothing leaves the machine) and
reports:

- wall time, split into the candidate queries, the batches, sending the e-mails and the rest
  (trial deletion, contract reminders);
- SQL statements executed (`connection.execute_wrapper`; a server-side cursor's fetches are not
  counted, its statement is), per part;
- transitions, notices and e-mails written;
- memory: the child's peak RSS (`VmHWM` in /proc/self/status: Django, the templates and the
  connection included) and its growth during the sweep; then, after the dunning state is
  reloaded, a second run under `tracemalloc` (its peak of Python allocations; that run is
  slower and its time is not reported).

Budget (issue 10): under 30 s and 300 MB (peak RSS) for the sweep. Exits 1 when a size is over.

Database: `BENCH_SWEEP_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/billing_bench),
created and migrated when missing. It is emptied and filled by the loader (which refuses a
database with accounts it did not load), so `DATABASE_URL` is deliberately not used. Not part of
the test suite (`tests/test_bench_sweep.py` runs the generator and a tiny sweep).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sweep_data import DEFAULT_AS_OF, SweepDataSpec  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/billing_bench"
BUDGET_SECONDS = 30.0
BUDGET_MB = 300.0
PARTS = ("candidates", "batches", "e-mails", "trials and contracts")


# --- the child processes -------------------------------------------------------------------------


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
    import django

    django.setup()


def _result(data):
    print("RESULT " + json.dumps(data, default=str), flush=True)


def child_prepare(spec: SweepDataSpec, *, reload: bool, check: bool, explain: bool):
    """Load the dataset unless it is loaded, then the steady dunning state; VACUUM ANALYZE."""
    _django()
    from django.db import connection

    from bench import sweep_data

    out = {"loaded": False}
    if reload or sweep_data.loaded_spec() != spec.as_json():
        start = time.perf_counter()
        out["counts"] = sweep_data.dataset_load(spec)
        out["load_seconds"] = time.perf_counter() - start
        out["loaded"] = True
        check = True
    else:
        start = time.perf_counter()
        out["counts"] = sweep_data.dunning_state_load(spec)
        out["state_seconds"] = time.perf_counter() - start
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        cursor.execute("VACUUM (ANALYZE) seats_account, seats_seat, seats_member, auth_user, "
                       + ", ".join(sweep_data.DUNNING_TABLES))
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE removed_on IS NULL) "
                       "FROM seats_seat")
        out["seats"], out["live_seats"] = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM seats_account")
        out["accounts"] = cursor.fetchone()[0]
    if check:
        out["check"] = _check_candidates(spec)
    if explain:
        out["explain"] = _explain_candidates(spec.as_of)
    _result(out)


def _check_candidates(spec):
    """The steady day has no candidates but the accounts paid since; `as_of` has exactly the
    planned ones."""
    from bench.sweep_data import account_plans
    from catalogue.models import BillingPolicy
    from dunning.services.sweep import candidate_account_ids
    from seats.phases import PhasePolicy

    policy = PhasePolicy.from_model(BillingPolicy.current())
    plans = list(account_plans(spec))
    paid = {p.id for p in plans if p.kind == "paid_after_lapse"}
    planned = {p.id for p in plans if p.changes}
    steady = set(candidate_account_ids(spec.steady_day, policy))
    today = set(candidate_account_ids(spec.as_of, policy))
    return {"steady_day_candidates": len(steady), "steady_day_ok": steady == paid,
            "as_of_candidates": len(today), "as_of_ok": today == planned}


def _explain_candidates(as_of):
    """EXPLAIN (ANALYZE, BUFFERS) of each query `candidate_account_ids` runs (as captured)."""
    from django.db import connection

    from catalogue.models import BillingPolicy
    from dunning.services.sweep import candidate_account_ids
    from seats.phases import PhasePolicy

    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    policy = PhasePolicy.from_model(BillingPolicy.current())
    with connection.execute_wrapper(capture):
        candidate_account_ids(as_of, policy)
    plans = []
    for sql, params in captured:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


class _Meter:
    """Times the parts of the sweep and counts the statements each executes."""

    def __init__(self):
        self.part = "other"
        self.seconds = {}
        self.queries = {}

    def __call__(self, execute, sql, params, many, context):
        self.queries[self.part] = self.queries.get(self.part, 0) + 1
        return execute(sql, params, many, context)

    def wrap(self, part, function):
        def timed(*args, **kwargs):
            outer, self.part = self.part, part
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[part] = self.seconds.get(part, 0.0) + time.perf_counter() - start
                self.part = outer
        return timed


def _status_mb(field):
    """`VmRSS` (now) or `VmHWM` (peak) of this process, in MB. Not `ru_maxrss`: on Linux that
    survives `exec`, so a child started by a large parent (`make bench` after bench_pdf) would
    report the parent's size."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def child_sweep(spec: SweepDataSpec, *, trace: bool):
    """Run the real sweep of `spec.as_of` once and report (module docstring)."""
    os.environ["EMAIL_URL"] = "memorymail://"
    _django()
    from django.conf import settings
    from django.core import mail
    from django.db import connection

    from catalogue.models import BillingPolicy
    from dunning.models import Notice, PhaseTransition
    from dunning.services import sweep

    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
    assert not settings.DEBUG  # DEBUG keeps every query in memory
    BillingPolicy.current()  # connect and warm up before measuring
    meter = _Meter()
    parts = {"candidates": "candidate_account_ids", "batches": "_sweep_batch",
             "e-mails": "notices_send", "trials and contracts": "_trials_and_contracts"}
    originals = {name: getattr(sweep, name) for name in parts.values()
                 if hasattr(sweep, name)}  # only what the sweep module still has
    for part, name in parts.items():
        if name in originals:
            setattr(sweep, name, meter.wrap(part, originals[name]))
    mail.outbox = []
    rss_start = _status_mb("VmRSS")
    if trace:
        import tracemalloc

        tracemalloc.start()
    start = time.perf_counter()
    try:
        with connection.execute_wrapper(meter):
            result = sweep.dunning_sweep(as_of=spec.as_of)
        seconds = time.perf_counter() - start
    finally:
        for name, function in originals.items():
            setattr(sweep, name, function)
    out = {"seconds": seconds, "parts": meter.seconds, "queries": meter.queries,
           "rss_start_mb": rss_start,
           "peak_rss_mb": _status_mb("VmHWM")}
    if trace:
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    run = result.run
    out.update(
        accounts_changed=run.accounts_changed, seats_changed=run.seats_changed,
        notices_created=run.notices_created, notices_sent=run.notices_sent,
        trials_deleted=run.trials_deleted, emails=len(mail.outbox),
        transitions=PhaseTransition.objects.filter(recorded_on=spec.as_of).count(),
        account_transitions=PhaseTransition.objects.filter(
            recorded_on=spec.as_of, seat__isnull=True).count(),
        notices=Notice.objects.filter(created_on=spec.as_of).count(),
        report_lines=len(result.lines),
    )
    _result(out)


# --- the parent ----------------------------------------------------------------------------------


def _child(args, env, *extra):
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *extra, *args]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"bench_sweep: child {extra} failed ({done.returncode})")
    return json.loads(lines[-1][len("RESULT "):])


def _database_ready(url, env):
    """Create the benchmark database when missing, and migrate it."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                    [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], env=env,
                   cwd=ROOT, check=True)


def _spec_args(spec):
    args = ["--accounts", str(spec.accounts), "--seats-per-account",
            str(spec.seats_per_account), "--as-of", spec.as_of.isoformat(), "--seed",
            str(spec.seed), "--changes", str(spec.change_count)]
    return args


def _n(value):
    return f"{value:,}".replace(",", " ")


def run_size(spec, env, options):
    print(f"\n### {_n(spec.accounts)} accounts × {spec.seats_per_account} seats, as of "
          f"{spec.as_of}; {_n(spec.change_count)} accounts change "
          f"({spec.change_count / spec.accounts:.1%})")
    args = _spec_args(spec)
    flags = (["--reload"] if options.reload else []) + (["--explain"] if options.explain else [])
    prepared = _child(args + flags, env, "prepare")
    counts = prepared["counts"]
    if prepared["loaded"]:
        print(f"loaded with COPY in {prepared['load_seconds']:.1f} s: "
              f"{_n(prepared['accounts'])} accounts, {_n(prepared['seats'])} seats "
              f"({_n(prepared['live_seats'])} not removed), {_n(counts['members'])} admins, "
              f"{counts['contracts']} contracts, {counts['holds']} holds")
    else:
        print(f"dataset reused ({_n(prepared['accounts'])} accounts, {_n(prepared['seats'])} "
              f"seats); dunning state reloaded in {prepared['state_seconds']:.1f} s")
    print(f"steady state of {spec.steady_day}: {_n(counts['recorded_phases'])} recorded phases, "
          f"{_n(counts['seat_recorded_phases'])} seat phases, {_n(counts['transitions'])} "
          f"transitions, {_n(counts['notices'])} notices")
    if "check" in prepared:
        check = prepared["check"]
        print(f"check: {check['steady_day_candidates']} candidates on {spec.steady_day} (the "
              f"accounts paid since: {'ok' if check['steady_day_ok'] else 'WRONG'}), "
              f"{check['as_of_candidates']} on {spec.as_of} (the planned ones: "
              f"{'ok' if check['as_of_ok'] else 'WRONG'})")
        if not (check["steady_day_ok"] and check["as_of_ok"]):
            raise SystemExit("bench_sweep: the generated state is not what was planned")
    for plan in prepared.get("explain", []):
        print("\nEXPLAIN (ANALYZE, BUFFERS) of a candidate query:\n" + plan)

    swept = _child(args, env, "sweep")
    parts = ", ".join(f"{part} {swept['parts'][part]:.1f} s / {swept['queries'].get(part, 0)} q"
                      for part in PARTS if part in swept["parts"])
    queries = sum(swept["queries"].values())
    growth = swept["peak_rss_mb"] - swept["rss_start_mb"]
    print(f"sweep: {swept['seconds']:.1f} s, {queries} SQL statements ({parts})")
    print(f"wrote: {swept['transitions']} transitions ({swept['account_transitions']} of "
          f"accounts, {swept['transitions'] - swept['account_transitions']} of seats), "
          f"{swept['accounts_changed']} accounts and {swept['seats_changed']} seats changed, "
          f"{swept['notices']} notices, {swept['emails']} e-mails sent, "
          f"{swept['trials_deleted']} trials deleted")
    print(f"memory: peak RSS {swept['peak_rss_mb']:.0f} MB (VmHWM of the sweep process; "
          f"{swept['rss_start_mb']:.0f} MB before the sweep, +{growth:.0f} MB)")
    if options.tracemalloc:
        _child(args, env, "prepare")  # undo the run: the same work again
        traced = _child(args + ["--tracemalloc"], env, "sweep")
        print(f"memory: tracemalloc peak {traced['tracemalloc_peak_mb']:.1f} MB of Python "
              f"allocations (a second run under tracemalloc, {traced['seconds']:.1f} s)")
    over = swept["seconds"] >= BUDGET_SECONDS or swept["peak_rss_mb"] >= BUDGET_MB
    print(f"budget {BUDGET_SECONDS:.0f} s, {BUDGET_MB:.0f} MB: {'OVER BUDGET' if over else 'ok'}")
    return {"spec": spec, "swept": swept, "queries": queries, "over": over}


def _sizes(text):
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=_sizes,
                        default=_sizes(os.environ.get("BENCH_SWEEP_ACCOUNTS", "10000")),
                        help="sizes, comma-separated (default $BENCH_SWEEP_ACCOUNTS or 10000)")
    parser.add_argument("--seats-per-account", type=int, default=10)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--changes", type=int, help="accounts that change on the day")
    group.add_argument("--change-rate", type=float, default=0.01,
                       help="share of the accounts that change on the day (default 0.01)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--reload", action="store_true", help="load the data even if loaded")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of the candidate queries")
    parser.add_argument("--no-tracemalloc", dest="tracemalloc", action="store_false",
                        help="skip the second run under tracemalloc")
    parser.add_argument("--child", nargs="?", const="", help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", dest="trace", action="store_true",
                        help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true",
                        help="check the candidates even when the dataset is reused")
    options = parser.parse_args()
    if options.child is not None:
        spec = SweepDataSpec(accounts=options.accounts[0],
                             seats_per_account=options.seats_per_account,
                             changes=options.changes, as_of=options.as_of, seed=options.seed)
        if options.child == "prepare":
            child_prepare(spec, reload=options.reload, check=options.check,
                          explain=options.explain)
        else:
            child_sweep(spec, trace=options.trace)
        return 0

    url = os.environ.get("BENCH_SWEEP_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = dict(os.environ, DATABASE_URL=url, DEBUG="false", EMAIL_URL="memorymail://",
               DJANGO_SETTINGS_MODULE="billing_site.settings")
    _database_ready(url, env)
    print(f"database {url.rsplit('/', 1)[1]}; budget per sweep {BUDGET_SECONDS:.0f} s, "
          f"{BUDGET_MB:.0f} MB")
    results = []
    for accounts in options.accounts:
        spec = SweepDataSpec(accounts=accounts, seats_per_account=options.seats_per_account,
                             changes=options.changes, change_rate=options.change_rate,
                             as_of=options.as_of, seed=options.seed)
        results.append(run_size(spec, env, options))
    if len(results) > 1:
        print("\naccounts   seats      changing  transitions  notices  statements  time    peak")
        for row in results:
            spec, swept = row["spec"], row["swept"]
            print(f"{_n(spec.accounts):>8}  {_n(spec.seats):>9}  {_n(spec.change_count):>8}  "
                  f"{_n(swept['transitions']):>11}  {_n(swept['notices']):>7}  "
                  f"{_n(row['queries']):>10}  {swept['seconds']:5.1f} s  "
                  f"{swept['peak_rss_mb']:4.0f} MB")
    return 1 if any(row["over"] for row in results) else 0


if __name__ == "__main__":
    sys.exit(main())
