"""The API's session authentication (`REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`).

A module of its own for the reason `billing_site.api_language` gives: DRF imports the
authentication classes while `rest_framework.views` is being imported."""

from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions


class CsrfFailed(exceptions.PermissionDenied):
    """A session-authenticated API request without a valid CSRF token: 403, code "csrf", the
    message in the API's language (DRF's own is English: "CSRF Failed: …")."""

    default_detail = gettext_lazy(
        "The request was refused: its CSRF token is missing or wrong. Send the csrftoken "
        "cookie's value in the X-CSRFToken header, or authenticate with a token.")
    default_code = "csrf"


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, whose CSRF refusal is `CsrfFailed`. Django's English reason
    ("CSRF token missing." …) is kept on the request for the one-line refusal log
    (`billing_site.log_filters`)."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            reason = str(exc.detail).removeprefix("CSRF Failed: ")
            request._request.refusal_reason = f"csrf: {reason}"
            raise CsrfFailed from exc
