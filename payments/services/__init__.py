"""Payments services (SPEC §5): applying a paid order exactly once, and booking bank transfers.
Card, BLIK and Przelewy24 payments through Stripe build on these."""

from .apply import order_apply_paid
from .transfers import transfer_book, transfer_record_unmatched

__all__ = ["order_apply_paid", "transfer_book", "transfer_record_unmatched"]
