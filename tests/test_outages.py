"""Outages without loss (issue 13, items 12–14), with real processes: a Redis stopped and started
again, PostgreSQL connections dropped or unreachable, a worker SIGKILLed mid-task. Each test
counts the e-mails the real workers wrote (file backend): exactly one."""

import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_celery_results.models import TaskResult

from billing_site.models import OutboxMessage, SentEmail
from billing_site.outbox import enqueue
from invoices.models import Document
from invoices.tests.factories import issued_document
from seats.models import Member
from tests.helpers import token_client
from tests.outages import (
    PrivateRedis,
    StallingSmtp,
    backends_waiting_for_a_lock,
    emails_to,
    lock_connection,
    point_broker,
    wait_for,
    worker_process,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BUYER_EMAIL = "faktury@acme.example"  # the factory's buyer


@pytest.fixture
def private_redis(settings):
    """A Redis of this test alone (the shared one is never stopped), this process's broker."""
    server = PrivateRedis()
    server.start()
    previous = settings.CELERY_BROKER_URL
    point_broker(server.url)
    yield server
    server.stop()
    point_broker(previous)


@pytest.fixture
def dirs(tmp_path):
    (tmp_path / "mail").mkdir()
    (tmp_path / "media").mkdir()
    return {"mail_dir": tmp_path / "mail", "media_root": tmp_path / "media"}


# --- item 12: Redis stopped ---------------------------------------------------------------------


def test_an_invitation_made_while_redis_is_down_is_sent_once_when_it_is_back(
        private_redis, dirs, make_account):
    account, admin = make_account("Acme")
    private_redis.stop()

    started = time.monotonic()
    response = token_client(admin.user).post(
        f"/api/v1/accounts/{account.pk}/members/", {"email": "new@acme.example", "role": "user"},
        format="json")
    took = time.monotonic() - started

    assert response.status_code == 201, response.content
    assert took < 5  # the dead broker costs one quick retry, not a hung request
    member = Member.objects.get(user__email="new@acme.example")
    row = OutboxMessage.objects.get(task_name="seats.send_invitation_email",
                                    args__0=member.pk)
    assert row.published_at is None and row.attempts == 1 and row.last_error
    with pytest.raises(CommandError, match="did not take every message"):
        call_command("outbox_drain")  # still down: the row waits

    private_redis.start()
    call_command("outbox_drain")
    row.refresh_from_db()
    assert row.published_at is not None

    with worker_process(broker_url=private_redis.url, **dirs) as worker:
        wait_for(lambda: SentEmail.objects.filter(key=f"invitation:{row.task_id}",
                                                  sent_at__isnull=False).exists(),
                 what=f"the invitation to be sent\n{worker.log_path}")
        # the same message again, as when a publisher dies after the broker took it and before
        # the row was marked: the worker sees the same task id and does not send twice
        OutboxMessage.objects.filter(pk=row.pk).update(published_at=None)
        call_command("outbox_drain")
        wait_for(lambda: "already sent" in (TaskResult.objects.filter(task_id=row.task_id)
                                            .values_list("result", flat=True).first() or ""),
                 what="the repeated message to be handled")

    assert emails_to(dirs["mail_dir"], "new@acme.example") == 1


def test_page_writes_succeed_while_redis_is_down_and_their_work_waits_in_the_outbox(
        private_redis, make_account, client):
    account, admin = make_account("Acme")
    client.force_login(admin.user)
    private_redis.stop()

    response = client.post(reverse("account_member_invite"),
                           {"email": "page@acme.example", "role": "user"}, follow=True)

    assert response.status_code == 200
    assert "page@acme.example has been invited" in response.content.decode()
    member = Member.objects.get(user__email="page@acme.example")
    assert OutboxMessage.objects.filter(task_name="seats.send_invitation_email",
                                        args__0=member.pk, published_at__isnull=True).exists()


# --- item 14: a worker killed mid-task ----------------------------------------------------------


def test_a_worker_killed_while_rendering_leaves_the_pdf_and_the_email_to_the_next_one(
        private_redis, dirs, make_account):
    account, _admin = make_account("Acme")
    document = issued_document(account)
    locker = lock_connection()
    try:
        with locker.cursor() as cursor:
            # hold the document's row: the worker renders the PDF, then waits here to store it
            cursor.execute("SELECT id FROM invoices_document WHERE id = %s FOR UPDATE",
                           [document.pk])
            enqueue("invoices.render_document", args=[document.pk])
            with worker_process(broker_url=private_redis.url, **dirs) as first:
                [waiting] = wait_for(lambda: backends_waiting_for_a_lock(cursor),
                                     what="the worker to wait for the document's row")
                first.kill()
            # the killed worker's backend would notice its client is gone when it next writes
            cursor.execute("SELECT pg_terminate_backend(%s)", [waiting])
        locker.rollback()
    finally:
        locker.close()
    document.refresh_from_db()
    assert not document.pdf and document.emailed_at is None

    # the unacknowledged message comes back once its visibility timeout (1 s here) has passed
    time.sleep(1.5)
    with worker_process(broker_url=private_redis.url, visibility_timeout=1, **dirs) as second:
        wait_for(lambda: Document.objects.filter(pk=document.pk, emailed_at__isnull=False)
                 .exists(), what=f"the next worker to finish\n{second.log_path}")

    document.refresh_from_db()
    assert document.pdf and not document.needs_render
    assert emails_to(dirs["mail_dir"], BUYER_EMAIL) == 1


def test_a_worker_killed_while_sending_an_email_leaves_it_to_the_next_one(
        private_redis, dirs, make_account):
    smtp = StallingSmtp()
    smtp.stalling = True
    try:
        with worker_process(broker_url=private_redis.url, email_url=smtp.url, **dirs) as first:
            # the account's first admin is invited: the worker gets stuck sending that e-mail
            _account, admin = make_account("Acme")
            assert smtp.stalled.wait(30), first.log()
            first.kill()
        smtp.stalling = False
        assert smtp.accepted == []
        key = SentEmail.objects.filter(key__startswith="invitation:")
        assert not key.exists()  # killed before the send was recorded

        time.sleep(1.5)  # the message comes back after its visibility timeout (1 s here)
        with worker_process(broker_url=private_redis.url, email_url=smtp.url,
                            visibility_timeout=1, **dirs) as second:
            wait_for(lambda: key.filter(sent_at__isnull=False).exists(),
                     what=f"the next worker to send the invitation\n{second.log_path}")
    finally:
        smtp.close()
    assert len(smtp.accepted) == 1 and f"To: {admin.email}" in smtp.accepted[0]


# --- item 13: PostgreSQL drops the task's connection --------------------------------------------


def test_a_task_whose_database_connection_is_dropped_retries_and_emails_once(
        private_redis, dirs, make_account):
    account, _admin = make_account("Acme")
    document = issued_document(account)
    locker = lock_connection()
    try:
        with locker.cursor() as cursor:
            cursor.execute("SELECT id FROM invoices_document WHERE id = %s FOR UPDATE",
                           [document.pk])
            row = enqueue("invoices.render_document", args=[document.pk])
            with worker_process(broker_url=private_redis.url, **dirs) as worker:
                [waiting] = wait_for(lambda: backends_waiting_for_a_lock(cursor),
                                     what="the worker to wait for the document's row")
                # as a PostgreSQL restart does to every connection
                cursor.execute("SELECT pg_terminate_backend(%s)", [waiting])
                locker.rollback()
                wait_for(lambda: Document.objects.filter(pk=document.pk,
                                                         emailed_at__isnull=False).exists(),
                         what=f"the retried task to finish\n{worker.log_path}")
                log = worker.log()
    finally:
        locker.close()

    assert "Retry in" in log  # the first run failed on the dropped connection and retried
    result = TaskResult.objects.get(task_id=row.task_id)
    assert result.status == "SUCCESS"
    document.refresh_from_db()
    assert emails_to(dirs["mail_dir"], BUYER_EMAIL) == 1
    # the failed run's rendered file was removed, not left next to the stored one
    stored = sorted(p.relative_to(dirs["media_root"]).as_posix()
                    for p in dirs["media_root"].rglob("*.pdf"))
    assert stored == [document.pdf.name]
