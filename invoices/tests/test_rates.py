"""NBP rates (SPEC §7): the rate of the last business day before the issue date; fetched by a
Celery task from the NBP API — here a real local HTTP stub; documents waiting for a rate."""

from datetime import date
from decimal import Decimal

import pytest

from billing_site.celery import app as celery_app
from invoices import nbp
from invoices.models import (
    Document,
    DocumentStatus,
    ExchangeRate,
    RateSource,
    TaxIdStatus,
)
from invoices.services import rates
from invoices.services.documents import LineInput, document_issue, documents_issue_waiting
from invoices.tasks import fetch_nbp_rates
from seats.models import AuditEntry

from . import billing_profile
from .stubs import nbp_table_json, nbp_table_path, stub_server

D = Decimal
MON = date(2026, 11, 16)
FRI = date(2026, 11, 13)


@pytest.fixture
def nbp_stub(settings):
    with stub_server() as stub:
        settings.NBP_API_URL = stub.url("/api")
        settings.NBP_TIMEOUT = 2
        yield stub


def serve_table(stub, day, **kwargs):
    stub.route(nbp_table_path(day), json=nbp_table_json(day, **kwargs))


@pytest.fixture
def eur_buyer(make_account):
    """A German business whose VAT id VIES could not confirm yet: EUR invoices with 23 % VAT."""
    account, _ = make_account("Beispiel", country="DE")
    billing_profile(account, tax_id_status=TaxIdStatus.PENDING)
    return account


def eur_invoice(account, as_of=MON):
    return document_issue(account=account, kind="invoice",
                          lines=[LineInput("Licencja stanowiska", D(3), D("14.00"))],
                          sale_date=as_of, as_of=as_of)


# --- which day's rate ----------------------------------------------------------------------------


@pytest.mark.parametrize("issue_date, rate_date", [
    (date(2026, 11, 16), date(2026, 11, 13)),  # Monday → Friday
    (date(2026, 11, 17), date(2026, 11, 16)),  # Tuesday → Monday
    (date(2026, 11, 15), date(2026, 11, 13)),  # Sunday → Friday
    (date(2026, 11, 12), date(2026, 11, 10)),  # day after Independence Day (Wed 11 Nov)
    (date(2027, 1, 7), date(2027, 1, 5)),  # day after Epiphany (Wed 6 Jan)
    # 24 Dec is a public holiday since 2025 (the `holidays` package knows it), 25–26 Dec too
    (date(2026, 12, 28), date(2026, 12, 23)),
    (date(2027, 1, 4), date(2026, 12, 31)),  # Monday after New Year's Day (Fri 1 Jan)
])
def test_rate_is_that_of_the_last_business_day_before_the_issue_date(issue_date, rate_date):
    assert rates.rate_date_for_issue(issue_date) == rate_date


def test_christmas_eve_2026_is_a_polish_public_holiday():
    assert not rates.is_business_day(date(2026, 12, 24))
    assert rates.is_business_day(date(2026, 12, 23))


# --- the client ----------------------------------------------------------------------------------


def test_client_reads_table_a_with_exact_decimal_rates(nbp_stub):
    serve_table(nbp_stub, FRI, number="221/A/NBP/2026",
                rates={"EUR": "4.2345", "USD": "3.9876", "CZK": "0.1712", "GBP": "5.1234"})
    table = nbp.fetch_table_a(FRI)
    assert table.number == "221/A/NBP/2026" and table.effective_date == FRI
    assert table.rates["EUR"] == D("4.2345") and table.rates["CZK"] == D("0.1712")
    (request,) = nbp_stub.requests
    assert request.path == "/api/exchangerates/tables/A/2026-11-13/"
    assert request.query == {"format": ["json"]}
    assert request.headers["accept"] == "application/json"


def test_client_returns_none_when_nbp_has_no_table_that_day(nbp_stub):
    assert nbp.fetch_table_a(date(2026, 11, 14)) is None  # unrouted: 404


