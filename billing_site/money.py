"""Money and currency, shared by every app (SPEC §2).

Amounts are `Decimal` with 2 places, rounded ROUND_HALF_UP once per line; never floats. Prices are
set per currency (no FX conversion for prices)."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

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
