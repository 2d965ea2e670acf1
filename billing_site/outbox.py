"""The task outbox: Celery work queued in the database, in the transaction that needs it, and
handed to the broker once the broker takes it (issue 13, item 12: "with Redis stopped, every page
and API write still succeeds and nothing it would have queued is lost").

- `enqueue(task_name, args=..., kwargs=..., key=..., countdown=...)` writes an `OutboxMessage`
  row in the caller's transaction (so the work exists exactly when the business change does) and
  asks for an attempt to publish it right after the commit; `enqueue_many` does it for a batch.
- `publish(ids)` / `drain()` hand pending rows to the broker, each under its row lock (two
  publishers never send the same row at once), and mark a row published only after the broker
  accepted it. A broker that refuses stops the run: the rows wait for the next one. The beat task
  `billing_site.drain_outbox` (every minute) and `manage.py outbox_drain` run `drain()`.
- `email_send_once(key, send, recipients)` sends an e-mail at most once per key: a task delivered
  twice (a worker killed after sending, the message published again) sends it once.

Publishing is at least once: a process that dies after the broker accepted a message and before
the row is marked publishes it again. Every publication carries the same task id (`outbox-<id>`),
and the tasks are idempotent (they re-read their rows; e-mails go through `email_send_once` or a
sent marker of their own), so a repeat does nothing twice.

Why not a library: django-celery-outbox (0.4, one maintainer) pulls in sentry-sdk, datadog and
structlog and needs its own relay process; django-jaiminho wraps functions rather than tasks.
This module is ~150 lines and uses the Celery app the project has.
"""

import logging
from datetime import timedelta

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboxMessage, SentEmail

logger = logging.getLogger(__name__)

DRAIN_MAX = 500  # rows per drain run; the next run (a minute later) takes the rest
# a dead broker must not hold a web request for long: one quick retry, then the beat drains it
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                        "interval_max": 0.2}


def enqueue(task_name: str, *, args=(), kwargs=None, key: str = "",
            countdown: int | None = None) -> OutboxMessage:
    """Record that the task `task_name` must run with `args` / `kwargs` (JSON values), in the
    current transaction, and try to publish it once that transaction commits (at once when there
    is none). `countdown`: seconds before it may run (the message carries that moment as its
    ETA, however late it is published). `key`: what the work is about; while a row with the
    same key waits unpublished, no second one is added and that row is returned (the task
    re-reads its data when it runs).
    Raises KeyError for a task name no app registers (a programming error, caught in tests)."""
    _task(task_name)  # refuse an unknown name now, not when publishing
    not_before = timezone.now() + timedelta(seconds=countdown) if countdown else None
    fields = {"task_name": task_name, "args": list(args), "kwargs": dict(kwargs or {}),
              "not_before": not_before}
    row = None
    if key:
        # locked until we commit: no publisher hands it over before our change is visible
        row = (OutboxMessage.objects.select_for_update()
               .filter(key=key, published_at__isnull=True).first())
        if row is None:
            try:
                with transaction.atomic():  # a savepoint: a concurrent twin must not spoil ours
                    row = OutboxMessage.objects.create(key=key, **fields)
            except IntegrityError:  # a concurrent transaction queued the same work first; it
                row = None  # may be handed over before we commit, so ours goes too (unkeyed)
    if row is None:
        row = OutboxMessage.objects.create(**fields)
    transaction.on_commit(lambda: publish([row.pk]), robust=True)
    return row


def enqueue_many(task_name: str, items) -> list[OutboxMessage]:
    """`enqueue` for a batch in a constant number of queries and one after-commit attempt:
    `items` is a list of (args, key) pairs. Keys already waiting are skipped (see `enqueue`).
    Returns the new rows."""
    _task(task_name)
    items = list(items)
    waiting = set(OutboxMessage.objects.select_for_update().filter(  # locked as in `enqueue`
        key__in=[key for _args, key in items if key], published_at__isnull=True,
    ).values_list("key", flat=True))
    rows = OutboxMessage.objects.bulk_create([
        OutboxMessage(task_name=task_name, args=list(args), kwargs={}, key=key)
        for args, key in items if not key or key not in waiting
    ])
    if rows or waiting:
        ids = [row.pk for row in rows]
        keys = sorted(waiting)
        transaction.on_commit(lambda: publish(ids, keys=keys), robust=True)
    return rows


def publish(ids=None, *, keys=(), limit: int = DRAIN_MAX) -> dict:
    """Hand pending rows to the broker (those of `ids` or `keys`, or the oldest `limit`), one
    transaction per row holding its lock; rows another publisher holds are skipped. Returns
    {"published": n, "failed": n, "left": rows still pending}. Stops at the first refusal
    of the broker (the error is stored on the row and logged on one line)."""
    counts = {"published": 0, "failed": 0}
    pending = OutboxMessage.objects.filter(published_at__isnull=True).order_by("pk")
    if ids is not None:
        pending = pending.filter(Q(pk__in=list(ids)) | Q(key__in=list(keys)))
    for pk in list(pending.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            row = (OutboxMessage.objects.select_for_update(skip_locked=True)
                   .filter(pk=pk, published_at__isnull=True).first())
            if row is None:  # published meanwhile, or another publisher holds it
                continue
            try:
                _task(row.task_name).apply_async(
                    row.args, row.kwargs, task_id=row.task_id, eta=row.not_before, retry=True,
                    retry_policy=PUBLISH_RETRY_POLICY)
            except Exception as exc:  # the broker is down or refused: keep the row
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                row.save(update_fields=["attempts", "last_error"])
                logger.warning("Outbox: %s #%s not published (%s); it waits for the next drain",
                               row.task_name, row.pk, row.last_error)
                counts["failed"] += 1
                break
            row.published_at = timezone.now()
            row.save(update_fields=["published_at"])
            counts["published"] += 1
    counts["left"] = (OutboxMessage.objects.filter(published_at__isnull=True).count()
                      if ids is None else 0)
    return counts


def drain(*, limit: int = DRAIN_MAX) -> dict:
    """Publish what is still pending (the every-minute beat task and the command)."""
    return publish(None, limit=limit)


def _task(name: str):
    app = current_app
    if name not in app.tasks:  # a web process may not have imported every app's tasks yet
        app.autodiscover_tasks(force=True)
    return app.tasks[name]


def email_send_once(key: str, send, recipients) -> bool:
    """Call `send()` (which sends one e-mail to `recipients`) unless an e-mail under `key` was
    sent already; record it in the same transaction. True when it sent. Two concurrent callers
    with one key: the second waits for the first and then does not send. If `send()` raises,
    nothing is recorded (the next attempt sends). A process killed after the mail server accepted
    the message and before the commit sends it again on the next attempt: the one duplicate SMTP
    allows."""
    with transaction.atomic():
        SentEmail.objects.get_or_create(key=key)  # waits for a concurrent twin's commit
        row = SentEmail.objects.select_for_update().get(key=key)
        if row.sent_at is not None:
            return False
        send()
        row.sent_at = timezone.now()
        row.recipients = list(recipients)
        row.save(update_fields=["sent_at", "recipients"])
    return True
