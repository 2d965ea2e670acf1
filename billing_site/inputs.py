"""The boundary every input crosses: JSON bodies, form fields and query strings (issue 13).

What is refused here never reaches a service, the database, the parser's recursion or a renderer:

- JSON nested deeper than `settings.JSON_MAX_DEPTH` (a recursion in the parser, a 500 before),
  refused by `StrictJSONParser` with a 400 (`ParseError`, code "json_too_deep");
- text with a NUL byte (PostgreSQL refuses it) or a lone surrogate (no encoder can write it
  back, so an error message echoing it crashed the renderer), anywhere in a JSON body — keys
  included — refused by the parser (code "invalid_text"), and in form fields and query strings
  by `clean_text` / `TextFormField`;
- numbers and dates written with anything but ASCII digits ("٣", "２０２７-０１-０１") or with
  surrounding whitespace or a trailing newline: `int()` and the `\\d` of Python's regexes accept
  every Unicode digit and `$` matches before a final newline, so the stock DRF and Django fields
  accepted them. `StrictIntegerField`, `StrictDateField` (DRF) and `StrictIntegerFormField`,
  `StrictDateFormField` (forms) take `[0-9]` only and are used by every input in the project.
"""

import codecs
import datetime
import re

from django import forms
from django.conf import settings
from django.core.exceptions import BadRequest, ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils import json as drf_json

from .money import amount_example

_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
ASCII_INTEGER = re.compile(r"\A[+-]?[0-9]+\Z")
ASCII_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
ASCII_MONTH = re.compile(r"\A[0-9]{4}-[0-9]{2}\Z")

TEXT_MESSAGE = gettext_lazy("Text may not contain NUL bytes or unpaired surrogate characters.")
INTEGER_MESSAGE = gettext_lazy("Enter a whole number written with the digits 0-9.")
# the example written as the page's language writes amounts ("123.45" / "123,45")
AMOUNT_MESSAGE = lazy(lambda: _("Enter the amount as a number, e.g. %(example)s.")
                      % {"example": amount_example()}, str)()
DATE_MESSAGE = gettext_lazy("Enter the date as YYYY-MM-DD, for example 2026-11-16.")


def lazy_text(build):
    """A lazy string built by `build()` when it is shown, so that a message with arguments
    ("At most %(max)d seats …" % {...}) is translated in the language of the request, not at
    import. For DRF `error_messages`, which are formatted lazily too."""
    return lazy(build, str)()


def has_bad_characters(value: str) -> bool:
    """True when `value` holds a NUL byte or a lone surrogate (U+D800–U+DFFF)."""
    return _BAD_CHARACTER.search(value) is not None


def clean_text(value):
    """A validator for any text from a request: raises `ValidationError` (code "invalid_text")
    for a NUL byte or a lone surrogate; returns nothing otherwise."""
    if isinstance(value, str) and has_bad_characters(value):
        raise ValidationError(TEXT_MESSAGE, code="invalid_text")


MAX_ID = 2**63 - 1  # a larger number is no row's id (and would overflow a bigint query)


def row_id(value) -> int | None:
    """`value` (a query or form string) as a row id: ASCII digits within a bigint, else None —
    "٣" is not 3, and "99999999999999999999" would overflow the query."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        return None
    return int(text)


def query_text(value, *, max_length=100) -> str:
    """A search text from a query string or form, stripped and cut to `max_length` characters;
    one with a NUL byte or a lone surrogate is refused with `BadRequest` (a 400) before it reaches
    a database filter (PostgreSQL refuses NUL: a 500 before, issue 13)."""
    text = str(value or "").strip()[:max_length]
    if has_bad_characters(text):
        raise BadRequest(TEXT_MESSAGE)
    return text


def json_depth(text: str) -> int:
    """How deep the arrays and objects of the JSON `text` nest (0 for a scalar), counted without
    recursion so that any input can be measured; brackets inside strings do not count."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub('""', text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _bad_string(data):
    """The first key or string value of parsed JSON `data` holding a NUL or a lone surrogate, or
    None. `data` is at most `JSON_MAX_DEPTH` deep, so the recursion is bounded."""
    if isinstance(data, str):
        return data if has_bad_characters(data) else None
    if isinstance(data, dict):
        items = [*data.keys(), *data.values()]
    elif isinstance(data, list):
        items = data
    else:
        return None
    for item in items:
        if (found := _bad_string(item)) is not None:
            return found
    return None


