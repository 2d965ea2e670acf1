"""Celery tasks: NBP exchange rates."""

from datetime import date

from celery import shared_task

from billing_site.dates import today
from invoices.nbp import NbpError, NbpUnavailable
from invoices.services.rates import rates_fetch_missing
from invoices.services.waiting import documents_issue_waiting

__all__ = ["fetch_nbp_rates"]


@shared_task(name="invoices.fetch_nbp_rates", autoretry_for=(NbpUnavailable,),
             retry_backoff=60, retry_backoff_max=3600, retry_jitter=True,
             retry_kwargs={"max_retries": 6})
def fetch_nbp_rates(as_of=None):
    """Fetch the NBP table A of recent business days we miss, then issue the documents that
    were waiting for them. `as_of` is an ISO date (default: today in Europe/Warsaw)."""
    day = date.fromisoformat(as_of) if as_of else today()
    try:
        summary = rates_fetch_missing(as_of=day)
    except NbpError:
        # the tables stored before the outage are put to use before the task retries
        documents_issue_waiting(as_of=day)
        raise
    issued = documents_issue_waiting(as_of=day)
    return {**summary, "issued": [doc.number for doc in issued]}
