"""What the seats services share: the account lock every service takes first, the fields their
audit rows snapshot, and the one way e-mail addresses are normalised (they are login names)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from billing_site.errors import DomainError

from ..models import Account

SEAT_FIELDS = ["valid_until", "paid_through", "member", "removed_on"]
MEMBER_FIELDS = ["role", "state", "pending_state", "pending_on", "pending_remove_seat"]


def _lock_account(account) -> Account:
    """The account row, locked: concurrent operations on one account are serialised on it."""
    return Account.objects.select_for_update().get(pk=account.pk)


def _normalise_email(email):
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("Enter a valid e-mail address."), field="email") from exc
    limit = get_user_model()._meta.get_field("username").max_length
    if len(email) > limit:  # the e-mail is the login name, which has a length limit
        raise DomainError(
            _("E-mail addresses longer than %(limit)d characters cannot be used.")
            % {"limit": limit},
            field="email",
        )
    return email
