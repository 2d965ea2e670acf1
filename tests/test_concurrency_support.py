"""Support plans under real concurrency (SPEC §8, issue 14): threads, each with its own database
connection, released together by a barrier.

- two settlement runs of one month at once issue one invoice per contract (the contract's row
  lock plus the unique `SupportSettlement (contract, month)` row written with the invoice);
- time entries added at once use the included hours once, in order of entry (the contract's
  row lock): the included minutes never exceed the bundle.
"""

from datetime import date

import pytest
from django.contrib.auth.models import Group

from invoices.models import Document
from invoices.tests import billing_profile
from support_plans import services
from support_plans.defaults import seed_support_plans
from support_plans.models import SupportPlan, SupportSettlement, TimeEntry

from .test_concurrency_numbering import run_in_threads

NOV = date(2026, 11, 1)
concurrent = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contracts(make_account):
    seed_support_plans(SupportPlan, Group)
    start = SupportPlan.objects.get(code="START")
    made = []
    for name in ("Acme", "Beta", "Gamma"):
        account, admin = make_account(name)
        billing_profile(account)
        made.append(services.contract_order(account=account, plan=start, start=NOV,
                                            contact=admin, actor=None, as_of=NOV))
    return made


@concurrent
def test_two_concurrent_settlements_issue_one_invoice_per_contract(contracts):
    results = []
    failures = run_in_threads(
        lambda i: results.append(services.support_settle(month=NOV, as_of=date(2026, 12, 1))),
        2)
    assert failures == []
    assert SupportSettlement.objects.filter(month=NOV).count() == 3
    assert Document.objects.count() == 3
    assert sorted(sum((r.issued for r in results), [])) == sorted(c.pk for c in contracts)
    assert sum(r.counts["already_settled"] for r in results) == 3


@concurrent
def test_concurrent_time_entries_use_the_included_hours_once(contracts):
    contract = contracts[0]  # START: 180 included minutes
    failures = run_in_threads(
        lambda i: services.time_entry_add(contract=contract, ticket=None, channel="remote",
                                          minutes=25, date=date(2026, 11, 10), actor=None), 8)
    assert failures == []
    entries = list(TimeEntry.objects.filter(contract=contract).order_by("id"))
    assert [e.included_minutes for e in entries] == [30] * 6 + [0] * 2
    assert [e.billed_minutes_over_bundle for e in entries] == [0] * 6 + [30] * 2
