"""The one place that decides whether a person may use the product (SPEC §3, §6).

`access_decision` is called at login, on every page request (`seats.middleware`) and by the API
(`seats.permissions.HasProductAccess`). It applies the late-payment phases of `seats.standing`:

- a member whose seat is blocked (d ≥ 8, an unpaid trial that ended, or the account held by
  finance) cannot log in, and is signed out on the next request, with the reason and who can pay;
- an admin of a blocked or suspended account (or whose own seat is blocked) logs in but reaches
  only the billing pages (`billing_only`);
- a running contract is never blocked by expiry.

The phase is a pure function of the seats' dates and the policy, computed on every request, so
paying (which moves the dates) restores access at once, with no sweep. The decision also carries
the account's `Standing` and the person's seat date, from which the banner is drawn
(`seats.context_processors`) without another query: the member (with its account) is one query,
this decision one more.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from catalogue.models import BillingPolicy

from .models import AccessHold, Contract, Member, MemberRole, MemberState, Seat
from .phases import Phase, PhasePolicy
from .standing import Standing, account_standing, seat_standing_phase

# What the phases need of the billing policy, read inside the seats query.
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
    # Where the account stands (phase, overdue days, the seats the banner is about); None as for
    # `phase`.
    standing: Standing | None = None
    # The person's own seat's last valid day, and whether they administer the account.
    seat_valid_until: date | None = None
    is_admin: bool = False
    policy: PhasePolicy | None = None


@dataclass(frozen=True)
class AccountDates:
    """What one query reads about an account's seats: {valid_until: seat count} of its live
    seats, `mine` (the given member's seat date, if any), the policy, whether a contract runs
    and whether finance holds it."""

    seat_dates: dict
    mine: date | None
    policy: PhasePolicy
    contract: bool
    held: bool


def account_dates(account_id: int, as_of: date, *, member_id: int | None = None) -> AccountDates:
    """One query: the live seats of the account grouped by `valid_until`, with the policy, the
    contract and the hold read by constant subqueries (no outer reference, so the grouping holds
    in PostgreSQL and SQLite alike). Its cost does not grow with the number of seats beyond the
    number of distinct dates."""
    policy_fields = BillingPolicy.subqueries(_POLICY_FIELDS)
    contract = Contract.objects.running_on(as_of).filter(account_id=account_id)
    hold = AccessHold.objects.open().filter(account_id=account_id)
    rows = list(
        Seat.objects.filter(account_id=account_id, removed_on__isnull=True)
        .values("valid_until")
        .annotate(n=Count("id"), mine=Count("id", filter=Q(member_id=member_id)),
                  contract_runs=Exists(contract), held=Exists(hold), **policy_fields)
        .order_by()
    )
    if rows:
        policy = PhasePolicy.from_model(BillingPolicy.from_values(rows[0]))
        contract_runs, held = bool(rows[0]["contract_runs"]), bool(rows[0]["held"])
    else:  # no live seat: read the rest on its own (rare: an account without seats)
        policy = PhasePolicy.from_model(BillingPolicy.current())
        contract_runs, held = contract.exists(), hold.exists()
    seat_dates: dict = {}
    for row in rows:
        seat_dates[row["valid_until"]] = seat_dates.get(row["valid_until"], 0) + row["n"]
    mine = next((row["valid_until"] for row in rows if row["mine"]), None)
    return AccountDates(seat_dates=seat_dates, mine=mine, policy=policy,
                        contract=contract_runs, held=held)


def standing_of(account, as_of: date, *, dates: AccountDates | None = None) -> Standing:
    """The `Standing` of `account` (a loaded `Account`) on `as_of` (one query unless `dates`
    are given)."""
    dates = dates or account_dates(account.pk, as_of)
    return account_standing(
        dates.seat_dates, as_of, dates.policy,
        trial_ends_on=account.trial_ends_on if account.trial else None,
        contract=dates.contract, held=dates.held,
    )


def member_of(user):
    """The member of `user` (None for a login without one), with its account and package: the
    one the login backend loaded with the user (`seats.auth.EmailLoginBackend.get_user`), else
    one query."""
    if get_user_model().member.is_cached(user):
        try:
            return user.member
        except Member.DoesNotExist:
            return None
    return (Member.objects.select_related("account", "account__package", "user")
            .filter(user=user).first())


def request_member(request):
    """The member of the person making `request` (a Django or DRF request), with its account
    and package, read once per request and kept on the Django request: the page middleware,
    the API's access check, its account scoping and its role check all ask for it (issue 16).
    None for staff and for a login without a member. Kept per user: a DRF request
    authenticated by token is another user than the (absent) session one."""
    http = getattr(request, "_request", request)
    user = request.user
    kept = getattr(http, "_member_of_user", None)
    if kept is not None and kept[0] is user:
        return kept[1]
    member = None
    if user is not None and user.is_authenticated and not user.is_staff:
        member = member_of(user)
    http._member_of_user = (user, member)
    return member


def access_decision(user, *, as_of: date, member=None) -> AccessDecision:
    """Whether `user` may use the product on `as_of`. `member` may be passed when the caller has
    already loaded the user's member (with its account), to save the query on every request.
    Costs at most two queries (the member, then the seats of its account)."""
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
    account = member.account
    name = account.name
    if not member.email_confirmed:
        # a sign-up whose address is not confirmed yet (issues 12/13): the login form offers to
        # send the link again (templates/registration/login.html reads this code)
        return AccessDecision(
            False, "unconfirmed",
            _("Your e-mail address is not confirmed yet. Open the link in the e-mail we sent "
              "when you signed up, or send the link again."),
        )
    if member.state == MemberState.DELETED:
        return AccessDecision(
            False, "deleted",
            _("Your user in %(account)s has been deleted, so you have no seat there. Ask an "
              "administrator of %(account)s if you need access again.") % {"account": name},
        )
    if member.state == MemberState.SUSPENDED:
        return AccessDecision(
            False, "suspended",
            _("Your user in %(account)s is suspended and has no seat. Ask an administrator of "
              "%(account)s to restore you onto a free seat.") % {"account": name},
        )
    if not user.is_active:
        return AccessDecision(
            False, "inactive",
            _("Your login to %(account)s has been deactivated. Ask an administrator of "
              "%(account)s if you need access again.") % {"account": name},
        )
    dates = account_dates(account.pk, as_of, member_id=member.pk)
    if dates.mine is None:
        return AccessDecision(
            False, "no_seat",
            _("You have no seat in %(account)s. Ask an administrator of %(account)s to assign "
              "you a seat.") % {"account": name},
        )
    standing = standing_of(account, as_of, dates=dates)
    phase = seat_standing_phase(
        dates.mine, as_of, dates.policy, trial_ends_on=standing.trial_ends_on,
        contract=dates.contract, held=dates.held,
    )
    is_admin = member.role == MemberRole.ADMIN
    blocked = phase == Phase.BLOCKED or standing.blocked
    details = {"phase": phase, "standing": standing, "seat_valid_until": dates.mine,
               "is_admin": is_admin, "policy": dates.policy}
    if blocked and not is_admin:
        return AccessDecision(False, "blocked", blocked_message(account, standing, dates.mine),
                              **details)
    return AccessDecision(True, "ok", billing_only=blocked, **details)


def blocked_message(account, standing: Standing, seat_valid_until: date | None) -> str:
    """Why a member of `account` cannot log in, and who can pay (its active administrators, by
    e-mail: one query, only on a refusal)."""
    admins = list(
        Member.objects.filter(account=account, role=MemberRole.ADMIN, state=MemberState.ACTIVE)
        .select_related("user").order_by("user__email")[:5]
        .values_list("user__email", flat=True)
    )
    who = ", ".join(admins) or _("an administrator of %(account)s") % {"account": account.name}
    values = {"account": account.name, "who": who}
    if standing.held:
        reason = _("%(account)s has been blocked by the vendor's finance team.") % values
    elif standing.trial_ends_on is not None:
        reason = _("The free trial of %(account)s ended on %(date)s.") % {
            **values, "date": date_format(standing.trial_ends_on, "DATE_FORMAT")}
    else:
        last = seat_valid_until or standing.valid_until
        reason = _("Your seat in %(account)s was paid until %(date)s and the payment is "
                   "overdue, so it is blocked.") % {
            **values, "date": date_format(last, "DATE_FORMAT")}
    return reason + " " + _("Access returns as soon as it is paid; an administrator can pay: "
                            "%(who)s.") % values


def deletion_date(standing: Standing, policy: PhasePolicy) -> date | None:
    """The day an unpaid trial's account and data are deleted (SPEC §6), or None."""
    if standing.trial_ends_on is None:
        return None
    return standing.trial_ends_on + timedelta(days=policy.trial_deletion_days)
