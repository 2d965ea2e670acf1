"""Celery tasks: VIES re-checks of VAT ids that VIES could not confirm (status pending).

`recheck_vat_id` is queued by `billing_profile_update` when VIES answers "unknown"; while VIES
keeps answering so it retries itself with growing delays (5 min, 15 min, 45 min, … at most a day
apart, `RECHECK_ATTEMPTS` times). The hourly `recheck_pending_vat_ids` sweep is the safety net for
chains that were lost (broker data gone) or gave up: it asks once more, without starting a new
chain, for every pending id whose last attempt is over an hour old — so however often it runs, a
pending id costs at most one extra VIES request an hour.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from invoices import vies
from invoices.services.profile import (
    billing_profile_recheck_vat_id,
    billing_profiles_due_for_recheck,
    recheck_delay,
)

__all__ = ["recheck_pending_vat_ids", "recheck_vat_id"]

RECHECK_ATTEMPTS = 10  # retries after the first re-check: ~6 days with the delays above


@shared_task(bind=True, name="invoices.recheck_vat_id", acks_late=True,
             reject_on_worker_lost=True, max_retries=RECHECK_ATTEMPTS,
             # the database gone for a moment: ask again later (a repeat only asks VIES again)
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=5,
             retry_backoff_max=300, retry_jitter=True)
def recheck_vat_id(self, profile_id, backoff=True):
    """Ask VIES again about a pending VAT id; valid/invalid are stored (invalid with a note in
    the audit row). `backoff=False`: one attempt, no retry chain (the sweep's calls)."""
    outcome = billing_profile_recheck_vat_id(profile_id=profile_id)
    if outcome == vies.UNKNOWN and backoff and self.request.retries < self.max_retries:
        raise self.retry(countdown=recheck_delay(self.request.retries + 1))
    return {"profile": profile_id, "outcome": outcome, "attempt": self.request.retries + 1}


@shared_task(name="invoices.recheck_pending_vat_ids", acks_late=True)
def recheck_pending_vat_ids():
    """Hourly: queue one re-check of every pending VAT id not tried for an hour."""
    due = billing_profiles_due_for_recheck(now=timezone.now())
    for profile_id in due:
        recheck_vat_id.apply_async((profile_id,), {"backoff": False})
    return {"queued": len(due)}
