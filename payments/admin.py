"""Payments in the admin: read-only (money state written by `payments.services` only)."""

from django.contrib import admin

from billing_site.admin_mixins import ReadOnlyAdminMixin

from .models import (
    OrderApplication,
    Payment,
    Refund,
    SavedCard,
    StripeCustomer,
    StripeEvent,
    TransferBooking,
)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "account", "order", "method", "status", "amount", "currency",
                    "stripe_payment_intent", "created_at"]
    list_filter = ["method", "status", "currency"]
    search_fields = ["account__name", "=order__id", "stripe_payment_intent"]


@admin.register(OrderApplication)
class OrderApplicationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "payment", "invoice", "applied_on"]
    search_fields = ["=order__id"]


@admin.register(TransferBooking)
class TransferBookingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "account", "order", "amount", "currency", "received_on", "reference",
                    "status", "booked_by"]
    list_filter = ["status", "currency"]
    search_fields = ["account__name", "reference", "=order__id"]


@admin.register(StripeCustomer)
class StripeCustomerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["account", "customer_id", "created_at"]
    search_fields = ["account__name", "customer_id"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["event_id", "type", "status", "attempts", "received_at", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["event_id"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "account", "payment", "amount", "currency", "full", "kind",
                    "created_at"]
    list_filter = ["kind", "full", "currency"]
    search_fields = ["account__name", "reason", "stripe_refund"]


@admin.register(SavedCard)
class SavedCardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The saved card of each account and whether recurring payments are on (SPEC §6); changed
    by the account's admin (Renew page, API), never here."""

    list_display = ["account", "brand", "last4", "exp_month", "exp_year", "recurring",
                    "recurring_changed_on", "saved_at"]
    list_filter = ["recurring"]
    search_fields = ["account__name", "payment_method"]
