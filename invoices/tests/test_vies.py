"""The VIES client and the re-check jobs (SPEC §7: valid / invalid / unknown; unknown is re-checked
later and never treated as invalid).

VIES is a real HTTP server on 127.0.0.1 (`ViesStub`), reached over the wire by the real client:
nothing in `invoices.vies` is patched. Tests queue the answers it gives, in order.
"""

import json
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from billing_site.celery import app as celery_app
from billing_site.schedules import PERIODIC_TASKS
from invoices import vies
from invoices.models import BillingProfile, TaxIdStatus
from invoices.services.profile import INVALID_NOTE, billing_profile_update, recheck_delay
from invoices.tasks.vies import RECHECK_ATTEMPTS, recheck_pending_vat_ids, recheck_vat_id
from seats.models import AuditEntry

# --- the stub (also used by the other invoice-data test modules) ---------------------------------


def answer(valid=None, user_error=None, *, status=200, delay=0.0, body=None, name="ACME GMBH",
           address="MUSTERSTRASSE 1, 10115 BERLIN"):
    """One canned reply: JSON like VIES's, or `body` (bytes) as is."""
    if body is None:
        payload = {"countryCode": "DE", "vatNumber": "", "requestDate": "2026-11-16+01:00",
                   "valid": valid, "name": name if valid else "---",
                   "address": address if valid else "---"}
        if user_error is not None:
            payload["userError"] = user_error
        body = json.dumps(payload).encode()
    return {"status": status, "delay": delay, "body": body}


VALID = answer(True, "VALID")
INVALID = answer(False, "INVALID")
MS_UNAVAILABLE = answer(False, "MS_UNAVAILABLE")


class ViesStub:
    """A local VIES REST API. Replies with the queued answers in order; the last one repeats.
    `requests` lists (path, JSON body) of every request received."""

    def __init__(self):
        self.answers = [VALID]
        self.requests = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with stub._lock:
                    stub.requests.append((self.path, json.loads(raw or b"null")))
                    reply = stub.answers.pop(0) if len(stub.answers) > 1 else stub.answers[0]
                if reply["delay"]:
                    time.sleep(reply["delay"])
                try:
                    self.send_response(reply["status"])
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply["body"])))
                    self.end_headers()
                    self.wfile.write(reply["body"])
                except OSError:  # the client gave up waiting (timeout tests)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/vies/rest-api"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)

    def answer(self, *answers):
        with self._lock:
            self.answers = list(answers)

    @property
    def asked(self):
        """The VAT ids asked about, as "DE136695976"."""
        return [body["countryCode"] + body["vatNumber"] for _path, body in self.requests]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def running_vies_stub(settings):
    """Start a stub and point settings.VIES_API_URL at it."""
    with ViesStub() as stub:
        settings.VIES_API_URL = stub.url
        settings.VIES_TIMEOUT = 2
        yield stub


