"""Amounts, percents and dates as the pages show them, in the active language (issue 12).

The one place that decides how a number or a day looks on a page: Django's locale formats of the
active language (decimal separator, thousands grouping, date format), whatever
`USE_THOUSAND_SEPARATOR` says. English: "1,416.50 PLN", "Dec. 31, 2026"; Polish:
"1 416,50 PLN" (a no-break space groups), "31 grudnia 2026". Templates use the `|money`,
`|percent` and `|day` filters of `billing_site.templatetags.formatting`; renew.js gets the same
strings from the quote endpoint (`display`), never formats money itself.

The API keeps raw values ("1416.50", "2026-12-31"): it is read by programs, not people."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

NBSP = "\xa0"


def _decimal(value):
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def amount(value) -> str:
    """A money amount without currency, 2 decimals, grouped as the active language groups
    ("1,416.50" / "1 416,50"); "" for None or something that is no number."""
    number = _decimal(value)
    if number is None:
        return ""
    return number_format(number, decimal_pos=2, use_l10n=True, force_grouping=True)


def money(value, currency=None) -> str:
    """`amount` followed by the currency code, kept on one line by a no-break space."""
    text = amount(value)
    if not text or not currency:
        return text
    return f"{text}{NBSP}{currency}"


def percent(value) -> str:
    """A rate as people write it, without trailing zeros: "5", "23", "7.5" / "7,5"."""
    number = _decimal(value)
    if number is None:
        return ""
    number = number.normalize()
    places = max(0, -number.as_tuple().exponent)
    return number_format(number, decimal_pos=places, use_l10n=True)


def month(value) -> str:
    """A calendar month given as "YYYY-MM" (a renewal's target) in the active language's
    year-month format ("December 2026" / "grudzień 2026"); anything else is returned as is."""
    try:
        year, number = (int(part) for part in str(value).split("-"))
        return _common_noun(date_format(datetime.date(year, number, 1), "YEAR_MONTH_FORMAT"))
    except ValueError:
        return "" if value is None else str(value)


def weekday(value) -> str:
    """The weekday of a date or datetime as written mid-sentence: "Monday" / "poniedziałek"."""
    return _common_noun(date_format(value, "l"))


def _common_noun(text: str) -> str:
    """Polish writes month and weekday names in lower case ("grudzień 2026", "sobota"); Django's
    Polish catalogue capitalises them (a calendar heading's form). English keeps its capitals."""
    if (get_language() or "").startswith("pl") and text:
        return text[0].lower() + text[1:]
    return text


# a line may break before "@" and after ".", "-", "_" or "+" of an e-mail address
_EMAIL_BREAKS = re.compile(r"(?=@)|(?<=[._+-])")


def email(value) -> SafeString:
    """An e-mail address (escaped) with break opportunities (`<wbr>`) before the "@" and after
    dots, hyphens, underscores and plus signs, so that a long address in a narrow table column
    wraps at those points instead of mid-word or past the card's edge."""
    if not value:
        return mark_safe("")
    parts = [escape(part) for part in _EMAIL_BREAKS.split(str(value)) if part]
    return mark_safe("<wbr>".join(parts))  # noqa: S308 - every part is escaped above


def day(value) -> str:
    """A date in the active language's long date format ("Dec. 31, 2026" / "31 grudnia
    2026"), the format the banners use; accepts an ISO string too (stored quotes hold those)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return date_format(value, "DATE_FORMAT")
