"""KSeF sending under real concurrency (issue 15): two runs at once send each invoice once; a
sending process killed (SIGKILL) while KSeF holds its answer loses nothing, and the next run's
second copy is caught by KSeF's duplicate check, keeping the first copy's number."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections

from invoices.ksef import sending
from invoices.ksef.models import KsefStatus, KsefSubmission

from .conftest import KSEF_NIP, KSEF_TOKEN
from .factories import issued_document

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)

SENDER = """
import os, django
from datetime import datetime
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
django.setup()
from invoices.ksef import sending
sending.ksef_sync(now=datetime.fromisoformat(os.environ["SYNC_NOW"]))
"""


def test_two_runs_at_once_send_each_invoice_once(make_account, ksef):
    account = make_account("Parallel")[0]
    invoices = [issued_document(account) for _ in range(6)]
    ksef.send_delay = 0.05  # keep both runs inside their sends at the same time
    errors = []

    def run():
        try:
            sending.ksef_sync(now=NOW)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    sent_numbers = Counter(invoice.number for invoice in ksef.invoices.values())
    assert all(count == 1 for count in sent_numbers.values()), sent_numbers
    assert {i.number for i in invoices} <= set(sent_numbers)
    assert ksef.calls("POST", r"/v2/sessions/online") == 2  # each run had its own session
    statuses = set(KsefSubmission.objects.filter(document__in=invoices)
                   .values_list("status", flat=True))
    assert statuses == {KsefStatus.ACCEPTED}


def _database_url():
    db = connection.settings_dict
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


def test_a_sender_killed_while_ksef_holds_its_answer_loses_nothing(make_account, ksef):
    account = make_account("Killed")[0]
    invoice = issued_document(account)
    KsefSubmission.objects.exclude(document=invoice).delete()
    sending.queue_documents(now=NOW)
    KsefSubmission.objects.exclude(document=invoice).update(status=KsefStatus.REJECTED,
                                                            rejection_reason="not this test")
    ksef.send_delay = 30  # KSeF takes the invoice, then the sender waits for the answer
    env = {**os.environ, "DATABASE_URL": _database_url(), "KSEF_API_URL": ksef.base_url,
           "KSEF_TOKEN": KSEF_TOKEN, "KSEF_NIP": KSEF_NIP, "KSEF_TIMEOUT": "60",
           "SYNC_NOW": NOW.isoformat()}
    sender = subprocess.Popen([sys.executable, "-c", SENDER], cwd=django_settings.BASE_DIR,
                              env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not ksef.invoices and sender.poll() is None:
        time.sleep(0.02)
    assert ksef.invoices, "the sender never reached KSeF"
    sender.send_signal(signal.SIGKILL)
    sender.wait(timeout=10)

    row = KsefSubmission.objects.get(document=invoice)
    assert row.status == KsefStatus.QUEUED  # its transaction died with it: still to be sent
    (first,) = ksef.invoices.values()

    ksef.send_delay = 0
    sending.ksef_sync(now=NOW + timedelta(minutes=1))
    row.refresh_from_db()
    assert row.status == KsefStatus.ACCEPTED
    assert row.ksef_number == first.ksef_number
    assert sorted(i.code for i in ksef.invoices.values()) == [200, 440]
