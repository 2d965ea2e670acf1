"""Amounts typed by finance or sent to the payments API."""

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from billing_site.money import parse_amount


def amount_input(value) -> Decimal:
    """`value` as a positive amount with 2 places (`billing_site.money.parse_amount`: "123.45"
    or "123,45"; no signs, exponents or more than 2 decimals), else `DomainError` on "amount"."""
    try:
        amount = parse_amount(value)
    except ValueError:
        if re.fullmatch(r"\d+[.,]\d{3,}", str(value).strip()):  # a number, too precise
            raise DomainError(_("Enter an amount above zero with at most 2 decimal places."),
                              field="amount") from None
        raise DomainError(_("Enter the amount as a number, e.g. 123.45."), field="amount") from None
    if amount <= 0:
        raise DomainError(_("Enter an amount above zero with at most 2 decimal places."),
                          field="amount")
    return amount
