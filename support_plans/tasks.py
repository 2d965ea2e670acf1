"""Celery tasks of support plans: thin, they parse the arguments and call a service."""

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from billing_site.dates import today

from .months import month_parse
from .services import contracts_apply_scheduled, support_settle, tickets_mark_breached


def previous_month(day: date) -> date:
    """The 1st of the month before `day`'s."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


@shared_task(name="support_plans.settle")
def settle(month: str | None = None, as_of: str | None = None) -> dict:
    """The monthly support settlement (beat, the 1st 07:00 Europe/Warsaw): invoices of `month`
    ("YYYY-MM"; default the month before `as_of`) issued on `as_of`
    (ISO date; default today). Idempotent. Returns the counts."""
    day = date.fromisoformat(as_of) if as_of else today()
    first = month_parse(month) if month else previous_month(day)
    result = support_settle(month=first, as_of=day)
    return {"month": first.isoformat(), "as_of": day.isoformat(), **result.counts,
            "failed_contracts": [{"contract": pk, "error": msg} for pk, msg in result.failed],
            "sla_reports": {str(pk): report for pk, report in result.reports.items()}}


@shared_task(name="support_plans.mark_breached")
def mark_breached() -> int:
    """Mark tickets past their deadline without a first response as breached (every 5 min)."""
    return tickets_mark_breached(now=timezone.now())


@shared_task(name="support_plans.apply_scheduled")
def apply_scheduled(as_of: str | None = None) -> dict:
    """Apply due plan changes and end cancelled contracts past their last day (daily)."""
    day = date.fromisoformat(as_of) if as_of else today()
    return contracts_apply_scheduled(as_of=day)
