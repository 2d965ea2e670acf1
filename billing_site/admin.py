"""The kernel's rows in the admin, read-only: ops see what waits for the broker (a growing list
means the broker is down; `manage.py outbox_drain` hands it over) and which e-mails went out."""

from django.contrib import admin

from .admin_mixins import ReadOnlyAdminMixin
from .models import OutboxMessage, SentEmail


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "task_name", "key", "created_at", "not_before", "published_at",
                    "attempts", "last_error"]
    list_filter = [("published_at", admin.EmptyFieldListFilter), "task_name"]
    search_fields = ["task_name", "key"]
    date_hierarchy = "created_at"


@admin.register(SentEmail)
class SentEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "sent_at", "recipients"]
    search_fields = ["key"]
