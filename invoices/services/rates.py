"""NBP exchange rates: which day's rate a document needs, storing fetched tables, manual rates.

Rule (SPEC §7, art. 31a of the Polish VAT Act): VAT of a foreign-currency document is shown in PLN
at the NBP table A mid rate of the last business day before the issue date. Business days are
Monday–Friday except Polish public holidays (`holidays` package). Only that exact day's rate is
used: if it is missing (fetch failed, or NBP published no table on a business day) the document
waits, and staff can enter the rate by hand in the admin.

Storing a rate never issues documents here: the documents service sits above this module (it asks
it for the rate an issue date needs), so the callers — the rates task and the admin's manual
entry — call `invoices.services.waiting.documents_issue_waiting` once the rate is stored.
"""

from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import holidays
from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from billing_site.money import Currency
from invoices import nbp
from invoices.models import ExchangeRate, RateSource
from invoices.nbp import Table
from seats.audit import audit_record

# The currencies documents can be in, other than PLN: the rates we keep.
FOREIGN_CURRENCIES = tuple(code for code in Currency.values if code != "PLN")
# How far back the daily fetch fills in missing tables (calendar days before as_of)
FETCH_DAYS_BACK = 7


@lru_cache(maxsize=32)
def _polish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("PL", years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _polish_holidays(day.year)


def previous_business_day(day: date) -> date:
    """The last business day strictly before `day`."""
    day -= timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def rate_date_for_issue(issue_date: date) -> date:
    """The day whose NBP table applies to a document issued on `issue_date`."""
    return previous_business_day(issue_date)


def rate_for_issue(*, currency: str, issue_date: date) -> ExchangeRate | None:
    """The rate a document in `currency` issued on `issue_date` needs, or None while unknown."""
    return ExchangeRate.objects.filter(currency=currency,
                                       effective_date=rate_date_for_issue(issue_date)).first()


def business_days_back(as_of: date, *, days: int) -> list[date]:
    """Business days in (as_of − days, as_of], newest first."""
    window = (as_of - timedelta(days=n) for n in range(days))
    return [day for day in window if is_business_day(day)]


def rates_store(*, table: Table, currencies=FOREIGN_CURRENCIES) -> list[ExchangeRate]:
    """Store a fetched NBP table's rates for `currencies`; idempotent (one rate per currency and
    day). NBP is authoritative: its rate replaces a rate staff entered by hand for that day
    (documents already issued keep the rate they were issued with)."""
    stored = []
    with transaction.atomic():
        for currency in currencies:
            mid = table.rates.get(currency)
            if mid is None:
                continue
            rate, _created = ExchangeRate.objects.update_or_create(
                currency=currency, effective_date=table.effective_date,
                defaults={"rate": mid, "table_number": table.number, "source": RateSource.NBP},
            )
            stored.append(rate)
    return stored


def rates_missing(*, day: date, currencies=FOREIGN_CURRENCIES) -> bool:
    have = set(ExchangeRate.objects.filter(effective_date=day, currency__in=currencies)
               .values_list("currency", flat=True))
    return bool(set(currencies) - have)


def rate_enter_manually(*, currency: str, effective_date: date, rate: Decimal,
                        table_number: str = "", actor, as_of: date) -> ExchangeRate:
    """Staff enter (or correct) a rate by hand on business day `as_of` (kept in the audit row).
    The caller then issues the documents waiting for it (`documents_issue_waiting`), as the
    admin does."""
    if currency not in FOREIGN_CURRENCIES:
        raise DomainError(_("Rates are kept for EUR, USD and CZK only."), field="currency")
    rate = Decimal(rate)
    if rate <= 0:
        raise DomainError(_("The rate must be greater than zero."), field="rate")
    with transaction.atomic():
        before = (ExchangeRate.objects.select_for_update()
                  .filter(currency=currency, effective_date=effective_date).first())
        stored, _created = ExchangeRate.objects.update_or_create(
            currency=currency, effective_date=effective_date,
            defaults={"rate": rate, "table_number": table_number,
                      "source": RateSource.MANUAL},
        )
        audit_record(
            account=None, actor=actor, action="exchange_rate.manual", target=stored,
            before=None if before is None else {"rate": str(before.rate),
                                                "source": before.source},
            after={"currency": currency, "effective_date": effective_date.isoformat(),
                   "rate": str(stored.rate), "table_number": table_number,
                   "entered_on": as_of.isoformat()},
        )
    return stored


def rates_fetch_missing(*, as_of: date, days_back: int = FETCH_DAYS_BACK) -> dict:
    """Fetch NBP table A for each business day from `as_of` back `days_back` days that we do not
    have yet (a day NBP has no table for is skipped: 404) and store it; each table is stored as
    soon as it is fetched. Network failures raise `nbp.NbpUnavailable` (the task retries; the
    tables stored before it stay). Returns a JSON-safe summary. The caller (the task) then
    issues the documents waiting for a rate."""
    fetched, absent = [], []
    for day in business_days_back(as_of, days=days_back + 1):
        if not rates_missing(day=day):
            continue
        table = nbp.fetch_table_a(day)
        if table is None:
            absent.append(day.isoformat())
            continue
        rates_store(table=table)
        fetched.append(day.isoformat())
    return {"as_of": as_of.isoformat(), "fetched": fetched, "absent": absent}
