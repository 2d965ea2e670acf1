"""The one place that decides whether a person may use the product (SPEC §3, later §6).

`access_decision` is called at login, on every page request and by the API. It reports the
phase of the person's seat (`seats.phases.phase_of_seat`, with the numbers of the billing
policy); refusing a blocked seat (admins keeping the billing pages) comes with the dunning
issue, which adds that outcome here. Until then the phase changes no outcome.
"""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from catalogue.models import BillingPolicy

from .models import Member, MemberState, Seat
from .phases import Phase, PhasePolicy, phase_of_seat

# What the seat's phase needs of the billing policy, read with the seat in one query.
_POLICY_FIELDS = ("banner_lead_days", "grace_days", "blocked_through_day", "trial_deletion_days")


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    code: str  # machine-readable reason: ok, staff, no_member, deleted, suspended, no_seat, ...
    message: str = ""
    # True when the person may log in but only reach the billing pages (blocked admins).
    billing_only: bool = False
    # The phase of the person's seat (SPEC §6) when they have one; None for staff and refusals
    # made before the seat is looked at.
    phase: Phase | None = None


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
    # One query for the seat and the policy's numbers (subqueries), as before for the seat alone.
    policy_fields = BillingPolicy.subqueries(_POLICY_FIELDS)
    seat = (
        Seat.objects.filter(member=member, removed_on__isnull=True)
        .annotate(**policy_fields).values("valid_until", *policy_fields).first()
    )
    if seat is None:
        return AccessDecision(
            False, "no_seat",
            _("You have no seat in %(account)s. Ask an administrator of %(account)s to assign "
              "you a seat.") % {"account": account},
        )
    policy = PhasePolicy.from_model(BillingPolicy.from_values(seat))
    trial_ends_on = member.account.trial_ends_on if member.account.trial else None
    phase = phase_of_seat(seat["valid_until"], as_of, policy, trial_ends_on=trial_ends_on)
    return AccessDecision(True, "ok", phase=phase)
