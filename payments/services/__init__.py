"""Payments services (SPEC §5): applying a paid order exactly once, and booking bank transfers.
Card, BLIK and Przelewy24 payments through Stripe build on these."""

from .apply import order_apply_paid
from .paying import (
    METHOD_CURRENCIES,
    check_method,
    payable_order,
    payment_online_start,
    payment_sync,
    payment_transfer_start,
)
from .refunds import SELF_SERVICE_REFUND_DAYS, refund_create
from .transfers import transfer_book, transfer_received_on_check, transfer_record_unmatched

__all__ = [
    "METHOD_CURRENCIES", "SELF_SERVICE_REFUND_DAYS", "check_method", "order_apply_paid",
    "payable_order", "payment_online_start", "payment_sync", "payment_transfer_start",
    "refund_create", "transfer_book", "transfer_received_on_check", "transfer_record_unmatched",
]
