"""The periodic jobs declared in code reach django-celery-beat's tables as declared."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from billing_site.schedules import PERIODIC_TASKS


@pytest.mark.django_db
def test_every_declared_job_is_written_with_its_crontab_including_the_day_of_month():
    call_command("setup_periodic_tasks")
    written = {task.name: task for task in PeriodicTask.objects.select_related("crontab")}
    for name, (task, cron) in PERIODIC_TASKS.items():
        row = written[name]
        assert row.task == task
        assert (row.crontab.minute, row.crontab.hour, row.crontab.day_of_month) == (
            cron["minute"], cron["hour"], cron.get("day_of_month", "*")), name
    contracts = written["Contract accounts' monthly VAT invoices (1st of the month, 06:30)"]
    assert contracts.crontab.day_of_month == "1"
    call_command("setup_periodic_tasks")  # again: nothing new
    assert PeriodicTask.objects.count() == len(written)
