"""`manage.py invoice_contracts --month YYYY-MM [--as-of YYYY-MM-DD] [--dry-run] [--no-render]`
(issue 11): the contract accounts' monthly VAT invoices (`dunning.services.contract_invoicing`)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing_site.dates import today
from billing_site.errors import DomainError
from dunning.services.contract_invoicing import contract_invoicing_run, month_parse


class Command(BaseCommand):
    help = ("Issue one VAT invoice per contract account for the month (confirmed seats × price, "
            "plus add-on packs), once per account and month; --dry-run only reports.")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True,
                            help="The month to invoice, e.g. 2026-12.")
        parser.add_argument("--as-of", default=None,
                            help="Issue date (default: today, Europe/Warsaw); not before the "
                                 "month's 1st.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Print what would be issued; issue nothing.")
        parser.add_argument("--no-render", action="store_true",
                            help="Queue no PDF task per invoice; the periodic rendering sweep "
                                 "renders and e-mails them (bulk runs, benchmarks).")
        parser.add_argument("--batch-size", type=int, default=500,
                            help="Accounts per transaction (default 500).")

    def handle(self, *args, month, as_of=None, dry_run=False, batch_size=500, no_render=False,
               **options):
        try:
            first = month_parse(month)
        except ValueError as exc:
            raise CommandError(f"--month must be a month like 2026-12, not {month!r}.") from exc
        try:
            day = date.fromisoformat(as_of) if as_of else today()
        except ValueError as exc:
            raise CommandError(f"--as-of must be a date like 2026-12-01, not {as_of!r}.") from exc
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        try:
            report = contract_invoicing_run(month=first, as_of=day, dry_run=dry_run,
                                            batch_size=batch_size, render=not no_render)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
