"""Amounts typed by people and sent to the API (`billing_site.money.parse_amount`)."""

from decimal import Decimal

import pytest

from billing_site.money import parse_amount


@pytest.mark.parametrize(("text", "amount"), [
    ("123.45", "123.45"), ("123,45", "123.45"), ("100", "100.00"), (" 7.5 ", "7.50"),
    ("9999999999.99", "9999999999.99"), (Decimal("12.30"), "12.30"),
])
def test_amounts_with_a_point_or_a_comma_and_at_most_2_decimals(text, amount):
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["", "-1", "+1", "1e3", "1E+3", "12.345", "1 000", "1.000,00",
                                  "12.3x", "99999999999", "NaN", "Infinity", None])
def test_anything_else_is_not_an_amount(text):
    with pytest.raises(ValueError):
        parse_amount(text)
