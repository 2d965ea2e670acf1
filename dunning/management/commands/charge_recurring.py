"""`manage.py charge_recurring [--as-of YYYY-MM-DD] [--dry-run]` (issue 11, SPEC §6): the daily
recurring card charges (beat `dunning.charge_recurring`, 06:00 Europe/Warsaw)."""

from django.core.management.base import BaseCommand, CommandError

from billing_site.dates import today
from dunning.management.commands.dunning_sweep import _date
from dunning.services.recurring import recurring_charges_run


class Command(BaseCommand):
    help = ("Charge the saved cards of accounts with recurring payments on whose validity ends "
            "within the lead time, and retry declined charges; --dry-run only reports.")

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=str, default=None,
                            help="Business date to charge for (default: today, Europe/Warsaw).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Print what would be ordered and charged; change nothing.")

    def handle(self, *args, as_of=None, dry_run=False, **options):
        day = _date(as_of) if as_of else today()
        if day > today() and not dry_run:
            # a later date would take customers' money now for renewals not yet due
            raise CommandError(f"--as-of {day.isoformat()} is in the future: charging cards "
                               "takes real money now. Use --dry-run to see what that day "
                               "would do.")
        run = recurring_charges_run(as_of=day, dry_run=dry_run)
        if run.lines:
            self.stdout.write(run.report())
        self.stdout.write(
            f"{'Dry run' if dry_run else 'Recurring charges'} for {day.isoformat()}: "
            f"{run.opened} renewal(s) {'would be ' if dry_run else ''}ordered, "
            f"{run.succeeded} paid, {run.declined} declined, "
            f"{run.needs_authentication} waiting for the card holder, {run.gave_up} given up."
        )