def closed_port_url():
    """A URL on a port where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/vies"


@pytest.fixture
def stub(settings):
    with running_vies_stub(settings) as running:
        yield running


# --- the client ---------------------------------------------------------------------------------


def test_vies_is_asked_by_post_of_country_code_and_number(stub):
    vies.check_vat("DE", "136695976")

    assert stub.requests == [("/vies/rest-api/check-vat-number",
                              {"countryCode": "DE", "vatNumber": "136695976"})]


def test_vies_valid_answer_is_valid_with_name_address_and_time(stub):
    before = timezone.now()

    check = vies.check_vat("DE", "136695976")

    assert check.status == vies.VALID
    assert (check.name, check.address) == ("ACME GMBH", "MUSTERSTRASSE 1, 10115 BERLIN")
    assert before <= check.checked_at <= timezone.now()


@pytest.mark.parametrize("reply", [INVALID, answer(False), answer(False, ""),
                                   answer(False, "INVALID_INPUT")],
                         ids=["INVALID", "no userError", "empty userError", "INVALID_INPUT"])
def test_vies_not_valid_answer_is_invalid(stub, reply):
    stub.answer(reply)

    assert vies.check_vat("DE", "136695976").status == vies.INVALID


@pytest.mark.parametrize("user_error", ["MS_UNAVAILABLE", "TIMEOUT", "SERVICE_UNAVAILABLE",
                                        "MS_MAX_CONCURRENT_REQ", "GLOBAL_MAX_CONCURRENT_REQ",
                                        "SOMETHING_NEW"])
def test_vies_service_side_error_is_unknown_never_invalid(stub, user_error):
    stub.answer(answer(False, user_error))

    check = vies.check_vat("DE", "136695976")

    assert check.status == vies.UNKNOWN
    assert check.error == user_error


@pytest.mark.parametrize("status", [500, 502, 503])
def test_vies_http_5xx_is_unknown(stub, status):
    stub.answer(answer(body=b'{"actionSucceed": false, "errorWrappers": '
                            b'[{"error": "MS_UNAVAILABLE"}]}', status=status))

    check = vies.check_vat("DE", "136695976")

    assert check.status == vies.UNKNOWN
    assert check.error == f"HTTP {status}"


def test_vies_answer_without_verdict_or_unreadable_is_unknown(stub):
    stub.answer(answer(body=b'{"userError": "VALID"}'))
    assert vies.check_vat("DE", "136695976").status == vies.UNKNOWN

    stub.answer(answer(body=b"<html>maintenance</html>"))
    assert vies.check_vat("DE", "136695976").status == vies.UNKNOWN


def test_vies_timeout_is_unknown_after_vies_timeout_seconds(stub, settings):
    settings.VIES_TIMEOUT = 0.3
    stub.answer(answer(True, "VALID", delay=2.0))
    started = time.monotonic()

    check = vies.check_vat("DE", "136695976")

    assert check.status == vies.UNKNOWN
    assert time.monotonic() - started < 1.5  # gave up at the timeout, not after the answer


def test_vies_connection_refused_is_unknown(settings):
    settings.VIES_API_URL = closed_port_url()

    check = vies.check_vat("DE", "136695976")

    assert check.status == vies.UNKNOWN
    assert check.checked_at is not None


def test_vies_greek_numbers_are_asked_with_prefix_el(stub):
    vies.check_vat("GR", "094014201")

    assert stub.asked == ["EL094014201"]


def test_vies_url_must_be_http(settings):
    settings.VIES_API_URL = "file:///etc/passwd"

    with pytest.raises(ValueError):
        vies.check_vat("DE", "136695976")


# --- re-checks of pending VAT ids -----------------------------------------------------------------

GERMAN_BUYER = {
    "kind": "company", "name": "Acme GmbH", "street": "Musterstraße 1", "postal_code": "10115",
    "city": "Berlin", "country": "DE", "tax_id": "DE136695976",
    "invoice_email": "billing@acme.example",
}


@pytest.fixture
def german_account(make_account):
    account, admin = make_account("Acme GmbH", country="DE")
    return account, admin.user


def test_recheck_delays_grow_from_5_minutes_by_3_up_to_a_day():
    delays = [recheck_delay(n) for n in range(8)]

    assert delays[:5] == [300, 900, 2700, 8100, 24300]
    assert delays[5:] == [72900, 86400, 86400]


def test_unknown_is_stored_pending_and_the_task_confirms_it_valid_later(
    stub, german_account, as_of, django_capture_on_commit_callbacks
):
    account, user = german_account
    stub.answer(MS_UNAVAILABLE, VALID)  # down at saving, up at the re-check

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = billing_profile_update(account=account, data=GERMAN_BUYER, actor=user,
                                        as_of=as_of)
    assert result.profile.tax_id_status == TaxIdStatus.PENDING  # saved, not refused
    assert len(callbacks) == 1  # the re-check is queued after commit

    callbacks[0]()  # Celery runs eagerly in unit tests

    profile = BillingProfile.objects.get(account=account)
    assert profile.tax_id_status == TaxIdStatus.VALID
    assert stub.asked == ["DE136695976", "DE136695976"]
    assert AuditEntry.objects.filter(action="billing_profile.vat_id_valid",
                                     target_id=profile.pk).exists()


@pytest.fixture
def eager_retries():
    """Eager tasks run their retries inline (at once, whatever the countdown) only when their
    exceptions do not propagate; the project's default propagates them."""
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def test_recheck_keeps_retrying_while_vies_is_down_and_never_marks_invalid(
    stub, german_account, as_of, django_capture_on_commit_callbacks, eager_retries
):
    account, user = german_account
    stub.answer(MS_UNAVAILABLE)  # down all the time

    with django_capture_on_commit_callbacks(execute=True):
        billing_profile_update(account=account, data=GERMAN_BUYER, actor=user, as_of=as_of)

    profile = BillingProfile.objects.get(account=account)
    assert profile.tax_id_status == TaxIdStatus.PENDING
    # the update's own check, then the task: first run and every retry until it gives up
    assert len(stub.requests) == 1 + 1 + RECHECK_ATTEMPTS
    assert profile.tax_id_checked_at is not None  # the last attempt, for the sweep


