"""Celery tasks: NBP exchange rates."""

from celery import shared_task

from invoices.nbp import NbpUnavailable

__all__ = ["fetch_nbp_rates"]


@shared_task(name="invoices.fetch_nbp_rates", autoretry_for=(NbpUnavailable,),
             retry_backoff=60, retry_backoff_max=3600, retry_jitter=True,
             retry_kwargs={"max_retries": 6})
def fetch_nbp_rates(as_of=None):
    """Fetch the NBP table A of recent business days we miss, then issue the documents that
    were waiting for them. `as_of` is an ISO date (default: today in Europe/Warsaw)."""
    from invoices.services.rates import rates_fetch_missing

    return rates_fetch_missing(as_of=as_of)
