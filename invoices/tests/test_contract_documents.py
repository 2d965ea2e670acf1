"""Batch issuing of contract invoices (issue 11): a block of numbers reserved in one statement
under the counter's lock, gapless when a batch is rolled back midway; every document as the
single-issue path would make it."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from invoices.models import (
    ContractInvoice,
    Document,
    DocumentKind,
    ExchangeRate,
    NumberCounter,
)
from invoices.services.contract_documents import (
    ContractInvoiceInput,
    contract_invoiced_accounts,
    contract_invoices_issue,
)
from invoices.services.documents import LineInput, document_issue
from invoices.services.numbering import numbers_reserve
from seats.models import AuditEntry

from . import billing_profile

DEC = date(2026, 12, 1)
MONTH = date(2026, 12, 1)

pytestmark = pytest.mark.django_db


def lines(seats=10, price="59.00"):
    return [LineInput("Licencja stanowiska — umowa", Decimal(seats), Decimal(price),
                      period_start=MONTH, period_end=date(2026, 12, 31))]


@pytest.fixture
def buyers(make_account):
    """Four accounts with invoice data (PL)."""
    found = []
    for i in range(4):
        account, _ = make_account(f"Buyer {i}")
        found.append((account, billing_profile(account)))
    return found


def inputs_for(buyers, month=MONTH):
    return [ContractInvoiceInput(account=a, profile=p, month=month, seats=10, lines=lines(),
                                 currency=a.currency, sale_date=month,
                                 due_on=date(2026, 12, 15))
            for a, p in buyers]


def test_numbers_reserve_takes_a_block_in_one_statement(django_assert_num_queries):
    with transaction.atomic():
        with django_assert_num_queries(1):
            first = numbers_reserve(kind="invoice", issue_date=DEC, count=3)
        with django_assert_num_queries(1):
            second = numbers_reserve(kind="invoice", issue_date=DEC, count=2)
    assert [n.number for n in first + second] == [f"FV/2026/12/{i:04d}" for i in range(1, 6)]
    assert NumberCounter.objects.get(kind="invoice", year=2026, month=12).last_number == 5
    with transaction.atomic():
        assert numbers_reserve(kind="invoice", issue_date=DEC, count=0) == []


def test_numbers_reserve_refuses_bad_input():
    with transaction.atomic(), pytest.raises(ValueError):
        numbers_reserve(kind="receipt", issue_date=DEC, count=1)
    with transaction.atomic(), pytest.raises(ValueError):
        numbers_reserve(kind="invoice", issue_date=DEC, count=-1)


@pytest.mark.django_db(transaction=True)
def test_numbers_reserve_refuses_outside_a_transaction():
    """Outside a transaction the counter's lock would end before the documents are inserted."""
    with pytest.raises(RuntimeError):
        numbers_reserve(kind="invoice", issue_date=DEC, count=1)
    assert not NumberCounter.objects.exists()


def test_batch_issues_like_the_single_path(buyers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        result = contract_invoices_issue(inputs=inputs_for(buyers), as_of=DEC)
    assert len(callbacks) == 1
    assert [d.number for d in result.issued] == [f"FV/2026/12/{i:04d}" for i in range(1, 5)]
    single = document_issue(account=buyers[0][0], kind=DocumentKind.INVOICE, lines=lines(),
                            sale_date=MONTH, as_of=DEC, due_on=date(2026, 12, 15))
    assert single.number == "FV/2026/12/0005"  # the series carries on
    batch = Document.objects.get(pk=result.issued[0].pk)
    fields = ["kind", "status", "currency", "vat_code", "net", "vat", "gross", "buyer",
              "seller", "ordering_party", "issue_date", "sale_date", "due_date", "paid_by"]
    assert {f: getattr(batch, f) for f in fields} == {f: getattr(single, f) for f in fields}
    assert (list(batch.lines.values_list("quantity", "unit_price", "net", "vat_rate"))
            == list(single.lines.values_list("quantity", "unit_price", "net", "vat_rate")))
    assert (list(batch.vat_totals.values_list("vat_code", "net", "vat", "gross"))
            == list(single.vat_totals.values_list("vat_code", "net", "vat", "gross")))
    assert AuditEntry.objects.filter(action="document.issue").count() == 5
    assert contract_invoiced_accounts([a.pk for a, _ in buyers], MONTH) == {
        a.pk for a, _ in buyers}


def test_queries_per_batch_do_not_grow_with_its_size(make_account, django_assert_num_queries):
    def buyers(n):
        batch = []
        for i in range(n):
            account, _ = make_account(f"Q{n}-{i}")
            batch.append((account, billing_profile(account)))
        return batch

    def issue(batch, month):
        with transaction.atomic():
            contract_invoices_issue(inputs=inputs_for(batch, month), as_of=month,
                                    render=False)

    small, large = buyers(2), buyers(20)
    # savepoint, the number block, five inserts (documents, lines, VAT totals, audit rows,
    # contract-invoice rows), savepoint release
    with django_assert_num_queries(8):
        issue(small, date(2027, 1, 1))
    with django_assert_num_queries(8):
        issue(large, date(2027, 2, 1))


def test_a_batch_rolled_back_midway_leaves_no_gap(buyers):
    """The second batch has its numbers, documents, lines and totals inserted when its last
    insert (the contract-invoice rows) fails on the unique constraint: the whole batch rolls
    back, and the next number issued follows the last one committed."""
    with transaction.atomic():
        contract_invoices_issue(inputs=inputs_for(buyers[:2]), as_of=DEC, render=False)
    # buyers[1] again: its (account, month) row exists, the batch fails at its last insert
    with pytest.raises(IntegrityError), transaction.atomic():
        contract_invoices_issue(inputs=inputs_for([buyers[2], buyers[3], buyers[1]]),
                                as_of=DEC, render=False)
    assert NumberCounter.objects.get(kind="invoice", year=2026, month=12).last_number == 2
    assert Document.objects.count() == 2
    with transaction.atomic():
        result = contract_invoices_issue(inputs=inputs_for(buyers[2:]), as_of=DEC,
                                         render=False)
    assert [d.number for d in result.issued] == ["FV/2026/12/0003", "FV/2026/12/0004"]
    sequences = sorted(Document.objects.values_list("sequence", flat=True))
    assert sequences == [1, 2, 3, 4]
    assert ContractInvoice.objects.count() == 4


def test_a_foreign_invoice_with_vat_waits_for_its_rate_unissued(make_account):
    account, _ = make_account("Kunde", country="DE")
    profile = billing_profile(account, tax_id="", tax_id_status="n/a", kind="company")
    item = ContractInvoiceInput(account=account, profile=profile, month=MONTH, seats=10,
                                lines=lines(price="14.00"), currency="EUR", sale_date=MONTH,
                                due_on=date(2026, 12, 15))
    with transaction.atomic():
        result = contract_invoices_issue(inputs=[item], as_of=DEC, render=False)
    assert (result.issued, result.waiting_for_rate) == ([], [item])
    assert not Document.objects.exists()
    assert not NumberCounter.objects.exists()
    ExchangeRate.objects.create(currency="EUR", effective_date=date(2026, 11, 30),
                                rate=Decimal("4.250000"), table_number="231/A/NBP/2026")
    with transaction.atomic():
        result = contract_invoices_issue(inputs=[item], as_of=DEC, render=False)
    [doc] = result.issued
    assert (doc.number, doc.vat_code, doc.vat, doc.vat_pln) == (
        "FV/2026/12/0001", "23", Decimal("32.20"), Decimal("136.85"))