def test_recheck_task_stores_invalid_and_notes_it_in_the_audit_row(
    stub, german_account, as_of
):
    account, user = german_account
    stub.answer(MS_UNAVAILABLE)
    profile = billing_profile_update(account=account, data=GERMAN_BUYER, actor=user,
                                     as_of=as_of).profile
    stub.answer(INVALID)

    result = recheck_vat_id.delay(profile.pk).get()

    assert result["outcome"] == vies.INVALID
    profile.refresh_from_db()
    assert profile.tax_id_status == TaxIdStatus.INVALID
    entry = AuditEntry.objects.get(action="billing_profile.vat_id_invalid")
    assert entry.actor_label == "system"
    assert entry.before["tax_id_status"] == "pending"
    assert entry.after["tax_id_status"] == "invalid"
    assert entry.after["note"] == INVALID_NOTE
    assert "23 %" in entry.after["note"]


def test_recheck_leaves_a_vat_id_changed_meanwhile_alone(stub, german_account, as_of):
    account, user = german_account
    stub.answer(MS_UNAVAILABLE)
    profile = billing_profile_update(account=account, data=GERMAN_BUYER, actor=user,
                                     as_of=as_of).profile
    BillingProfile.objects.filter(pk=profile.pk).update(tax_id_status=TaxIdStatus.VALID)
    stub.answer(INVALID)

    assert recheck_vat_id.delay(profile.pk).get()["outcome"] == "skipped"
    profile.refresh_from_db()
    assert profile.tax_id_status == TaxIdStatus.VALID


def test_sweep_requeues_pending_vat_ids_not_tried_for_an_hour(stub, make_account, as_of):
    stub.answer(MS_UNAVAILABLE)
    profiles = {}
    for name in ("Old", "Recent"):
        account, admin = make_account(name, country="DE")
        profiles[name] = billing_profile_update(account=account, data=GERMAN_BUYER,
                                                actor=admin.user, as_of=as_of).profile
    now = timezone.now()
    BillingProfile.objects.filter(pk=profiles["Old"].pk).update(
        tax_id_checked_at=now - timedelta(hours=1, minutes=5))
    BillingProfile.objects.filter(pk=profiles["Recent"].pk).update(
        tax_id_checked_at=now - timedelta(minutes=10))
    stub.answer(VALID)
    stub.requests.clear()

    assert recheck_pending_vat_ids.delay().get() == {"queued": 1}

    assert len(stub.requests) == 1  # one attempt only: the sweep starts no retry chain
    statuses = dict(BillingProfile.objects.values_list("account__name", "tax_id_status"))
    assert statuses == {"Old": TaxIdStatus.VALID, "Recent": TaxIdStatus.PENDING}


def test_sweep_is_declared_hourly_in_the_beat_schedule():
    schedules = {task: cron for task, cron in PERIODIC_TASKS.values()}

    assert schedules["invoices.recheck_pending_vat_ids"]["hour"] == "*"
