"""The job machinery end to end: schedule in the database → beat → Redis → a real worker → result
row in django-celery-results. Needs the Redis broker (REDIS_URL), as `make test` sets."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from billing_site.celery import app as celery_app
from seats import services
from seats.models import MemberRole, MemberState

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "tests run against real Redis"
    celery_app.control.purge()
    with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=20) as w:
        yield w


def test_declared_periodic_tasks_are_written_to_the_beat_schedule_idempotently():
    call_command("setup_periodic_tasks")
    call_command("setup_periodic_tasks")
    tasks = dict(PeriodicTask.objects.values_list("task", "crontab__minute"))
    assert tasks["billing_site.heartbeat"] == "*/5"
    assert "seats.apply_scheduled_member_changes" in tasks
    assert PeriodicTask.objects.filter(task="billing_site.heartbeat").count() == 1


def test_heartbeat_task_runs_on_a_real_worker_and_its_result_is_stored(worker):
    call_command("setup_periodic_tasks")
    periodic = PeriodicTask.objects.get(task="billing_site.heartbeat")
    result = celery_app.send_task(periodic.task, kwargs=json.loads(periodic.kwargs))
    assert result.get(timeout=30)["alive"] is True
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert stored.task_name == "billing_site.heartbeat"


def test_beat_process_sends_the_database_schedule_to_the_worker(worker):
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.create(
        name="heartbeat every second (test)", task="billing_site.heartbeat", interval=every_second
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "billing_site", "beat", "--max-interval", "1",
         "-s", os.devnull, "-l", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if TaskResult.objects.filter(task_name="billing_site.heartbeat",
                                         status="SUCCESS").exists():
                break
            assert beat.poll() is None, beat.stdout.read()
            time.sleep(0.5)
        else:
            pytest.fail("beat did not get a heartbeat through the worker within 40 s")
    finally:
        beat.terminate()
        beat.wait(10)


def test_scheduled_suspension_is_applied_by_the_daily_task_on_the_worker(worker, make_account):
    account, admin = make_account("Worker Co", extra_seats=0)
    user = services.member_invite(account=account, email="u@worker.example",
                                  role=MemberRole.USER, actor=None, as_of=admin.seat.created_on,
                                  notify=False)
    effective = admin.seat.created_on + timedelta(days=3)
    services.member_release(account=account, member=user, state=MemberState.SUSPENDED,
                            effective=effective, remove_seat=False, actor=None,
                            as_of=admin.seat.created_on)
    early = celery_app.send_task("seats.apply_scheduled_member_changes",
                                 kwargs={"as_of": (effective - timedelta(days=1)).isoformat()})
    assert early.get(timeout=30)["applied"] == 0
    due = celery_app.send_task("seats.apply_scheduled_member_changes",
                               kwargs={"as_of": effective.isoformat()})
    assert due.get(timeout=30) == {"as_of": effective.isoformat(), "applied": 1}
    user.refresh_from_db()
    assert user.state == MemberState.SUSPENDED
