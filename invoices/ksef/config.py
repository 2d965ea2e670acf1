"""Whether this installation sends invoices to KSeF (issue 15; settings in the README)."""

from django.conf import settings


def ksef_enabled() -> bool:
    """True when `KSEF_API_URL`, `KSEF_TOKEN` and `KSEF_NIP` are all set."""
    return bool(settings.KSEF_API_URL and settings.KSEF_TOKEN and settings.KSEF_NIP)
