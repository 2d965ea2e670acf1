"""Recurring card charges in the admin (SPEC §6, issue 11): read-only, so that support sees
each account's renewal charge, its attempts with the bank's reasons and the next retry. Written
only by `dunning.services.recurring`."""

from django.contrib import admin

from billing_site.admin_mixins import ReadOnlyAdminMixin

from .models import RecurringAttempt, RecurringCharge


class RecurringAttemptInline(admin.TabularInline):
    model = RecurringAttempt
    extra = 0
    can_delete = False
    fields = ["number", "attempted_on", "outcome", "decline_reason", "next_attempt_on",
              "payment"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RecurringCharge)
class RecurringChargeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "account", "renews_from", "period_end", "order", "status", "attempts",
                    "first_attempt_on", "next_attempt_on"]
    list_filter = ["status"]
    search_fields = ["account__name", "=order__id"]
    date_hierarchy = "renews_from"
    inlines = [RecurringAttemptInline]


@admin.register(RecurringAttempt)
class RecurringAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every attempt across accounts, e.g. to find all declines of a day with their reasons."""

    list_display = ["id", "charge", "number", "attempted_on", "outcome", "decline_reason",
                    "next_attempt_on", "payment"]
    list_filter = ["outcome", "attempted_on"]
    search_fields = ["charge__account__name", "decline_reason"]
    list_select_related = ["charge__account", "payment"]
