"""The sweep run twice at the same time from two real processes, and a sweep killed midway and
resumed: the same rows as one run, and every e-mail sent exactly once (issue 10)."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from dunning.models import Notice, PhaseTransition, RecordedPhase
from dunning.services.sweep import dunning_sweep
from seats import services as seat_services
from seats.models import Seat
from seats.tests.helpers import seats_pay_through

pytestmark = pytest.mark.django_db(transaction=True)

AS_OF = date(2026, 11, 8)
CREATED = date(2026, 9, 1)  # seats valid until 2026-09-30, then paid on


def database_url():
    db = connection.settings_dict
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


def start_sweep(mail_dir: Path, *extra):
    # django-environ drops one slash of the path: four in all for an absolute directory
    env = {**os.environ, "DATABASE_URL": database_url(), "EMAIL_URL": f"filemail:///{mail_dir}"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "dunning_sweep", "--as-of", AS_OF.isoformat(),
         "--batch-size", "3", *extra],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def sent_messages(mail_dir: Path) -> list[str]:
    """The To: lines of every message the file backend wrote."""
    found = []
    for path in mail_dir.glob("*.log"):
        found += [line for line in path.read_text().splitlines() if line.startswith("To: ")]
    return found


@pytest.fixture
def overdue_accounts(make_account):
    """24 accounts whose seats ended on different days: some in grace, some blocked, some
    suspended, some still valid, on AS_OF."""
    accounts = []
    for i in range(24):
        account, _admin = make_account(f"Overdue {i:02d}", as_of=CREATED)
        seat_services.seats_add(account=account, count=1, actor=None, as_of=CREATED)
        last_day = AS_OF - timedelta(days=i - 3)  # d from -3 to 20
        seats_pay_through(Seat.objects.filter(account=account), last_day, as_of=CREATED)
        accounts.append(account)
    return accounts


def test_two_sweeps_at_once_make_the_rows_of_one_and_send_each_mail_once(
        overdue_accounts, tmp_path):
    first, second = start_sweep(tmp_path), start_sweep(tmp_path)
    for process in (first, second):
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    notices = list(Notice.objects.all())
    assert notices, "the accounts entering grace, blocked and suspended get notices"
    assert all(n.sent_at is not None and n.attempts == 1 for n in notices)
    assert len(sent_messages(tmp_path)) == len(notices)
    # the same rows a single run would have written: one transition per changed account
    changed = RecordedPhase.objects.count()
    assert PhaseTransition.objects.filter(seat__isnull=True).count() == changed
    assert changed == sum(1 for i in range(24) if i - 3 >= 1)  # d ≥ 1: not active any more
    # and a third run changes nothing
    again = dunning_sweep(as_of=AS_OF)
    assert again.run.accounts_changed == 0 and again.run.notices_created == 0


def test_a_sweep_killed_midway_is_resumed_by_the_next_without_duplicates(
        overdue_accounts, tmp_path):
    process = start_sweep(tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if RecordedPhase.objects.exists():  # at least one batch committed
            break
        time.sleep(0.01)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    killed_mails = len(sent_messages(tmp_path))
    result = start_sweep(tmp_path)
    _out, err = result.communicate(timeout=120)
    assert result.returncode == 0, err.decode()
    notices = list(Notice.objects.all())
    assert all(n.sent_at is not None for n in notices)
    # every notice mailed once: by the killed run or by the resuming one (a kill between the
    # mail server's acceptance and the commit is the one window that could repeat a mail; the
    # batch is small so the kill rarely lands there, and the check allows no more than that)
    total = len(sent_messages(tmp_path))
    assert len(notices) <= total <= len(notices) + 3
    assert killed_mails <= total
    changed = RecordedPhase.objects.count()
    assert changed == sum(1 for i in range(24) if i - 3 >= 1)
    assert PhaseTransition.objects.filter(seat__isnull=True).count() == changed
