"""The dunning sweep benchmark (issue 10; bench/bench_sweep.py, bench/sweep_data.py) on a tiny
dataset: the generator's steady state leaves nothing to do on the day before (but the accounts
paid since), the planned accounts are exactly the sweep's candidates on the day, the real sweep
records each planned change, and reloading the dunning state undoes the run. The timings
themselves are not tested (docs/benchmarks.md)."""

import json

import pytest

from bench import bench_sweep, sweep_data
from bench.sweep_data import CHANGE_KINDS, STEADY_SHARES, SweepDataSpec, account_plans
from catalogue.models import BillingPolicy
from dunning.models import Notice, PhaseTransition, RecordedPhase
from dunning.services.sweep import candidate_account_ids
from seats.access import standing_of
from seats.models import Account, Member, Seat
from seats.phases import Phase, PhasePolicy

pytestmark = pytest.mark.django_db

# 3 accounts of each kind of change; 4 seats each
SPEC = SweepDataSpec(accounts=300, seats_per_account=4, changes=3 * len(CHANGE_KINDS))


@pytest.fixture
def policy():
    return PhasePolicy.from_model(BillingPolicy.current())


@pytest.fixture
def loaded(catalogue):
    counts = sweep_data.dataset_load(SPEC)
    plans = list(account_plans(SPEC))
    return counts, plans


def ids(plans, *kinds):
    return {plan.id for plan in plans if plan.kind in kinds}


def test_generator_loads_accounts_seats_and_a_steady_state(loaded, policy):
    counts, plans = loaded
    assert counts["accounts"] == Account.objects.count() == 300
    assert counts["seats"] == Seat.objects.count() == 1200
    assert Member.objects.filter(role="admin", seat__isnull=False).count() == 300
    assert {plan.kind for plan in plans} == {*CHANGE_KINDS, *STEADY_SHARES, "active"}
    assert sweep_data.loaded_spec() == SPEC.as_json()

    day = SPEC.steady_day
    paid_since = ids(plans, "paid_after_lapse")
    assert set(candidate_account_ids(day, policy)) == paid_since
    recorded = dict(RecordedPhase.objects.values_list("account_id", "phase"))
    for account in Account.objects.exclude(pk__in=paid_since):
        assert recorded.get(account.pk, Phase.ACTIVE) == standing_of(account, day).phase
    # every notice of the steady state went out before the day
    assert not Notice.objects.filter(sent_at__isnull=True).exists()
    assert not Notice.objects.filter(created_on__gt=day).exists()
    assert set(candidate_account_ids(SPEC.as_of, policy)) == ids(plans, *CHANGE_KINDS)


def test_the_timed_sweep_records_the_planned_changes_and_reloading_undoes_it(
        loaded, policy, capsys):
    _counts, plans = loaded
    bench_sweep.child_sweep(SPEC, trace=True)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("RESULT ")
    result = json.loads(line[len("RESULT "):])

    # 3 accounts each enter grace, blocked, suspended, end their trial and pay after a lapse;
    # their seats (4 each, none for suspension) and 2 seats of each seat_lapses account change
    assert result["accounts_changed"] == result["account_transitions"] == 15
    assert result["seats_changed"] == 4 * 3 * 4 + 3 * 2
    assert result["transitions"] == 15 + 54
    # notices: 7 days, 1 day, grace, blocked, suspended, trial ending, trial ended (3 each)
    assert result["notices"] == result["notices_sent"] == result["emails"] == 21
    assert result["queries"]["candidates"] >= 2 and sum(result["queries"].values()) > 21
    assert result["tracemalloc_peak_mb"] > 0 and result["peak_rss_mb"] > 0

    for account in Account.objects.filter(pk__in=ids(plans, *CHANGE_KINDS)):
        recorded = RecordedPhase.objects.filter(account=account).first()
        assert (recorded.phase if recorded else Phase.ACTIVE) == standing_of(
            account, SPEC.as_of).phase
    assert candidate_account_ids(SPEC.as_of, policy) == []

    sweep_data.dunning_state_load(SPEC)
    assert not PhaseTransition.objects.filter(recorded_on=SPEC.as_of).exists()
    assert set(candidate_account_ids(SPEC.as_of, policy)) == ids(plans, *CHANGE_KINDS)


def test_the_loader_refuses_a_database_it_did_not_fill(make_account):
    make_account("Real customer")
    with pytest.raises(RuntimeError, match="not loaded by"):
        sweep_data.dataset_load(SPEC)
    assert Account.objects.filter(name="Real customer").exists()
