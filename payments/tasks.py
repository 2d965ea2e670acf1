"""Thin Celery tasks of the payments app."""

from datetime import date

from celery import shared_task

from billing_site.dates import today

from .services.events import events_retry, payments_reconcile


@shared_task(name="payments.retry_events", acks_late=True)
def retry_events(as_of=None):
    """Every few minutes: process again the Stripe events that failed, then reconcile online
    payments left pending with Stripe's state. Safe to run twice at once (row locks, one
    application per order)."""
    day = date.fromisoformat(as_of) if as_of else today()
    return {"events": events_retry(as_of=day), "reconciled": payments_reconcile(as_of=day)}
