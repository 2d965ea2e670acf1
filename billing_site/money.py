"""Money and currency, shared by every app (SPEC §2).

Amounts are `Decimal` with 2 places, rounded ROUND_HALF_UP once per line; never floats. Prices are
set per currency (no FX conversion for prices)."""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext as _

from .errors import DomainError

CENTS = Decimal("0.01")


class Currency(models.TextChoices):
    """The currencies prices and documents are in (SPEC §2)."""

    PLN = "PLN", "PLN"
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    CZK = "CZK", "CZK"


def money(value) -> Decimal:
    """`value` (Decimal, int or a decimal string) to 2 places, ROUND_HALF_UP (SPEC §2)."""
    return Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


def money_text(value) -> str:
    """An amount as the API and the pages write it: "90.47"."""
    return str(money(value))


# A typed amount: digits, optionally a decimal point or comma and at most 2 decimals.
# ASCII digits only and no trailing newline (issue 13: `\d` and `$` let "٣" and "3\n" through)
_AMOUNT = re.compile(r"\A[0-9]{1,10}(?:[.,][0-9]{1,2})?\Z")
MAX_AMOUNT = Decimal("9999999999.99")  # what a DecimalField(max_digits=12, decimal_places=2) holds


def parse_amount(value) -> Decimal:
    """A money amount typed by a person or sent to the API ("123.45", "123,45", "100"), as a
    Decimal with 2 places. Raises ValueError for anything else: signs, exponents ("1e3"),
    more than 2 decimals, more than 10 digits before the point, thousands separators."""
    if isinstance(value, Decimal):
        value = format(value, "f")
    text = str(value).strip()
    if not _AMOUNT.match(text):
        raise ValueError(f"not an amount: {value!r}")
    amount = money(text.replace(",", "."))
    if amount > MAX_AMOUNT:
        raise ValueError(f"amount too large: {value!r}")
    return amount


def amount_input(value) -> Decimal:
    """`value` as a positive amount with 2 places (`parse_amount`: "123.45" or "123,45"; no signs,
    exponents or more than 2 decimals), else `DomainError` on the field "amount". The one rule
    for amounts typed by finance or sent to the API (payments' transfers and refunds, invoices'
    contract transfers)."""
    try:
        amount = parse_amount(value)
    except ValueError:
        if re.fullmatch(r"[0-9]+[.,][0-9]{3,}", str(value).strip()):  # a number, too precise
            raise DomainError(_("Enter an amount above zero with at most 2 decimal places."),
                              field="amount") from None
        raise DomainError(_("Enter the amount as a number, e.g. 123.45."), field="amount") from None
    if amount <= 0:
        raise DomainError(_("Enter an amount above zero with at most 2 decimal places."),
                          field="amount")
    return amount
