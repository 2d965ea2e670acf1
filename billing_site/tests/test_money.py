"""Amounts typed by people and sent to the API (`billing_site.money.parse_amount`,
`amount_input`; issues 12/13 item 6: thousands grouped with spaces, the "too large" message)."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from billing_site import formatting
from billing_site.errors import DomainError
from billing_site.money import MAX_AMOUNT, AmountError, amount_input, parse_amount


@pytest.mark.parametrize(("text", "amount"), [
    ("123.45", "123.45"), ("123,45", "123.45"), ("100", "100.00"), (" 7.5 ", "7.50"),
    ("9999999999.99", "9999999999.99"), (Decimal("12.30"), "12.30"),
    # thousands grouped by a space, a no-break space or a narrow no-break space (issues 12/13)
    ("1 000,50", "1000.50"), ("1\u00a0000.50", "1000.50"), ("1\u202f000", "1000.00"),
    ("12 345 678,9", "12345678.90"), ("9 999 999 999,99", "9999999999.99"),
])
def test_amounts_with_a_point_or_a_comma_and_at_most_2_decimals(text, amount):
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize(("text", "code"), [
    ("", "invalid"), ("-1", "invalid"), ("+1", "invalid"), ("1e3", "invalid"),
    ("1E+3", "invalid"), ("12.3x", "invalid"), ("NaN", "invalid"), ("Infinity", "invalid"),
    (None, "invalid"), (Decimal("NaN"), "invalid"), ("3\n", "invalid"), ("٣", "invalid"),
    ("1 00", "invalid"), ("1000 000", "invalid"), ("1  000", "invalid"), ("1 000 ,5", "invalid"),
    ("12.345", "too_precise"), ("1.000", "too_precise"), ("1,000", "too_precise"),
    ("1.000,00", "separators"), ("1,000.50", "separators"), ("1.000.000", "separators"),
    ("99999999999", "too_large"), ("10000000000.00", "too_large"), ("1" * 100, "too_large"),
])
def test_anything_else_is_refused_with_its_reason(text, code):
    with pytest.raises(AmountError) as refused:
        parse_amount(text)
    assert refused.value.code == code


@pytest.mark.parametrize(("language", "text", "message"), [
    ("en", "lots", "Enter the amount as a number, e.g. 123.45."),
    ("pl", "lots", "123,45"),
    ("en", "99999999999", "The amount is too large: at most 9,999,999,999.99."),
    ("pl", "99999999999", "9\u00a0999\u00a0999\u00a0999,99"),
    # the example follows the sentence (QA: English showed "1,000.50", the grouping it refuses)
    ("en", "1.000,50", "Use one decimal separator (a point or a comma) and group thousands "
                       "with a space, e.g. 1\u00a0000.50."),
    ("pl", "1,000.50", "1\u00a0000,50"),
    ("en", "-5", "Enter an amount above zero with at most 2 decimal places."),
    ("en", "12.345", "Enter an amount above zero with at most 2 decimal places."),
    ("en", "0", "Enter an amount above zero with at most 2 decimal places."),
])
def test_each_refusal_says_why_in_the_page_language(language, text, message):
    with translation.override(language), pytest.raises(DomainError) as refused:
        amount_input(text)
    assert message in str(refused.value.message)
    assert refused.value.field == "amount"


amounts = st.decimals(min_value=Decimal("0.01"), max_value=MAX_AMOUNT, places=2,
                      allow_nan=False, allow_infinity=False)


@given(amounts, st.sampled_from(["en", "pl"]))
def test_an_amount_as_the_pages_show_it_reads_back(amount, language):
    """What `|amount` shows in Polish ("1 416,50", no-break spaces) reads back; English groups
    with a comma, so it is read back without its grouping."""
    with translation.override(language):
        shown = formatting.amount(amount)
    if language == "en":
        shown = shown.replace(",", "")
    assert parse_amount(shown) == amount


@given(amounts, st.sampled_from([" ", "\u00a0", "\u202f"]), st.sampled_from([".", ","]))
def test_any_grouping_and_decimal_separator(amount, group, point):
    whole, fraction = f"{amount:.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", group)
    assert parse_amount(f"{grouped}{point}{fraction}") == amount


@given(st.text(alphabet="0123456789 .,\u00a0\u202f-e", max_size=20))
def test_a_text_with_both_separators_is_never_an_amount(text):
    """The decision of the docstring: "." and "," are never thousands separators."""
    if sum(text.count(c) for c in ".,") > 1:
        with pytest.raises(AmountError):
            parse_amount(text)
    else:
        try:
            amount = parse_amount(text)
        except AmountError:
            return
        assert Decimal("0") <= amount <= MAX_AMOUNT
