"""A small client of the EU VIES REST API: is this VAT id valid for intra-EU trade? (SPEC §7)

    POST {settings.VIES_API_URL}/check-vat-number  {"countryCode": "DE", "vatNumber": "136695976"}
    → 200 {"valid": true|false, "name": ..., "address": ..., "userError": "VALID"|"INVALID"|...}

Three outcomes, and only an explicit "not valid" answer is ever `invalid`:
- `valid`: VIES confirms the number;
- `invalid`: VIES answers `valid: false` with userError INVALID / INVALID_INPUT (or none);
- `unknown`: anything else — a member state's or the central service's error (MS_UNAVAILABLE,
  TIMEOUT, SERVICE_UNAVAILABLE, MS_MAX_CONCURRENT_REQ, GLOBAL_MAX_CONCURRENT_REQ, …), an HTTP error
  status, a timeout, a refused connection, an answer we cannot read. The caller stores it as
  pending and asks again later.

Plain urllib with `settings.VIES_TIMEOUT` (seconds, per socket operation); tests point
`settings.VIES_API_URL` at a local HTTP stub.
"""

import http.client
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

VALID, INVALID, UNKNOWN = "valid", "invalid", "unknown"

# userError values that go with `valid: false` when VIES looked and the number is not valid. Every
# other value (a service-side error, or a contradiction such as VALID) says nothing about it.
_NOT_VALID_ERRORS = frozenset({"", "INVALID", "INVALID_INPUT"})


@dataclass(frozen=True)
class VatCheck:
    status: str  # VALID, INVALID or UNKNOWN
    name: str = ""  # as registered in VIES ("---" when the member state does not share it)
    address: str = ""
    checked_at: datetime | None = None  # when we asked (aware, UTC)
    error: str = ""  # VIES userError or our own reason for UNKNOWN, for logs and audit rows


def vies_country_code(country: str) -> str:
    """VIES prefixes: ISO codes except Greece, which VAT ids write as EL."""
    country = country.upper()
    return "EL" if country == "GR" else country


def check_vat(country_code: str, number: str) -> VatCheck:
    """Ask VIES about `number` (without its country prefix) registered in `country_code`."""
    checked_at = timezone.now()
    url = settings.VIES_API_URL.rstrip("/") + "/check-vat-number"
    if not url.startswith(("http://", "https://")):
        raise ValueError("VIES_API_URL must be an http(s) URL")
    body = json.dumps(
        {"countryCode": vies_country_code(country_code), "vatNumber": number}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 (scheme checked above)
            request, timeout=settings.VIES_TIMEOUT
        ) as response:
            payload = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        logger.warning("VIES answered HTTP %s for %s%s", exc.code, country_code, number)
        return VatCheck(UNKNOWN, checked_at=checked_at, error=f"HTTP {exc.code}")
    except (OSError, http.client.HTTPException) as exc:  # timeouts, refused connections, resets
        logger.warning("VIES unreachable for %s%s: %r", country_code, number, exc)
        return VatCheck(UNKNOWN, checked_at=checked_at, error=type(exc).__name__)
    except ValueError as exc:  # not JSON, not UTF-8
        logger.warning("VIES answer unreadable for %s%s: %r", country_code, number, exc)
        return VatCheck(UNKNOWN, checked_at=checked_at, error="unreadable answer")
    return _outcome(payload, checked_at)


def _outcome(payload, checked_at) -> VatCheck:
    if not isinstance(payload, dict):
        return VatCheck(UNKNOWN, checked_at=checked_at, error="unreadable answer")
    user_error = str(payload.get("userError") or "").upper()
    name = str(payload.get("name") or "")
    address = str(payload.get("address") or "")
    valid = payload.get("valid")
    if valid is True:
        return VatCheck(VALID, name, address, checked_at, user_error)
    if valid is False and user_error in _NOT_VALID_ERRORS:
        return VatCheck(INVALID, name, address, checked_at, user_error or "INVALID")
    # a service-side error (or an answer without a verdict): says nothing about the number
    return VatCheck(UNKNOWN, checked_at=checked_at,
                    error=user_error or str(payload.get("errorWrappers") or "no verdict"))
