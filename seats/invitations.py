"""What the page and the API answer to an invitation (issue 13)."""

from django.utils.translation import gettext as _


def invitation_sent_message(email: str) -> str:
    """The answer to every accepted invitation of `email`, in the active language: the same
    whether the address was added to the account or already has a login elsewhere (then its
    owner is e-mailed instead), so that it tells nothing about other tenants."""
    return _("An invitation has been sent to %(email)s.") % {"email": email.strip().lower()}
