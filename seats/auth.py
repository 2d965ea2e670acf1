"""E-mail addresses as login names, matched ignoring letter case.

Members' usernames are their e-mail addresses, stored lower-case (`services._normalise_email`), but
people type `New.Person@Example.com`; logins created by staff in the admin may keep capitals. Every
place that looks a login up by its e-mail — the login backend, sign-up, invitations — goes
through this module, so that one address is one login whatever its case.
"""

from asgiref.sync import sync_to_async
from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import AllowAllUsersModelBackend
from django.db.models import Q
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import AuthenticationFailed

from billing_site.authentication import ExpiringStaffTokenAuthentication


def logins_with_email(email):
    """Every login whose username or e-mail address is `email`, ignoring letter case."""
    User = get_user_model()
    return User._default_manager.filter(
        Q(**{f"{User.USERNAME_FIELD}__iexact": email})
        | Q(**{f"{User.get_email_field_name()}__iexact": email})
    )


def stored_username(username):
    """The username as stored for what someone typed at login: the exact spelling, else its
    lower-case form (both found through the unique index), else the one login that matches
    ignoring case. Returned unchanged when none or several match (several: only logins created
    before this rule; each of them still logs in spelled exactly)."""
    if not username:
        return username
    User = get_user_model()
    manager, field = User._default_manager, User.USERNAME_FIELD
    found = set(
        manager.filter(**{f"{field}__in": {username, username.lower()}})
        .values_list(field, flat=True)
    )
    if username in found:
        return username
    if found:
        return found.pop()
    matches = list(manager.filter(**{f"{field}__iexact": username})
                   .values_list(field, flat=True)[:2])
    return matches[0] if len(matches) == 1 else username


class EmailLoginBackend(AllowAllUsersModelBackend):
    """Django's model backend with the login name matched ignoring case.

    It lets inactive users authenticate, as `AllowAllUsersModelBackend` does, so that a deleted
    member reaches the login form's `confirm_login_allowed` and is told why (`seats.access`)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        return super().authenticate(request, username=stored_username(username),
                                    password=password)

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        username = await sync_to_async(stored_username)(username)
        return await super().aauthenticate(request, username=username, password=password)

    def get_user(self, user_id):
        """The signed-in user of a session, read with its member, the member's account and the
        account's package in one query: every page asks for them (`seats.access.member_of`),
        so they cost no query of their own (issue 16)."""
        User = get_user_model()
        try:
            user = (User._default_manager
                    .select_related("member", "member__account", "member__account__package")
                    .get(pk=user_id))
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def axes_username(request, credentials):
    """The name django-axes counts failed logins under (settings.AXES_USERNAME_CALLABLE): what
    was typed, stripped and lower-cased, so that `A@X.example` and `a@x.example` share one
    failure count, as they share one login. Read from the credentials passed to authenticate(),
    else from the posted form field."""
    field = get_user_model().USERNAME_FIELD
    typed = (credentials or {}).get("username") or (credentials or {}).get(field)
    if typed is None and request is not None:
        typed = request.POST.get("username", "")
    return (typed or "").strip().lower()


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check (first in settings.AUTHENTICATION_BACKENDS): refuses any
    login of an address+IP that is locked out, before a password is checked; never logs anyone
    in. Axes' class has no `aauthenticate`, which Django's `aauthenticate()` calls on every
    backend: this one runs the same check in a thread."""

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        return await sync_to_async(self.authenticate)(request, username=username,
                                                      password=password, **kwargs)


class MemberTokenAuthentication(ExpiringStaffTokenAuthentication):
    """The API's token authentication (`billing_site.authentication`, expiring staff tokens),
    reading the token's user with its member, the member's account and the account's package in
    the token's own query, as `EmailLoginBackend.get_user` does for a session: the API's access
    check, account scoping and role check ask for them (`seats.access.request_member`), so they
    cost no query of their own (issue 16). Otherwise DRF's `authenticate_credentials`, with its
    messages (translated by DRF's catalogue)."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related(
                "user", "user__member", "user__member__account", "user__member__account__package",
            ).get(key=key)
        except model.DoesNotExist:
            raise AuthenticationFailed(gettext_lazy("Invalid token.")) from None
        if not token.user.is_active:
            raise AuthenticationFailed(gettext_lazy("User inactive or deleted."))
        return self.unexpired(token.user, token)
