"""Money and currency, shared by every app (SPEC §2).

Amounts are `Decimal` with 2 places, rounded ROUND_HALF_UP once per line; never floats. Prices are
set per currency (no FX conversion for prices)."""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext as _

from .errors import DomainError
from .formatting import amount as shown

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


# A typed amount (issues 12/13 item 6): ASCII digits, optionally grouped by threes with a space, a
# no-break space or a narrow no-break space, then optionally a decimal point or comma and at most
# 2 decimals. ASCII digits only and no trailing newline (issue 13: `\d` and `$` let "٣" and "3\n"
# through).
_AMOUNT = re.compile(r"\A(?P<int>[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)"
                     r"(?:[.,](?P<frac>[0-9]{1,2}))?\Z")
_TOO_PRECISE = re.compile(r"\A(?:[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)[.,][0-9]{3,}\Z")
_MIXED = re.compile(r"\A[0-9 \u00a0\u202f.,]*[0-9][0-9 \u00a0\u202f.,]*\Z")
MAX_AMOUNT = Decimal("9999999999.99")  # what a DecimalField(max_digits=12, decimal_places=2) holds
_MAX_TEXT = 60  # longer input is no amount (and not worth a Decimal)


class AmountError(ValueError):
    """Why a text is no amount; `code` is one of "invalid", "too_precise", "separators",
    "too_large"."""

    def __init__(self, code: str, value):
        super().__init__(f"{code}: {value!r}")
        self.code = code


def parse_amount(value) -> Decimal:
    """A money amount typed by a person or sent to the API, as a Decimal with 2 places (SPEC §2).

    Accepted: ASCII digits; optionally grouped by threes with a space, a no-break space (U+00A0)
    or a narrow no-break space (U+202F) — "1 000", "1\u00a0000,50", "12 345 678.9"; then an
    optional decimal point OR comma with 1–2 decimals ("123.45", "123,45"). Surrounding spaces
    are ignored.

    Decided (so no input is ever read two ways): "." and "," are only ever the decimal
    separator, never a thousands separator. So "1.000,50" and "1,000.50" (two separators) are
    refused with code "separators", and "1.000" / "1,000" are 1 with three decimals, refused as
    "too_precise" rather than silently read as one thousand.

    Raises `AmountError` (a ValueError) with `code`: "invalid" (empty, signs, exponents, letters,
    other digits, a group that is not 3 digits), "too_precise" (more than 2 decimals),
    "separators" (more than one "." / ","), "too_large" (above `MAX_AMOUNT`)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError("invalid", value)
        value = format(value, "f")
    if value is None:
        raise AmountError("invalid", value)
    text = str(value).strip(" \t\u00a0\u202f")
    if len(text) > _MAX_TEXT:
        if text.isascii() and text.isdigit():
            raise AmountError("too_large", value)
        raise AmountError("invalid", value)
    match = _AMOUNT.match(text)
    if match is None:
        if _TOO_PRECISE.match(text):
            raise AmountError("too_precise", value)
        if _MIXED.match(text) and sum(text.count(c) for c in ".,") > 1:
            raise AmountError("separators", value)
        raise AmountError("invalid", value)
    digits = re.sub("[ \u00a0\u202f]", "", match["int"])
    amount = money(digits + "." + (match["frac"] or "0"))
    if amount > MAX_AMOUNT:
        raise AmountError("too_large", value)
    return amount


def amount_example() -> str:
    """"123.45" / "123,45": the example amount with the active language's decimal separator."""
    return shown(Decimal("123.45"))


def grouped_example() -> str:
    """"1 000.50" / "1 000,50": an example of thousands grouped by a space (the one grouping
    `parse_amount` takes, whatever the language writes) with the language's decimal separator."""
    return "1\u00a0000" + amount_example()[3] + "50"


def amount_input(value) -> Decimal:
    """`value` as a positive amount with 2 places (`parse_amount`), else `DomainError` on the
    field "amount" with a message for the case: not a number (with an example in the active
    language), more than 2 decimals, "." and "," both used, above the maximum (named). The one
    rule for amounts typed by finance or sent to the API (payments' transfers and refunds,
    invoices' contract transfers)."""
    try:
        amount = parse_amount(value)
    except AmountError as exc:
        if exc.code == "too_precise":
            raise DomainError(_("Enter an amount above zero with at most 2 decimal places."),
                              field="amount") from None
        if exc.code == "separators":
            raise DomainError(_("Use one decimal separator (a point or a comma) and group "
                                "thousands with a space, e.g. %(example)s.")
                              % {"example": grouped_example()},
                              field="amount") from None
        if exc.code == "too_large":
            raise DomainError(_("The amount is too large: at most %(max)s.")
                              % {"max": shown(MAX_AMOUNT)}, field="amount") from None
        if str(value).strip().startswith("-"):  # a number, but not one we take
            raise DomainError(_("Enter an amount above zero with at most 2 decimal places."),
                              field="amount") from None
        raise DomainError(_("Enter the amount as a number, e.g. %(example)s.")
                          % {"example": amount_example()}, field="amount") from None
    if amount <= 0:
        raise DomainError(_("Enter an amount above zero with at most 2 decimal places."),
                          field="amount")
    return amount
