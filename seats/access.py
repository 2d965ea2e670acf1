"""The one place that decides whether a person may use the product (SPEC §3, later §6).

`access_decision` is called at login, on every page request and by the API. The dunning
issue extends it with the expiry phases (grace / blocked / suspended), where admins keep the
billing pages.
"""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from .models import Member, MemberState, Seat


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    code: str  # machine-readable reason: ok, staff, no_member, deleted, suspended, no_seat, ...
    message: str = ""
    # True when the person may log in but only reach the billing pages (blocked admins).
    billing_only: bool = False


def access_decision(user, *, as_of: date, member=None) -> AccessDecision:
    """`member` may be passed when the caller has already loaded the user's member (with its
    account), to save the query on every request."""
    if user is None or not user.is_authenticated:
        return AccessDecision(False, "anonymous", _("Log in first."))
    # The login backend lets inactive users authenticate (so that deleted members are told why):
    # the active flag is therefore checked here, for staff as for members.
    if user.is_staff:
        if not user.is_active:
            return AccessDecision(False, "inactive", _("This login has been deactivated."))
        return AccessDecision(True, "staff")
    if member is None:
        member = Member.objects.select_related("account").filter(user=user).first()
    if member is None:
        return AccessDecision(
            False, "no_member", _("This login does not belong to any organisation.")
        )
    account = member.account.name
    if member.state == MemberState.DELETED:
        return AccessDecision(
            False, "deleted",
            _("Your user in %(account)s has been deleted, so you have no seat there. Ask an "
              "administrator of %(account)s if you need access again.") % {"account": account},
        )
    if member.state == MemberState.SUSPENDED:
        return AccessDecision(
            False, "suspended",
            _("Your user in %(account)s is suspended and has no seat. Ask an administrator of "
              "%(account)s to restore you onto a free seat.") % {"account": account},
        )
    if not user.is_active:
        return AccessDecision(
            False, "inactive",
            _("Your login to %(account)s has been deactivated. Ask an administrator of "
              "%(account)s if you need access again.") % {"account": account},
        )
    if not Seat.objects.filter(member=member, removed_on__isnull=True).exists():
        return AccessDecision(
            False, "no_seat",
            _("You have no seat in %(account)s. Ask an administrator of %(account)s to assign "
              "you a seat.") % {"account": account},
        )
    return AccessDecision(True, "ok")
