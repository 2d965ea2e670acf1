"""Celery task: send issued invoices to KSeF and track them (issue 15)."""

from celery import shared_task
from django.utils import timezone

from invoices.ksef import sending

from .rendering import DATABASE_DOWN

__all__ = ["ksef_sync"]


@shared_task(name="invoices.ksef_sync", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=DATABASE_DOWN, retry_backoff=5, retry_backoff_max=300,
             retry_jitter=True, max_retries=10)
def ksef_sync():
    """Queue, send and check KSeF e-invoices (`invoices.ksef.sending.ksef_sync`). Does nothing
    while sending is not configured. KSeF outages are not task failures: the documents wait in
    the database with their own backoff, so a lost or killed task loses nothing."""
    return sending.ksef_sync(now=timezone.now())
