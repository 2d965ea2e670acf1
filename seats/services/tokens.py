"""API tokens (DRF's `rest_framework.authtoken`, one per login) made and revoked by their owner
(issue 13, item 11). The key is shown once, when it is made; afterwards pages show its first
characters only. Staff tokens expire (`billing_site.authentication`)."""

from django.db import transaction
from rest_framework.authtoken.models import Token

from ..audit import audit_record
from ..models import Member

KEY_PREFIX_LENGTH = 8


def key_prefix(key: str) -> str:
    """The part of a token key pages may show: its first KEY_PREFIX_LENGTH characters."""
    return key[:KEY_PREFIX_LENGTH]


def _account_of(user):
    member = Member.objects.filter(user=user).select_related("account").first()
    return member.account if member is not None else None


def api_token_create(*, user) -> Token:
    """A new API token for `user`, replacing (revoking) the one it had. The returned token's key
    is the only time the full key is seen. Audited as "api_token.create"."""
    with transaction.atomic():
        old = Token.objects.select_for_update().filter(user=user).first()
        before = {"key_prefix": key_prefix(old.key)} if old is not None else None
        if old is not None:
            old.delete()
        token = Token.objects.create(user=user)
        audit_record(account=_account_of(user), actor=user, action="api_token.create",
                     target=user, before=before, after={"key_prefix": key_prefix(token.key)})
    return token


def api_token_revoke(*, user, actor=None) -> bool:
    """Deletes `user`'s API token; False when there was none (a second click). `actor` is who
    revoked it: the owner (the default) or ops in the admin. Audited as "api_token.revoke"."""
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is None:
            return False
        prefix = key_prefix(token.key)
        token.delete()
        audit_record(account=_account_of(user), actor=actor or user, action="api_token.revoke",
                     target=user, before={"key_prefix": prefix}, after=None)
    return True
