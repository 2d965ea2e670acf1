"""A small client for the NBP exchange-rate API (table A mid rates), used by the rates task.

GET {NBP_API_URL}/exchangerates/tables/A/{YYYY-MM-DD}/?format=json answers
`[{"table": "A", "no": "225/A/NBP/2026", "effectiveDate": "2026-11-20",
   "rates": [{"currency": "euro", "code": "EUR", "mid": 4.2345}, …]}]`
and 404 when no table was published that day (weekend, holiday, or not yet published today).
Mid rates are parsed straight into Decimal, never through float.
"""

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings


class NbpError(Exception):
    """The NBP API did not give a usable answer."""


class NbpUnavailable(NbpError):
    """Network error, timeout or a 5xx/429 answer: worth retrying later."""


class NbpBadResponse(NbpError):
    """An answer we cannot read (wrong shape, wrong day): retrying will not help."""


@dataclass(frozen=True)
class Table:
    number: str  # e.g. "225/A/NBP/2026"
    effective_date: date
    rates: dict[str, Decimal]  # currency code → PLN per unit (mid)


def table_a_url(day: date, base_url: str | None = None) -> str:
    base = (base_url or settings.NBP_API_URL).rstrip("/")
    return f"{base}/exchangerates/tables/A/{day.isoformat()}/?format=json"


def fetch_table_a(day: date, *, base_url: str | None = None,
                  timeout: float | None = None) -> Table | None:
    """Table A effective on `day`, or None when NBP has none for that day (HTTP 404)."""
    url = table_a_url(day, base_url)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise NbpBadResponse(f"NBP_API_URL must be an http(s) URL, not {url!r}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(  # noqa: S310 (scheme checked above)
            request, timeout=timeout if timeout is not None else settings.NBP_TIMEOUT
        ) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        if exc.code >= 500 or exc.code == 429:
            raise NbpUnavailable(f"NBP answered {exc.code} for {url}") from exc
        raise NbpBadResponse(f"NBP answered {exc.code} for {url}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError,
            http.client.HTTPException) as exc:
        raise NbpUnavailable(f"NBP unreachable ({exc}) for {url}") from exc
    return parse_table(body, day)


def parse_table(body: bytes | str, day: date) -> Table:
    try:
        data = json.loads(body, parse_float=Decimal, parse_int=Decimal)
        entry = data[0]
        if entry["table"] != "A":
            raise ValueError(f"table {entry['table']!r}, expected A")
        effective = date.fromisoformat(entry["effectiveDate"])
        rates = {str(r["code"]).upper(): Decimal(r["mid"]) for r in entry["rates"]}
    except (ValueError, KeyError, IndexError, TypeError, InvalidOperation) as exc:
        raise NbpBadResponse(f"Unreadable NBP table for {day}: {exc}") from exc
    if effective != day:
        raise NbpBadResponse(f"NBP sent the table of {effective} when asked for {day}")
    if any(rate <= 0 for rate in rates.values()):
        raise NbpBadResponse(f"NBP table {entry['no']} has a non-positive rate")
    return Table(number=str(entry["no"]), effective_date=effective, rates=rates)
