"""Site-wide jobs. Tasks stay thin: they call a service and return a small JSON-able summary that
django-celery-results stores for ops to read in the admin."""

from celery import shared_task
from django.utils import timezone

from . import outbox


@shared_task(name="billing_site.heartbeat")
def heartbeat():
    """Proves the scheduler → broker → worker → result store chain is alive."""
    return {"alive": True, "at": timezone.now().isoformat()}


@shared_task(name="billing_site.drain_outbox", acks_late=True)
def drain_outbox():
    """Every minute: hand the broker the queued work it could not take when it was written (a
    broker that was down). Returns {"published", "failed", "left"}."""
    return outbox.drain()
