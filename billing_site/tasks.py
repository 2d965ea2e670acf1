"""Site-wide jobs. Tasks stay thin: they call a service and return a small JSON-able summary that
django-celery-results stores for ops to read in the admin."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="billing_site.heartbeat")
def heartbeat():
    """Proves the scheduler → broker → worker → result store chain is alive."""
    return {"alive": True, "at": timezone.now().isoformat()}
