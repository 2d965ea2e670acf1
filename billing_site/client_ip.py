"""The IP address a request came from, for login lockout and per-IP limits (issue 13)."""

from django.conf import settings


def client_ip(request) -> str:
    """The client's IP address as a string ("" when unknown).

    With `settings.TRUSTED_PROXIES` = 0 (the default) it is REMOTE_ADDR: X-Forwarded-For is
    ignored, since any client can send one. Behind N trusted reverse proxies it is the address
    the outermost proxy saw: the N-th entry from the right of X-Forwarded-For (the same rule as
    DRF's NUM_PROXIES), or REMOTE_ADDR when the header has fewer entries."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = getattr(settings, "TRUSTED_PROXIES", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]
