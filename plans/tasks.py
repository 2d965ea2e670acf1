"""Thin Celery tasks of the plans app: load, call a service, report."""

from datetime import date

from celery import shared_task

from billing_site.dates import today

from . import services


@shared_task(name="plans.refresh_orders", acks_late=True)
def refresh_orders(as_of=None):
    """Daily: close pending orders that can no longer be paid (window ended, or what they were
    priced on changed; `services.orders_refresh`). Safe to run twice, or twice at once."""
    day = date.fromisoformat(as_of) if as_of else today()
    return {"as_of": day.isoformat(), "closed": services.orders_refresh(as_of=day)}
