from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from billing_site.schedules import PERIODIC_TASKS


class Command(BaseCommand):
    help = "Create the periodic jobs declared in billing_site/schedules.py (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for name, (task, cron) in PERIODIC_TASKS.items():
            if PeriodicTask.objects.filter(name=name).exists():
                continue
            schedule, _ = CrontabSchedule.objects.get_or_create(
                minute=cron["minute"], hour=cron["hour"], day_of_week="*",
                day_of_month=cron.get("day_of_month", "*"),
                month_of_year="*", timezone=settings.TIME_ZONE,
            )
            PeriodicTask.objects.create(name=name, task=task, crontab=schedule)
            created += 1
        self.stdout.write(f"Periodic tasks: {created} created, {len(PERIODIC_TASKS)} declared.")
