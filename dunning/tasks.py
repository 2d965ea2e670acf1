"""Celery tasks of the dunning app: thin, they parse the arguments and call a service."""

from datetime import date

from celery import shared_task

from billing_site.dates import today

from .services.contract_invoicing import contract_invoicing_run, month_parse
from .services.notices import notices_send
from .services.recurring import recurring_charges_run
from .services.sweep import dunning_sweep


@shared_task(name="dunning.sweep")
def sweep(as_of: str | None = None, dry_run: bool = False) -> dict:
    """The daily dunning sweep (beat, 00:15 Europe/Warsaw) for `as_of` (ISO date; default
    today). Returns the run's counts (and the report for a dry run) for the task result."""
    day = date.fromisoformat(as_of) if as_of else today()
    result = dunning_sweep(as_of=day, dry_run=dry_run)
    run = result.run
    return {"as_of": day.isoformat(), "dry_run": dry_run, "run_id": run.pk,
            "accounts_changed": run.accounts_changed, "seats_changed": run.seats_changed,
            "notices_created": run.notices_created, "notices_sent": run.notices_sent,
            "trials_deleted": run.trials_deleted,
            "report": result.report() if dry_run else ""}


@shared_task(name="dunning.send_notices")
def send_notices() -> int:
    """Send dunning e-mails left unsent (a sweep that died after committing a batch)."""
    return notices_send()


@shared_task(name="dunning.charge_recurring")
def charge_recurring(as_of: str | None = None, dry_run: bool = False) -> dict:
    """The daily recurring card charges (beat, 06:00 Europe/Warsaw; SPEC §6) for `as_of` (ISO
    date; default today). Returns the run's counts (and its report for a dry run)."""
    day = date.fromisoformat(as_of) if as_of else today()
    if day > today() and not dry_run:
        raise ValueError(f"as_of {day.isoformat()} is in the future: only a dry run may look "
                         "ahead (charging takes real money now)")
    run = recurring_charges_run(as_of=day, dry_run=dry_run)
    return {"as_of": day.isoformat(), "dry_run": dry_run, "opened": run.opened,
            "succeeded": run.succeeded, "declined": run.declined,
            "needs_authentication": run.needs_authentication, "gave_up": run.gave_up,
            "report": run.report() if dry_run else ""}


@shared_task(name="dunning.invoice_contracts")
def invoice_contracts(month: str | None = None, as_of: str | None = None,
                      dry_run: bool = False) -> dict:
    """Contract accounts' monthly VAT invoices (beat, the 1st of each month; SPEC §3, issue 11)
    for `month` ("YYYY-MM"; default the month of `as_of`) issued on `as_of` (ISO date; default
    today). Idempotent: a repeated run issues only what is missing. Returns the report's counts,
    numbers and skipped accounts for the task result."""
    day = date.fromisoformat(as_of) if as_of else today()
    first = month_parse(month) if month else day.replace(day=1)
    return contract_invoicing_run(month=first, as_of=day, dry_run=dry_run).as_dict()
