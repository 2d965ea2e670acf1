"""API authentication: DRF's token authentication, with staff tokens that expire.

A staff login can read and change every account, so its API token is good for
`settings.STAFF_TOKEN_TTL_HOURS` after it was made (issue 13, item 11); then the API answers 401
with a message that says so, and the owner makes a new token on the API tokens page. Members'
tokens do not expire: their owner revokes them.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import ngettext
from rest_framework.exceptions import AuthenticationFailed

from .throttling import ThrottledTokenAuthentication


def token_expires_at(token):
    """When `token` stops working, or None when it does not expire (a member's token)."""
    if not token.user.is_staff:
        return None
    return token.created + timedelta(hours=settings.STAFF_TOKEN_TTL_HOURS)


def token_expired(token, *, now=None) -> bool:
    """Whether `token` is a staff token older than STAFF_TOKEN_TTL_HOURS."""
    expires_at = token_expires_at(token)
    return expires_at is not None and (now or timezone.now()) >= expires_at


class ExpiringStaffTokenAuthentication(ThrottledTokenAuthentication):
    """`Authorization: Token <key>`, refusing a staff token past its lifetime with a 401; wrong
    (and expired) tokens count against the caller's IP address (`ThrottledTokenAuthentication`)."""

    def authenticate_credentials(self, key):
        """The (user, token) pair of `key`; AuthenticationFailed for an expired staff token."""
        user, token = super().authenticate_credentials(key)
        return self.unexpired(user, token)

    def unexpired(self, user, token):
        """(user, token), or AuthenticationFailed when `token` is an expired staff token."""
        if token_expired(token):
            hours = settings.STAFF_TOKEN_TTL_HOURS
            raise AuthenticationFailed(
                ngettext("This API token of a staff login expired %(hours)d hour after it was "
                         "made. Make a new one on the API tokens page.",
                         "This API token of a staff login expired %(hours)d hours after it was "
                         "made. Make a new one on the API tokens page.", hours)
                % {"hours": hours},
                code="token_expired",
            )
        return user, token