def test_client_reports_an_outage_as_retryable(nbp_stub, settings):
    nbp_stub.route(nbp_table_path(FRI), status=503, body="Service Unavailable")
    with pytest.raises(nbp.NbpUnavailable):
        nbp.fetch_table_a(FRI)
    settings.NBP_TIMEOUT = 0.2
    serve_table(nbp_stub, FRI)
    nbp_stub.route(nbp_table_path(FRI), json=nbp_table_json(FRI), delay=1)
    with pytest.raises(nbp.NbpUnavailable):
        nbp.fetch_table_a(FRI)


def test_client_reports_an_unreachable_server_as_retryable(settings):
    with stub_server() as stub:
        settings.NBP_API_URL = stub.url("/api")
    with pytest.raises(nbp.NbpUnavailable):  # the port is closed now
        nbp.fetch_table_a(FRI)


def test_client_refuses_an_unreadable_answer(nbp_stub):
    nbp_stub.route(nbp_table_path(FRI), json={"unexpected": True})
    with pytest.raises(nbp.NbpBadResponse):
        nbp.fetch_table_a(FRI)
    thursday = date(2026, 11, 12)
    nbp_stub.route(nbp_table_path(thursday), json=nbp_table_json(FRI))  # another day's table
    with pytest.raises(nbp.NbpBadResponse):
        nbp.fetch_table_a(thursday)


# --- storing -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_storing_a_table_is_idempotent_and_keeps_our_currencies_only():
    table = nbp.Table("221/A/NBP/2026", FRI, {"EUR": D("4.2345"), "USD": D("3.9876"),
                                               "CZK": D("0.1712"), "GBP": D("5.1")})
    rates.rates_store(table=table)
    rates.rates_store(table=table)
    assert sorted(ExchangeRate.objects.values_list("currency", "rate", "table_number")) == [
        ("CZK", D("0.171200"), "221/A/NBP/2026"), ("EUR", D("4.234500"), "221/A/NBP/2026"),
        ("USD", D("3.987600"), "221/A/NBP/2026")]


@pytest.mark.django_db
def test_nbp_table_replaces_a_rate_staff_entered_by_hand():
    rates.rate_enter_manually(currency="EUR", effective_date=FRI, rate=D("4.30"), actor=None,
                              as_of=MON)
    assert ExchangeRate.objects.get(currency="EUR").source == RateSource.MANUAL
    rates.rates_store(table=nbp.Table("221/A/NBP/2026", FRI, {"EUR": D("4.2345")}))
    rate = ExchangeRate.objects.get(currency="EUR")
    assert (rate.rate, rate.source, rate.table_number) == (D("4.2345"), RateSource.NBP,
                                                           "221/A/NBP/2026")


# --- the task ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_task_fetches_the_missing_business_days_of_the_last_week(nbp_stub):
    for day in (date(2026, 11, 10), date(2026, 11, 12), FRI, MON):
        serve_table(nbp_stub, day)
    result = fetch_nbp_rates.delay(as_of="2026-11-16").get()
    # business days from 16 Nov back to 9 Nov: 16, 13, 12, 10, 9 (11 Nov is a holiday)
    asked = [r.path.split("/")[-2] for r in nbp_stub.requests]
    assert asked == ["2026-11-16", "2026-11-13", "2026-11-12", "2026-11-10", "2026-11-09"]
    assert result["fetched"] == ["2026-11-16", "2026-11-13", "2026-11-12", "2026-11-10"]
    assert result["absent"] == ["2026-11-09"]  # 404 from the stub: skipped, not an error
    assert ExchangeRate.objects.filter(currency="EUR").count() == 4
    assert ExchangeRate.objects.get(currency="USD", effective_date=FRI).rate == D("3.9876")


