"""Counting limits on actions anyone can trigger (issue 13): password-reset and invitation
e-mails per address, sign-ups per IP address.

The counters live in Django's default cache (Redis in production: shared by every process,
`incr` atomic). A refused action is not an error the caller shows: the caller answers exactly as
if it had been done (so the answer tells nothing about the address) and skips the side effect;
`allow` logs the refusal as one line on the `billing_site.ratelimit` logger.
"""

import hashlib
import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def _key(scope: str, subject: str) -> str:
    # hashed: an address or IP may hold characters a cache key must not (memcached rules), and
    # the cache holds no personal data in clear
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()
    return f"ratelimit:{scope}:{digest}"


def allow(scope: str, subject: str, limit: tuple[int, int]) -> bool:
    """Count one `scope` action (e.g. "password_reset") for `subject` (an e-mail address,
    compared ignoring case and surrounding spaces, or an IP address) and say whether it is
    within `limit` = (at most this many, per this many seconds — a fixed window that starts at
    the first action). Over the limit: False, and one warning line naming the scope and the
    subject. A limit of 0 or less refuses everything; the count is kept even when refused."""
    count, seconds = limit
    key = _key(scope, subject)
    if cache.add(key, 1, timeout=seconds):
        used = 1
    else:
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            cache.add(key, 1, timeout=seconds)
            used = 1
    if used > count:
        logger.warning("Rate limited %s for %s: %d in %d s (limit %d)", scope,
                       " ".join(subject.split()), used, seconds, count)
        return False
    return True
