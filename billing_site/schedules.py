"""Periodic jobs declared in code. `manage.py setup_periodic_tasks` writes them into
django-celery-beat's tables, where ops can change times or switch them off in the admin; running it
again adds what is missing and leaves ops' edits alone. `describe_crontab` says when a job runs,
in the active language (the ops jobs page)."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# name → (task, crontab fields in Europe/Warsaw)
PERIODIC_TASKS = {
    "Heartbeat (every 5 minutes)": (
        "billing_site.heartbeat", {"minute": "*/5", "hour": "*"},
    ),
    "Queue the work the broker could not take when it was written (every minute)": (
        "billing_site.drain_outbox", {"minute": "*", "hour": "*"},
    ),
    "Apply scheduled member suspensions/deletions (daily)": (
        "seats.apply_scheduled_member_changes", {"minute": "5", "hour": "0"},
    ),
    "Dunning sweep: phases, e-mails, automations, trial deletion (daily 00:15)": (
        "dunning.sweep", {"minute": "15", "hour": "0"},
    ),
    "Recurring card charges: renewals of accounts with recurring payments on (daily 06:00)": (
        "dunning.charge_recurring", {"minute": "0", "hour": "6"},
    ),
    "Contract accounts' monthly VAT invoices (1st of the month, 06:30)": (
        "dunning.invoice_contracts", {"minute": "30", "hour": "6", "day_of_month": "1"},
    ),
    "Support plans: apply scheduled plan changes, end cancelled contracts (daily 00:20)": (
        "support_plans.apply_scheduled", {"minute": "20", "hour": "0"},
    ),
    "Support plans: mark tickets past their reaction deadline as breached (every 5 minutes)": (
        "support_plans.mark_breached", {"minute": "*/5", "hour": "*"},
    ),
    "Support plans: last month's invoices and SLA reports (1st of the month, 07:00)": (
        "support_plans.settle", {"minute": "0", "hour": "7", "day_of_month": "1"},
    ),
    "Send dunning e-mails left unsent (hourly)": (
        "dunning.send_notices", {"minute": "40", "hour": "*"},
    ),
    "Close pending orders that can no longer be paid (daily)": (
        "plans.refresh_orders", {"minute": "10", "hour": "0"},
    ),
    "Retry failed Stripe events, reconcile pending payments (every 5 minutes)": (
        "payments.retry_events", {"minute": "*/5", "hour": "*"},
    ),
    "Render and e-mail pending document PDFs (every 10 minutes)": (
        "invoices.render_pending_documents", {"minute": "*/10", "hour": "*"},
    ),
    # NBP publishes table A around 11:45–12:15 on business days; the 15:30 run catches a late
    # table or an outage at noon (days already stored are not asked for again).
    "Fetch NBP exchange rates, issue documents waiting for them (12:30, 15:30)": (
        "invoices.fetch_nbp_rates", {"minute": "30", "hour": "12,15"},
    ),
    "Send issued invoices to KSeF, check their statuses (every minute; off until configured)": (
        "invoices.ksef_sync", {"minute": "*", "hour": "*"},
    ),
    "Re-check VAT ids VIES could not confirm (hourly)": (
        "invoices.recheck_pending_vat_ids", {"minute": "20", "hour": "*"},
    ),
}


def _times(minute: str, hours: str) -> str:
    """"00:05" or "12:30, 15:30": each hour of `hours` (a comma list) at `minute`."""
    return ", ".join(f"{int(hour):02d}:{int(minute):02d}" for hour in hours.split(","))


def describe_crontab(fields: dict) -> str:
    """When a job with the crontab `fields` of `PERIODIC_TASKS` ({"minute", "hour",
    "day_of_month"}, Europe/Warsaw) runs, in words of the active language: "every minute",
    "every 5 minutes", "hourly at minute 40", "daily at 00:05", "daily at 12:30, 15:30",
    "monthly on day 1 at 06:30". A pattern these words do not cover is shown as crontab
    fields ("minute hour day-of-month"), never dropped."""
    minute, hour = str(fields.get("minute", "*")), str(fields.get("hour", "*"))
    day = str(fields.get("day_of_month", "*"))
    plain_minute, plain_hours = minute.isdigit(), all(h.isdigit() for h in hour.split(","))
    if day == "*" and hour == "*":
        if minute == "*":
            return _("every minute")
        if minute.startswith("*/") and minute[2:].isdigit():
            every = int(minute[2:])
            return ngettext("every %(count)d minute", "every %(count)d minutes", every) % {
                "count": every}
        if plain_minute:
            return _("hourly at minute %(minute)d") % {"minute": int(minute)}
    if plain_minute and plain_hours and day == "*":
        return _("daily at %(times)s") % {"times": _times(minute, hour)}
    if plain_minute and plain_hours and day.isdigit():
        return _("monthly on day %(day)d at %(times)s") % {"day": int(day),
                                                          "times": _times(minute, hour)}
    return f"{minute} {hour} {day}"
