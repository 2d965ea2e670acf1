"""Document numbers: series per kind and month, default format FV/2026/11/0001 (SPEC §7)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from invoices.models import Document, DocumentKind, NumberCounter
from invoices.services.documents import LineInput, document_issue
from invoices.services.numbering import next_number

from . import billing_profile

NOV = date(2026, 11, 16)
LINE = [LineInput("Licencja stanowiska", Decimal(1), Decimal("59.00"))]


def take(kind, day):
    with transaction.atomic():
        return next_number(kind=kind, issue_date=day)


@pytest.mark.django_db
def test_numbers_follow_the_default_format_per_series():
    assert take("invoice", NOV).number == "FV/2026/11/0001"
    assert take("invoice", NOV).number == "FV/2026/11/0002"
    assert take("proforma", NOV).number == "PF/2026/11/0001"
    assert take("correction", NOV).number == "KOR/2026/11/0001"
    assert tuple(take("invoice", NOV)) == ("FV/2026/11/0003", 2026, 11, 3)


@pytest.mark.django_db
def test_numbers_restart_each_month_and_each_year():
    assert take("invoice", date(2026, 11, 30)).number == "FV/2026/11/0001"
    assert take("invoice", date(2026, 11, 30)).number == "FV/2026/11/0002"
    assert take("invoice", date(2026, 12, 1)).number == "FV/2026/12/0001"
    assert take("proforma", date(2026, 12, 1)).number == "PF/2026/12/0001"
    assert take("invoice", date(2027, 1, 4)).number == "FV/2027/01/0001"
    # November's series carries on where it stopped
    assert take("invoice", date(2026, 11, 30)).number == "FV/2026/11/0003"
    assert NumberCounter.objects.get(kind="invoice", year=2026, month=11).last_number == 3


@pytest.mark.django_db
def test_number_format_comes_from_settings(settings):
    settings.DOCUMENT_NUMBER_FORMATS = {**settings.DOCUMENT_NUMBER_FORMATS,
                                        "invoice": "INV-{year}-{month:02d}-{seq:05d}"}
    assert take("invoice", NOV).number == "INV-2026-11-00001"


@pytest.mark.django_db
def test_unknown_series_is_refused():
    with pytest.raises(ValueError):
        take("receipt", NOV)


@pytest.mark.django_db(transaction=True)
def test_next_number_refuses_to_run_outside_a_transaction():
    """Outside a transaction the counter's lock would end before the document is inserted."""
    with pytest.raises(RuntimeError):
        next_number(kind="invoice", issue_date=NOV)
    assert not NumberCounter.objects.exists()


@pytest.mark.django_db
def test_a_rolled_back_issue_returns_its_number(make_account):
    account, _admin = make_account("Acme")
    billing_profile(account)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        doc = document_issue(account=account, kind="invoice", lines=LINE, sale_date=NOV,
                             as_of=NOV)
        assert doc.number == "FV/2026/11/0001"
        raise Abort
    assert not Document.objects.exists()
    doc = document_issue(account=account, kind="invoice", lines=LINE, sale_date=NOV, as_of=NOV)
    assert doc.number == "FV/2026/11/0001"
    assert (doc.number_year, doc.number_month, doc.sequence) == (2026, 11, 1)


@pytest.mark.django_db
def test_each_kind_numbers_its_own_series(make_account):
    account, _admin = make_account("Acme")
    billing_profile(account)
    issue = dict(account=account, lines=LINE, sale_date=NOV, as_of=NOV)
    proforma = document_issue(kind=DocumentKind.PROFORMA, **issue)
    first = document_issue(kind=DocumentKind.INVOICE, **issue)
    second = document_issue(kind=DocumentKind.INVOICE, **issue)
    december = document_issue(**{**issue, "as_of": date(2026, 12, 1)},
                              kind=DocumentKind.INVOICE)
    assert [proforma.number, first.number, second.number, december.number] == [
        "PF/2026/11/0001", "FV/2026/11/0001", "FV/2026/11/0002", "FV/2026/12/0001"]