class StrictJSONParser(JSONParser):
    """The project's JSON parser (the default of DRF in settings): the stock one, but a body
    nested deeper than `settings.JSON_MAX_DEPTH` levels is refused with `ParseError` code
    "json_too_deep" before it is parsed, and a body with a NUL byte or a lone surrogate in any
    key or string with code "invalid_text"."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            # bytes that are not text cannot be JSON: the API's "malformed_json" answer
            # (billing_site.api._unreadable_body reads this wording)
            raise ParseError(f"JSON parse error - {exc}") from exc
        limit = settings.JSON_MAX_DEPTH
        if json_depth(text) > limit:
            raise ParseError(_("The JSON of the request nests deeper than %(limit)d levels.")
                             % {"limit": limit}, code="json_too_deep")
        try:
            strict = drf_json.strict_constant if api_settings.STRICT_JSON else None  # no NaN
            data = drf_json.loads(text, parse_constant=strict)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if _bad_string(data) is not None:
            raise ParseError(TEXT_MESSAGE, code="invalid_text")
        return data


# --- DRF fields ---------------------------------------------------------------------------------


class StrictIntegerField(serializers.IntegerField):
    """An integer written with ASCII digits (an optional sign), or a JSON number; "٣", " 3",
    "3\\n" and 3.5 are refused with the field's "invalid" message."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str) and not ASCII_INTEGER.match(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonIntegerField(StrictIntegerField):
    """A JSON body's integer: a JSON number only. A string ("15") is refused too, as the schema
    types the field `integer` (issue 14: the support API took `"minutes": "15"`). Not for query
    strings, where every value is text: use `StrictIntegerField` there."""

    default_error_messages = {
        "not_a_number": gettext_lazy("Send a JSON number, not text (15, not “15”)."),
    }

    def to_internal_value(self, data):
        if isinstance(data, str):
            self.fail("not_a_number")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """A date written exactly YYYY-MM-DD in ASCII digits; rendered the same way (4-digit year,
    also for years below 1000). A wrong one is refused with `DATE_MESSAGE`, whose format hint is
    translated like the month's ("RRRR-MM-DD" in Polish; DRF's own message kept "YYYY-MM-DD")."""

    default_error_messages = {"invalid": DATE_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["iso-8601"])
        kwargs.setdefault("format", "iso-8601")
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and not ASCII_DATE.match(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class TextField(serializers.CharField):
    """A text input; DRF's CharField already refuses NUL and lone surrogates in values, this
    names the rule for the schema (the JSON parser refuses them in keys too)."""


# --- Django form fields -------------------------------------------------------------------------


class StrictIntegerFormField(forms.IntegerField):
    """A form integer in ASCII digits only (Django's accepts "٣" and surrounding spaces)."""

    default_error_messages = {"invalid": INTEGER_MESSAGE}

    def to_python(self, value):
        if value not in self.empty_values:
            value = str(value).strip() if not isinstance(value, int) else value
            if isinstance(value, str) and not ASCII_INTEGER.match(value):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class StrictDateFormField(forms.DateField):
    """A form date written YYYY-MM-DD in ASCII digits only."""

    default_error_messages = {"invalid": DATE_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not ASCII_DATE.match(value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if isinstance(value, datetime.datetime):
            return value.date()
        return super().to_python(value)


class TextFormField(forms.CharField):
    """A form text input refusing NUL bytes (Django's own check) and lone surrogates."""

    default_validators = [clean_text]


class AmountInput(forms.TextInput):
    """A text input for a money amount (issues 12/13 item 6): the decimal keyboard on phones, no
    autofill, and — unless the form set its own — a placeholder example written with the decimal
    separator of the language active when the page is drawn ("123.45" / "123,45")."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", amount_example())
        return context


class AmountFormField(forms.CharField):
    """A money amount typed by a person: the text is kept as typed and parsed by the service
    (`billing_site.money.amount_input`, so pages and the API share one rule and one set of
    messages). No `max_length`: a huge number must be told it is too large (with the maximum),
    not that it has too many characters."""

    widget = AmountInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", None)
        super().__init__(**kwargs)
