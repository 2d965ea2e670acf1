"""`manage.py support_settle --month YYYY-MM [--as-of YYYY-MM-DD]` (issue 14): the monthly
support invoices of every contract that ran in the month (`support_plans.services.settlement`)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing_site.dates import today
from billing_site.errors import DomainError
from support_plans.months import month_parse
from support_plans.services import support_settle


class Command(BaseCommand):
    help = ("Issue one VAT invoice per support contract for the month (plan fee, hours over the "
            "bundle), once per contract and month.")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month to settle, e.g. 2026-11.")
        parser.add_argument("--as-of", default=None,
                            help="Issue date (default: today, Europe/Warsaw); after the month.")

    def handle(self, *args, month, as_of=None, **options):
        try:
            first = month_parse(month)
        except ValueError as exc:
            raise CommandError(f"--month must be a month like 2026-11, not {month!r}.") from exc
        try:
            day = date.fromisoformat(as_of) if as_of else today()
        except ValueError as exc:
            raise CommandError(f"--as-of must be a date like 2026-12-01, not {as_of!r}.") from exc
        try:
            result = support_settle(month=first, as_of=day)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        counts = result.counts
        self.stdout.write(
            f"Support settlement {first:%Y-%m} (issued {day.isoformat()}): "
            f"{counts['issued']} invoiced, {counts['nothing_to_bill']} with nothing to bill, "
            f"{counts['already_settled']} already settled, {counts['failed']} failed.")
        for pk, report in sorted(result.reports.items()):
            used = report["minutes_used"]
            self.stdout.write(
                f"  contract {pk} ({report['account']}, {report['plan']}): "
                f"{report['tickets']} tickets, {report['met']} met, {report['breached']} "
                f"breached, {report['no_deadline']} without deadline; "
                f"{used['included_used']} min included used, {used['over_bundle']} min over "
                f"the bundle")
        for pk, message in result.failed:
            self.stderr.write(f"contract {pk}: {message}")
        if result.failed:
            raise CommandError(f"{len(result.failed)} contract(s) could not be invoiced.")
