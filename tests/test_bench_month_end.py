"""The month-end invoicing benchmark (issue 11; bench/bench_month_end.py,
bench/month_end_data.py) on 30 accounts, so that it cannot rot: the generator loads what the
plan says, the real run issues one 3-line invoice per account with gapless consecutive numbers
and the same statements in every batch, emptying the invoices gives the next run the same work,
and the PDFs render in 2 worker processes. The timings themselves are not tested
(docs/benchmarks.md)."""

import pytest

from bench import bench_month_end, month_end_data
from bench.month_end_data import MonthEndDataSpec, contract_plans
from invoices.models import BillingProfile, Document
from plans.models import AccountAddOn
from seats.models import Account, ConfirmedSeatCount, Contract

SPEC = MonthEndDataSpec(accounts=30)


@pytest.fixture
def loaded(catalogue):
    return month_end_data.dataset_load(SPEC)


@pytest.mark.django_db
def test_generator_loads_contract_accounts_with_three_lines_to_bill(loaded):
    plans = list(contract_plans(SPEC))
    assert loaded["accounts"] == Account.objects.count() == 30
    assert Contract.objects.running_on(SPEC.month).count() == 30
    assert BillingProfile.objects.filter(country="PL", kind="company").count() == 30
    assert AccountAddOn.objects.filter(packs__gt=0).count() == 60
    assert ConfirmedSeatCount.objects.count() == sum(len(p.confirmations) for p in plans)
    assert month_end_data.loaded_spec() == SPEC.as_json()


@pytest.mark.django_db
def test_the_timed_run_issues_every_invoice_gapless_and_reset_gives_the_same_work(loaded):
    first = bench_month_end.invoicing_measure(SPEC, batch_size=7, trace=True)
    assert first["check"] == {"ok": True, "problems": [], "documents": 30, "lines": 90,
                              "vat_totals": 30, "contract_invoices": 30}
    assert (first["invoiced"], first["skipped"]) == (30, 0)
    # 5 batches (7, 7, 7, 7, 2), each with the same statements whatever its size
    assert len(first["per_batch"]) == 5 and len(set(first["per_batch"])) == 1
    # outside the batches: the next ids (and the savepoints of the test's transaction) per
    # batch, the policy and the prices once
    assert first["queries"] <= len(first["per_batch"]) * (first["per_batch"][0] + 3) + 5
    assert first["tracemalloc_peak_mb"] > 0

    month_end_data.invoices_reset()
    assert not Document.objects.exists()
    again = bench_month_end.invoicing_measure(SPEC, batch_size=30, trace=False)
    assert again["check"]["ok"] and again["invoiced"] == 30
    assert set(again["per_batch"]) == set(first["per_batch"])


@pytest.mark.django_db(transaction=True)
def test_pdfs_render_in_two_worker_processes(catalogue, settings, tmp_path):
    """Transactional: the forked workers open connections of their own and must see the
    invoices committed."""
    settings.MEDIA_ROOT = tmp_path
    month_end_data.dataset_load(MonthEndDataSpec(accounts=4))
    bench_month_end.invoicing_measure(MonthEndDataSpec(accounts=4), batch_size=500,
                                      trace=False)
    rendered = bench_month_end.rendering_measure(4, 2)
    assert {k: rendered[k] for k in ("documents", "rendered", "emailed", "stored")} == {
        "documents": 4, "rendered": 4, "emailed": 4, "stored": 4}
    assert len(list(tmp_path.rglob("*.pdf"))) == 4


def test_the_loader_refuses_a_database_it_did_not_fill(make_account):
    make_account("Real customer")
    with pytest.raises(RuntimeError, match="not loaded by"):
        month_end_data.dataset_load(SPEC)
    with pytest.raises(RuntimeError, match="not loaded by"):
        month_end_data.invoices_reset()
    assert Account.objects.filter(name="Real customer").exists()
