"""API throttles (issue 13, item 1), wired in settings.REST_FRAMEWORK.

DRF's own classes read their rates once, when first imported; these read them on every request
from `DEFAULT_THROTTLE_RATES`, so a changed setting (and a test's `override_settings`) applies at
once. Their counters live in Django's default cache (Redis in production), shared by every web
process. A refused request becomes a 429 with Retry-After in `billing_site.api.exception_handler`.
"""

from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class _CurrentRates:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class UserThrottle(_CurrentRates, UserRateThrottle):
    """Per authenticated user (the token's or the session's), rate `user`."""


class AnonThrottle(_CurrentRates, AnonRateThrottle):
    """Per client IP address (settings.TRUSTED_PROXIES via NUM_PROXIES) for requests without a
    login, rate `anon`. A request `AnonymousThrottleAuthentication` already counted is not
    counted twice."""

    def allow_request(self, request, view):
        if getattr(request._request, "anon_throttle_counted", False):
            return True
        return super().allow_request(request, view)


class FailedTokenThrottle(_CurrentRates, SimpleRateThrottle):
    """Per client IP address, counting wrong tokens in the `anon` rate's counter. It cannot ask
    `request.user` (authentication is what is running), hence its own cache key."""

    scope = "anon"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ThrottledTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, except that wrong tokens count against the caller's IP
    address: DRF checks throttles only after authentication, so without this a script could
    guess tokens at any speed (each a cheap 401). Over the `anon` rate: 429 (Throttled) instead
    of 401, until the window passes."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            throttle = FailedTokenThrottle()
            if not throttle.allow_request(request, None):
                raise Throttled(wait=throttle.wait()) from None
            raise


class AnonymousThrottleAuthentication(BaseAuthentication):
    """The last of DEFAULT_AUTHENTICATION_CLASSES: it authenticates no one, it counts a request
    that no other class authenticated (no token, no session) against the caller's IP address in
    the `anon` rate. DRF checks the throttles only after the permissions, so an anonymous request
    to a view that needs a login was a 401 that was never counted: a script could call the API
    at any speed. Over the rate: 429 (Throttled, with Retry-After) instead of the 401."""

    def authenticate(self, request):
        throttle = FailedTokenThrottle()  # the `anon` counter, keyed without `request.user`
        if not throttle.allow_request(request, None):
            raise Throttled(wait=throttle.wait())
        request._request.anon_throttle_counted = True
        return None