@pytest.mark.django_db
def test_task_does_not_ask_again_for_days_it_has(nbp_stub):
    serve_table(nbp_stub, FRI)
    fetch_nbp_rates.delay(as_of="2026-11-16").get()
    before = len(nbp_stub.requests)
    fetch_nbp_rates.delay(as_of="2026-11-16").get()
    assert "/api/exchangerates/tables/A/2026-11-13/" not in [
        r.path for r in nbp_stub.requests[before:]]
    assert len(nbp_stub.requests_to(nbp_table_path(FRI))) == 1


@pytest.fixture
def eager_retries():
    """Eager tasks run their retries inline only when their exceptions do not propagate."""
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


@pytest.mark.django_db
def test_task_retries_an_outage_and_then_fails_loudly(nbp_stub, eager_retries):
    nbp_stub.route(nbp_table_path(MON), status=503, body="down")
    result = fetch_nbp_rates.delay(as_of="2026-11-16")
    with pytest.raises(nbp.NbpUnavailable):
        result.get()
    # eager mode runs the retries at once: the first try and its 6 retries
    assert len(nbp_stub.requests_to(nbp_table_path(MON))) == 1 + 6
    assert not ExchangeRate.objects.exists()


@pytest.mark.django_db
def test_task_puts_tables_fetched_before_an_outage_to_use(eur_buyer, nbp_stub, eager_retries):
    doc = eur_invoice(eur_buyer)
    serve_table(nbp_stub, date(2026, 11, 17))
    serve_table(nbp_stub, MON)
    nbp_stub.route(nbp_table_path(FRI), status=503, body="down")
    with pytest.raises(nbp.NbpUnavailable):
        fetch_nbp_rates.delay(as_of="2026-11-17").get()
    doc.refresh_from_db()  # issued on the 17th at the 16th's rate, fetched before the outage
    assert (doc.status, doc.issue_date, doc.exchange_rate_date) == (DocumentStatus.ISSUED,
                                                                   date(2026, 11, 17), MON)


# --- documents waiting for a rate ----------------------------------------------------------------


@pytest.mark.django_db
def test_foreign_invoice_without_its_rate_waits_unnumbered(eur_buyer, nbp_stub):
    doc = eur_invoice(eur_buyer)
    assert doc.status == DocumentStatus.WAITING_FOR_RATE
    assert (doc.number, doc.sequence, doc.due_date, doc.vat_pln) == ("", None, None, None)
    assert (doc.net, doc.vat) == (D("42.00"), D("9.66"))
    assert AuditEntry.objects.filter(action="document.wait_for_rate", target_id=doc.pk).exists()


@pytest.mark.django_db
def test_waiting_document_is_issued_when_the_task_fetches_its_rate(eur_buyer, nbp_stub):
    doc = eur_invoice(eur_buyer)
    assert doc.status == DocumentStatus.WAITING_FOR_RATE
    serve_table(nbp_stub, FRI, number="221/A/NBP/2026", rates={"EUR": "4.2345"})
    result = fetch_nbp_rates.delay(as_of="2026-11-16").get()
    doc.refresh_from_db()
    assert result["issued"] == ["FV/2026/11/0001"]
    assert (doc.status, doc.number, doc.issue_date) == (DocumentStatus.ISSUED,
                                                       "FV/2026/11/0001", MON)
    assert (doc.exchange_rate, doc.exchange_rate_date, doc.exchange_rate_table) == (
        D("4.2345"), FRI, "221/A/NBP/2026")
    assert doc.vat_pln == D("40.91")  # 9.66 × 4.2345 = 40.905… → 40.91
    assert doc.vat_totals.get().vat_pln == D("40.91")
    assert doc.due_date == date(2026, 11, 30)
    assert AuditEntry.objects.filter(action="document.issue", target_id=doc.pk).exists()


@pytest.mark.django_db
def test_waiting_document_stays_waiting_while_nbp_has_nothing(eur_buyer, nbp_stub):
    doc = eur_invoice(eur_buyer)
    result = fetch_nbp_rates.delay(as_of="2026-11-16").get()
    assert result["issued"] == []
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.WAITING_FOR_RATE and doc.number == ""


