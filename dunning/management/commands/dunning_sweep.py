"""`manage.py dunning_sweep [--as-of YYYY-MM-DD] [--dry-run]` (issue 10): the daily sweep."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing_site.dates import today
from dunning.services.sweep import dunning_sweep


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be a date like 2026-12-31, not {value!r}.") from exc


class Command(BaseCommand):
    help = ("Record dunning phase changes and perform their effects once (e-mails, automations, "
            "trial deletion); --dry-run only reports what it would do.")

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=str, default=None,
                            help="Business date to sweep for (default: today, Europe/Warsaw).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Print what would change and be sent; change nothing.")
        parser.add_argument("--batch-size", type=int, default=500,
                            help="Accounts per transaction (default 500).")

    def handle(self, *args, as_of=None, dry_run=False, batch_size=500, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        day = _date(as_of) if as_of else today()
        result = dunning_sweep(as_of=day, dry_run=dry_run, batch_size=batch_size)
        run = result.run
        self.stdout.write(result.report())
        self.stdout.write(
            f"{'Dry run' if dry_run else 'Sweep'} for {day.isoformat()}: "
            f"{run.accounts_changed} account(s) and {run.seats_changed} seat(s) changed phase, "
            f"{run.notices_created} e-mail(s) {'would be ' if dry_run else ''}created, "
            f"{run.notices_sent} sent, {run.trials_deleted} trial account(s) deleted."
        )
