"""E-mails of sign-up and invitations that must not disclose who owns an address (issue 13,
item 3), and the per-address limit on them (item 1).

Sign-up and invitations answer the same way whoever owns the address; what differs is the
e-mail, which only the owner of the address reads:

- a new sign-up gets a link that finishes it (`send_signup_confirmation`);
- an address that already has a login — a member of any organisation or a vendor staff login —
  gets a note that someone signed up or invited it, and what to do (`send_address_taken`).

Every link is built from settings.SITE_URL, never from a request. Each e-mail counts against
settings.INVITATION_LIMIT per address (`billing_site.ratelimit`): the excess is not sent (one
log line), and the caller's answer does not change.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from billing_site.outbox import email_send_once, enqueue
from billing_site.ratelimit import allow

from ..auth import logins_with_email


class SignupTokenGenerator(PasswordResetTokenGenerator):
    """Tokens of the link that finishes a sign-up: like password-reset tokens (they expire
    after PASSWORD_RESET_TIMEOUT and once the login logs in, since `last_login` is in the
    hash), with their own salt, so that neither link works as the other."""

    key_salt = "seats.services.emails.SignupTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        # issues 12/13: the link confirms the address, so it stops working once it is confirmed
        member = getattr(user, "member", None)
        confirmed = member.email_confirmed if member is not None else True
        return f"{super()._make_hash_value(user, timestamp)}{confirmed}"


signup_token_generator = SignupTokenGenerator()


def site_link(view_name, **kwargs) -> str:
    """An absolute link to `view_name` on settings.SITE_URL (never the request's host)."""
    return settings.SITE_URL.rstrip("/") + reverse(view_name, kwargs=kwargs)


def owner_language(user) -> str:
    """The language to write to an existing login in. There is no stored preference: a member
    of an organisation in Poland gets Polish, a member elsewhere English, a login without an
    organisation (vendor staff) the site default (settings.LANGUAGE_CODE)."""
    member = getattr(user, "member", None) if user is not None else None
    if member is None:
        return settings.LANGUAGE_CODE
    return "pl" if member.account.country == "PL" else "en"


def _send(*, to, subject, template, context, language, once_key=""):
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {**context, "subject": subject()}
        message = EmailMultiAlternatives(
            subject=" ".join(context["subject"].split()),  # no line breaks in a header
            body=render_to_string(f"seats/email/{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
        )
        message.attach_alternative(render_to_string(f"seats/email/{template}.html", context),
                                   "text/html")
    if once_key:  # one e-mail per task message, even when it is delivered twice (issue 13)
        email_send_once(once_key, message.send, message.to)
    else:
        message.send()


def send_signup_confirmation(member, language="", once_key=""):
    """E-mail the new admin of a signed-up account the link that finishes the sign-up (logs
    them in), in `language` (the one they signed up in)."""
    user = member.user
    link = site_link("signup_confirm", uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
                     token=signup_token_generator.make_token(user))
    _send(to=user.email, template="signup_confirm", language=language,
          once_key=f"signup:{once_key}" if once_key else "",
          subject=lambda: _("Finish signing up for Seat Billing"),
          context={"account": member.account, "link": link, "email": user.email})


def send_address_taken(email, reason, account_name="", inviter_email="", language="",
                       once_key=""):
    """Tell the owner of `email` (an address that already has a login) that someone signed up
    with it (`reason` "signup") or invited it into `account_name` (`reason` "invitation"), and
    what to do. Nothing is sent when the login is gone since.

    Language: for a sign-up, `language` (the one the sign-up form was filled in: whoever signed
    up is most likely the owner); otherwise, or when it is empty, the owner's
    (`owner_language`). What to do depends on the login (issues 12/13): a sign-up not confirmed yet
    is told to use its confirmation link or ask for a new one (never "log in", which it cannot
    yet); a confirmed login to log in or reset its password; a vendor staff login (no
    organisation) that it is a staff login, not for a customer organisation."""
    user = logins_with_email(email).select_related("member__account").order_by("pk").first()
    if user is None:
        return
    member = getattr(user, "member", None)
    if member is None:
        kind = "staff"
    elif not member.email_confirmed:
        kind = "unconfirmed"
    else:
        kind = "confirmed"
    context = {"reason": reason, "account_name": account_name, "inviter": inviter_email,
               "email": user.email, "kind": kind, "login_link": site_link("login"),
               "reset_link": site_link("password_reset"),
               "resend_link": site_link("signup_resend")}
    if reason != "signup" or not language:
        language = owner_language(user)
    if reason == "invitation":
        def subject():
            return _("You have been invited to %(account)s") % {"account": account_name}
    else:
        def subject():
            return _("Someone tried to sign up for Seat Billing with your address")
    _send(to=user.email, template="address_taken", language=language,
          once_key=f"address_taken:{once_key}" if once_key else "",
          subject=subject, context=context)


def queue_limited(task_name, email, *args):
    """Queue the e-mail task `task_name` with `args` for `email` through the outbox, in the
    caller's transaction (`billing_site.outbox.enqueue`: a broker that is down loses nothing),
    unless `email` had settings.INVITATION_LIMIT e-mails already (then nothing is queued and one
    line is logged). By name: seats.tasks imports the services."""
    if not allow("invitation", email, settings.INVITATION_LIMIT):
        return
    enqueue(task_name, args=list(args))
