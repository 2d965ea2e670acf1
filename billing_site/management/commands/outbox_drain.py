from django.core.management.base import BaseCommand, CommandError

from billing_site.outbox import drain


class Command(BaseCommand):
    help = ("Hand the broker every queued task it has not taken yet (the outbox); the beat task "
            "billing_site.drain_outbox does the same every minute.")

    def handle(self, *args, **options):
        counts = drain()
        self.stdout.write(f"Outbox: {counts['published']} published, {counts['failed']} failed, "
                          f"{counts['left']} still waiting.")
        if counts["failed"]:
            raise CommandError("The broker did not take every message (see the log); run this "
                               "again when it is up.")