@pytest.mark.django_db
def test_waiting_document_is_issued_when_staff_enter_the_rate(eur_buyer):
    doc = eur_invoice(eur_buyer)
    rates.rate_enter_manually(currency="EUR", effective_date=FRI, rate=D("4.30"),
                              table_number="221/A/NBP/2026", actor=None, as_of=MON)
    documents_issue_waiting(as_of=MON)  # what the admin's entry does next (test_admin_rates)
    doc.refresh_from_db()
    assert (doc.status, doc.number, doc.exchange_rate) == (DocumentStatus.ISSUED,
                                                          "FV/2026/11/0001", D("4.30"))
    assert doc.vat_pln == D("41.54")  # 9.66 × 4.30 = 41.538
    assert AuditEntry.objects.filter(action="exchange_rate.manual").exists()


@pytest.mark.django_db
def test_a_document_issued_later_is_dated_and_converted_on_the_day_it_is_numbered(eur_buyer):
    """Requested on Monday without Friday's rate; nothing arrives until Tuesday, when Monday's
    table is known: it is issued on Tuesday at Monday's rate (never back-dated)."""
    doc = eur_invoice(eur_buyer)
    ExchangeRate.objects.create(currency="EUR", effective_date=FRI, rate=D("4.2345"))
    assert documents_issue_waiting(as_of=date(2026, 11, 17)) == []  # needs Monday's rate now
    ExchangeRate.objects.create(currency="EUR", effective_date=MON, rate=D("4.2400"),
                                table_number="222/A/NBP/2026")
    (issued,) = documents_issue_waiting(as_of=date(2026, 11, 17))
    assert issued.pk == doc.pk
    doc.refresh_from_db()
    assert (doc.issue_date, doc.exchange_rate_date, doc.exchange_rate) == (
        date(2026, 11, 17), MON, D("4.24"))
    assert doc.due_date == date(2026, 12, 1)


@pytest.mark.django_db
def test_waiting_documents_are_numbered_in_the_order_they_were_requested(eur_buyer):
    first, second = eur_invoice(eur_buyer), eur_invoice(eur_buyer)
    ExchangeRate.objects.create(currency="EUR", effective_date=FRI, rate=D("4.2345"))
    documents_issue_waiting(as_of=MON)
    assert list(Document.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")
                .values_list("number", flat=True)) == ["FV/2026/11/0001", "FV/2026/11/0002"]
    assert documents_issue_waiting(as_of=MON) == []  # nothing left; idempotent


@pytest.mark.django_db
def test_foreign_invoice_with_its_rate_is_issued_at_once_with_vat_in_pln(eur_buyer):
    ExchangeRate.objects.create(currency="EUR", effective_date=FRI, rate=D("4.2345"),
                                table_number="221/A/NBP/2026")
    doc = eur_invoice(eur_buyer)
    assert (doc.status, doc.number) == (DocumentStatus.ISSUED, "FV/2026/11/0001")
    assert (doc.exchange_rate_date, doc.vat_pln) == (FRI, D("40.91"))


@pytest.mark.django_db
def test_foreign_proforma_never_waits_for_a_rate(eur_buyer):
    doc = document_issue(account=eur_buyer, kind="proforma",
                         lines=[LineInput("Licencja stanowiska", D(3), D("14.00"))],
                         sale_date=MON, as_of=MON)
    assert (doc.status, doc.number, doc.vat_pln) == (DocumentStatus.ISSUED, "PF/2026/11/0001",
                                                     None)
    ExchangeRate.objects.create(currency="EUR", effective_date=FRI, rate=D("4.2345"))
    shown = document_issue(account=eur_buyer, kind="proforma",
                           lines=[LineInput("Licencja stanowiska", D(3), D("14.00"))],
                           sale_date=MON, as_of=MON)
    assert shown.vat_pln == D("40.91")  # shown when known
