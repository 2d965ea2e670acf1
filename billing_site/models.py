"""Kernel rows of the "outages without loss" rules (issue 13, items 12–14).

- `OutboxMessage`: a Celery task to queue, written in the same transaction as the business change
  that needs it, so a broker that is down when the change commits loses nothing: the row stays
  until the broker has accepted the message (`billing_site.outbox`).
- `SentEmail`: one row per e-mail that went out, under a unique key, so a task delivered twice (a
  worker killed after sending, the outbox publishing again after a lost acknowledgement) sends
  it once (`billing_site.outbox.email_send_once`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A task waiting to be handed to the broker, or handed already (`published_at` set).

    Invariants: written only by `billing_site.outbox.enqueue`, inside the caller's transaction;
    `published_at` is set only after the broker accepted the message; the Celery task id of the
    message is `outbox-<id>` every time it is published, so the worker can tell a repeat of the
    same message from a new one. At most one unpublished row per non-empty `key` (a second
    request for the same work while the first waits adds nothing)."""

    task_name = models.CharField(_("task"), max_length=200)  # a registered Celery task name
    # positional and keyword arguments, JSON values
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    # what the work is about, e.g. "invoices.render_document:42"; "" when repeats are wanted
    key = models.CharField(_("key"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    # the task may not run before this moment (a countdown: the ETA of the message, whenever
    # it is published)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    published_at = models.DateTimeField(_("handed to the broker at"), null=True, blank=True)
    # publishing attempts that failed
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")  # the broker's refusal

    class Meta:
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks (outbox)")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], name="outbox_one_pending_per_key",
                condition=models.Q(published_at__isnull=True) & ~models.Q(key=""),
            ),
        ]
        indexes = [
            models.Index(fields=["id"], name="outbox_pending_idx",
                         condition=models.Q(published_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.task_name} #{self.pk}"

    @property
    def task_id(self) -> str:
        """The Celery task id of this message, the same at every publication."""
        return f"outbox-{self.pk}"


class SentEmail(models.Model):
    """An e-mail that went out, recorded in the transaction that sent it. `key` names the
    message (e.g. "invitation:outbox-12": the task message that sent it); unique."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    # null: claimed, not sent yet
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)  # as sent

    class Meta:
        verbose_name = _("sent e-mail")
        verbose_name_plural = _("sent e-mails")

    def __str__(self):
        return self.key
