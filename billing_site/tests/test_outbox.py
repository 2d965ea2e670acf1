"""The task outbox and send-once e-mails (issue 13, item 12), with tasks run inline. The broker
outages themselves, with real Redis and worker processes, are in tests/test_outages.py."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from billing_site.models import OutboxMessage, SentEmail
from billing_site.outbox import email_send_once, enqueue, enqueue_many
from seats.models import MemberRole
from seats.tasks import send_invitation_email

pytestmark = pytest.mark.django_db


def test_a_task_is_published_only_after_its_transaction_commits(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            row = enqueue("billing_site.heartbeat")
            assert OutboxMessage.objects.get(pk=row.pk).published_at is None

    assert len(callbacks) == 1
    row.refresh_from_db()
    assert row.published_at is not None and row.attempts == 0 and row.last_error == ""
    assert row.task_id == f"outbox-{row.pk}"


def test_work_queued_by_a_rolled_back_transaction_is_gone_with_it(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue("billing_site.heartbeat")
            raise RuntimeError("the business change failed")
    assert callbacks == [] and not OutboxMessage.objects.exists()


def test_the_same_work_waiting_twice_is_one_row_and_after_publishing_a_new_one():
    first = enqueue("invoices.render_document", args=[7], key="invoices.render_document:7")
    again = enqueue("invoices.render_document", args=[7], key="invoices.render_document:7")
    assert again.pk == first.pk and OutboxMessage.objects.count() == 1

    OutboxMessage.objects.filter(pk=first.pk).update(published_at=timezone.now())
    later = enqueue("invoices.render_document", args=[7], key="invoices.render_document:7")
    assert later.pk != first.pk


def test_an_unknown_task_name_is_refused_when_queued_not_when_published():
    with pytest.raises(KeyError):
        enqueue("billing_site.no_such_task")
    assert not OutboxMessage.objects.exists()


def test_a_countdown_is_kept_as_the_moment_the_task_may_run():
    before = timezone.now()
    row = enqueue("billing_site.heartbeat", countdown=300)
    assert before + timedelta(seconds=299) < row.not_before < timezone.now() + timedelta(
        seconds=301)


def test_the_drain_command_publishes_what_waits_and_says_so(capsys):
    rows = [enqueue("billing_site.heartbeat") for _ in range(2)]  # no commit here: waiting
    call_command("outbox_drain")
    assert "2 published, 0 failed, 0 still waiting" in capsys.readouterr().out
    assert all(OutboxMessage.objects.get(pk=r.pk).published_at for r in rows)


def test_an_email_is_sent_once_per_key_and_not_recorded_when_sending_failed():
    sent = []
    assert email_send_once("k1", lambda: sent.append(1), ["a@x.example"]) is True
    assert email_send_once("k1", lambda: sent.append(2), ["a@x.example"]) is False
    assert sent == [1]
    assert SentEmail.objects.get(key="k1").recipients == ["a@x.example"]

    def refused():
        raise OSError("the mail server refused")

    with pytest.raises(OSError):
        email_send_once("k2", refused, ["b@x.example"])
    assert not SentEmail.objects.filter(key="k2").exists()  # the next attempt sends
    assert email_send_once("k2", lambda: sent.append(3), ["b@x.example"]) is True


def test_an_invitation_message_delivered_twice_sends_one_email(make_account, mailoutbox):
    from seats import services

    account, admin = make_account("Acme")
    member = services.member_invite(account=account, email="new@acme.example",
                                    role=MemberRole.USER, actor=None, as_of=admin.seat.created_on,
                                    notify=False)
    mail.outbox.clear()

    first = send_invitation_email.apply_async((member.pk, "", "en"), task_id="outbox-1").get()
    again = send_invitation_email.apply_async((member.pk, "", "en"), task_id="outbox-1").get()
    other = send_invitation_email.apply_async((member.pk, "", "en"), task_id="outbox-2").get()

    assert first["sent"] is True and again == {"sent": False, "reason": "already sent",
                                               "to": "new@acme.example"}
    assert other["sent"] is True  # another message (an invitation sent again) is sent
    assert [m.to for m in mailoutbox] == [["new@acme.example"], ["new@acme.example"]]


def test_a_batch_is_one_insert_and_one_publication_skipping_work_already_waiting(
        django_capture_on_commit_callbacks, django_assert_num_queries):
    waiting = enqueue("invoices.render_document", args=[1], key="invoices.render_document:1")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with django_assert_num_queries(2):  # which keys wait, one insert
            rows = enqueue_many("invoices.render_document",
                                [([n], f"invoices.render_document:{n}") for n in (1, 2, 3)])
    assert [row.args for row in rows] == [[2], [3]] and len(callbacks) == 1
    assert OutboxMessage.objects.filter(key="invoices.render_document:1").get() == waiting
