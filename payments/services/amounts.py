"""Amounts typed by finance or sent to the payments API: the rule lives in the kernel
(`billing_site.money.amount_input`), shared with the invoices' contract transfers."""

from billing_site.money import amount_input

__all__ = ["amount_input"]
