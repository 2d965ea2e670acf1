"""Scoped reads of the payments pages: each function takes the requesting account."""

from datetime import timedelta

from .models import OrderApplication, Payment, Refund
from .services import SELF_SERVICE_REFUND_DAYS
from .services.refunds import later_orders_build_on


def account_payments(account):
    """The account's payments, newest first, with their order, pro-forma and refunds (three
    queries)."""
    return (Payment.objects.filter(account=account).select_related("order", "proforma")
            .prefetch_related("refunds__correction").order_by("-created_at", "-id"))


def account_refunds(account):
    return (Refund.objects.filter(account=account).select_related("payment", "correction")
            .order_by("-created_at", "-id"))


def self_refundable_payment(account, *, as_of) -> Payment | None:
    """The account's first purchase while its admin may still refund it in full (SPEC §7:
    within 15 days of payment, nothing refunded yet); None otherwise."""
    first = (OrderApplication.objects.filter(order__account=account)
             .select_related("payment", "order").order_by("applied_on", "id").first())
    if first is None or as_of > first.applied_on + timedelta(days=SELF_SERVICE_REFUND_DAYS):
        return None
    if first.payment.refunds.exists() or later_orders_build_on(first.order):
        return None
    return first.payment
