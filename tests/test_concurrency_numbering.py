"""Gapless document numbers under real concurrency (SPEC §7): threads, each with its own database
connection, issue documents at once (released by a barrier); some of their transactions roll
back after taking a number. The committed numbers must be exactly 1..N, N = documents committed.
"""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from billing_site.models import OutboxMessage
from invoices.models import Document, DocumentKind, NumberCounter
from invoices.services.documents import LineInput, document_issue
from invoices.tasks.rendering import render_document
from invoices.tests import billing_profile

AS_OF = date(2026, 11, 16)
THREADS = 10
PER_THREAD = 5
LINES = [LineInput("Licencja stanowiska — pakiet Base", Decimal(1), Decimal("59.00"))]

concurrent = pytest.mark.django_db(transaction=True)


class RolledBack(Exception):
    """Raised on purpose after issuing, inside the transaction, to roll it back."""


@pytest.fixture
def queued_renders(monkeypatch):
    """The documents whose render task was queued (through the outbox, in the issuing
    transaction: only committed ones), from any thread. The broker hand-over is a no-op here:
    rendering is tested elsewhere."""
    monkeypatch.setattr(render_document, "apply_async", lambda *args, **kwargs: None)

    def queued():
        return [row.args[0] for row in OutboxMessage.objects.filter(
            task_name=render_document.name).order_by("pk")]

    return queued


@pytest.fixture
def account(make_account):
    account, _admin = make_account("Acme")
    billing_profile(account)
    return account


def run_in_threads(work, count, timeout=120):
    """Run work(index) in `count` threads, each with its own connection, released together.
    Returns the exceptions raised (none expected)."""
    barrier = threading.Barrier(count)
    failures = []

    def runner(index):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=timeout)
            work(index)
        except Exception as exc:  # reported to the test
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return failures


def issue(account, kind=DocumentKind.INVOICE, as_of=AS_OF):
    return document_issue(account=account, kind=kind, lines=LINES, sale_date=as_of,
                          as_of=as_of)


@concurrent
def test_fifty_parallel_issues_with_rollbacks_leave_numbers_exactly_one_to_n(account,
                                                                             queued_renders):
    committed, rolled_back = [], []
    lock = threading.Lock()

    def work(thread):
        for attempt in range(PER_THREAD):
            roll_back = (thread + attempt) % 3 == 0  # 17 of the 50
            try:
                with transaction.atomic():
                    doc = issue(account)
                    if roll_back:
                        raise RolledBack
            except RolledBack:
                with lock:
                    rolled_back.append(doc.number)
                continue
            with lock:
                committed.append(doc)

    assert run_in_threads(work, THREADS) == []
    n = len(committed)
    assert n + len(rolled_back) == THREADS * PER_THREAD and n == 33
    stored = list(Document.objects.order_by("sequence").values_list("sequence", "number"))
    assert [seq for seq, _ in stored] == list(range(1, n + 1))
    assert [number for _, number in stored] == [f"FV/2026/11/{seq:04d}"
                                                for seq in range(1, n + 1)]
    assert sorted(doc.number for doc in committed) == [number for _, number in stored]
    assert NumberCounter.objects.get(kind="invoice", year=2026, month=11).last_number == n
    # a rolled-back number is handed out again (a sequence would have burnt it): every number
    # taken by a rolled-back transaction is within 1..N+1
    assert set(rolled_back) <= {f"FV/2026/11/{seq:04d}" for seq in range(1, n + 2)}
    # only committed documents are rendered
    assert sorted(queued_renders()) == sorted(doc.pk for doc in committed)


@concurrent
def test_parallel_issues_in_several_series_and_months_stay_gapless(account, queued_renders):
    """The first number of each series and month is taken by several threads at once (the
    counter row is created race-free)."""
    series = [(DocumentKind.INVOICE, AS_OF), (DocumentKind.PROFORMA, AS_OF),
              (DocumentKind.INVOICE, date(2026, 12, 1))]

    def work(thread):
        for attempt in range(4):
            kind, day = series[(thread + attempt) % len(series)]
            try:
                with transaction.atomic():
                    issue(account, kind=kind, as_of=day)
                    if attempt == 3:
                        raise RolledBack
            except RolledBack:
                pass

    assert run_in_threads(work, 9) == []
    for kind, day in series:
        seqs = list(Document.objects.filter(kind=kind, number_year=day.year,
                                            number_month=day.month)
                    .order_by("sequence").values_list("sequence", flat=True))
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) == 9
    assert NumberCounter.objects.count() == 3


@concurrent
def test_a_rolled_back_issue_leaves_no_gap(account, queued_renders):
    with pytest.raises(RolledBack), transaction.atomic():
        lost = issue(account)
        assert lost.number == "FV/2026/11/0001"
        raise RolledBack
    assert not Document.objects.exists()
    first, second = issue(account), issue(account)
    assert (first.number, second.number) == ("FV/2026/11/0001", "FV/2026/11/0002")
    assert queued_renders() == [first.pk, second.pk]
