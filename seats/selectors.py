"""Reads of accounts, members and seats, always scoped to what the requester may see."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, F, Func, IntegerField, OuterRef, Subquery

from catalogue.models import BillingPolicy

from .access import _POLICY_FIELDS
from .models import (
    OPEN_INVITATION,
    AccessHold,
    Account,
    ConfirmedSeatCount,
    Contract,
    Invitation,
    InvitationStatus,
    Member,
    MemberRole,
    MemberState,
    Seat,
)
from .phases import PhasePolicy
from .standing import account_standing, seat_standing_phase


def accounts_visible_to(user):
    """Staff see every account; a member sees only their own; anyone else sees none."""
    if user.is_staff:
        return Account.objects.select_related("package")
    return Account.objects.select_related("package").filter(members__user=user)


def account_seats(account, *, include_removed=False):
    """The account's seats in number order, each annotated with the open invitation holding it
    (issue 13 item 3): `held_by` (its id) and `held_for` (the invited address), None when
    none. A held seat is shown as "reserved for an invitation", never with its occupant: a new
    address's member sits on it, an address with a login elsewhere has none, and the pages and
    the API must not tell the two apart (`Seat.is_free`, `Seat.shown_member_id`)."""
    hold = Invitation.objects.filter(OPEN_INVITATION, seat=OuterRef("pk")).order_by("id")
    qs = (Seat.objects.filter(account=account).select_related("member__user")
          .annotate(held_by=Subquery(hold.values("pk")[:1]),
                    held_for=Subquery(hold.values("email")[:1])))
    if not include_removed:
        qs = qs.filter(removed_on__isnull=True)
    return qs.order_by("number")


SEAT_FILTERS = ("free", "occupied", "expiring")


def account_seats_filtered(account, which, as_of, lead_days):
    """The account's live seats for the Users page's filter (issue 12): "free", "occupied",
    "expiring" (valid until at most `lead_days` after `as_of`, the expired included) or, for
    anything else, all of them; in number order."""
    qs = account_seats(account)
    free = Seat.objects.free_in(account).values("pk")  # a seat held by an invitation is not free
    if which == "free":
        return qs.filter(pk__in=free)
    if which == "occupied":
        return qs.exclude(pk__in=free)
    if which == "expiring":
        return qs.filter(valid_until__lte=as_of + timedelta(days=lead_days))
    return qs


def invitation_is_open(invitation) -> bool:
    """Whether `invitation` (a loaded `Invitation`) still waits for the invitee: pending, and
    either it added nobody (an address with a login elsewhere) or its member has not set a
    password yet."""
    if invitation.status != InvitationStatus.PENDING:
        return False
    member = invitation.member
    return member is None or not member.user.has_usable_password()


def account_invitations_open(account):
    """The invitations of `account` still waiting for the invitee (issues 12/13), in address
    order: what the members list shows as "invited, waiting for acceptance"."""
    return (Invitation.objects.filter(OPEN_INVITATION, account=account)
            .select_related("member__user").order_by("email", "id"))


def account_members_listed(account):
    """The members the members list shows (page and API): `account_members` without those who
    are there only as an open invitation (shown as the invitation instead, issues 12/13)."""
    invited = Invitation.objects.filter(OPEN_INVITATION, member=OuterRef("pk"))
    return account_members(account).exclude(Exists(invited))


def account_members(account):
    return (
        Member.objects.filter(account=account)
        .select_related("user", "seat")
        .order_by("state", "user__email")
    )


def _count(queryset):
    """The number of rows of `queryset` as a scalar subquery (always one row: an aggregate
    without GROUP BY), for reading several counts inside another query."""
    return Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT"))
                    .values("n")[:1], output_field=IntegerField())


@dataclass(frozen=True)
class UsersPageMembers:
    """What the Users page shows of an account's members and seat counts (`users_page_members`).

    `listed`: the members list (`account_members_listed`, in its order); `eligible`: active
    members without a seat, by e-mail (who can be assigned a free seat); `counts`: as
    `account_seat_counts`, plus `expiring` (live seats valid until at most `as_of` +
    `lead_days`, the "expiring" filter); `contract_open`: the account's (first) contract has not
    ended by `as_of`, when `contract_seat_state` has something to say."""

    listed: list
    eligible: list
    counts: dict
    contract_open: bool


def users_page_members(account, as_of: date, lead_days: int) -> UsersPageMembers:
    """One query whatever the number of seats and members (issue 16): every member of the
    account (the requesting admin among them, so there is always a row) with the seat counts
    and the contract's end as uncorrelated subqueries, then split in Python (the list keeps the
    database's order: by state, then e-mail)."""
    live = Seat.objects.filter(account=account, removed_on__isnull=True)
    first_contract = Contract.objects.filter(account=account).order_by("id")
    invited = Invitation.objects.filter(OPEN_INVITATION, member=OuterRef("pk"))
    members = list(
        account_members(account).annotate(
            only_invited=Exists(invited),
            seats_total=_count(live),
            seats_free=_count(live.free_in(account)),
            seats_expiring=_count(live.filter(valid_until__lte=as_of + timedelta(days=lead_days))),
            has_contract=Exists(first_contract),
            contract_ends_on=Subquery(first_contract.values("ends_on")[:1]),
        )
    )
    if members:
        head = members[0]
        counts = {"total": head.seats_total, "free": head.seats_free,
                  "expiring": head.seats_expiring}
        contract_open = head.has_contract and (head.contract_ends_on is None
                                               or head.contract_ends_on >= as_of)
    else:  # no member at all: not the page of an admin, but answer the same
        counts = {**account_seat_counts(account), "expiring": live.filter(
            valid_until__lte=as_of + timedelta(days=lead_days)).count()}
        contract_open = contract_seat_state(account, as_of) is not None
    return UsersPageMembers(
        listed=[m for m in members if not m.only_invited],
        eligible=[m for m in members
                  if m.state == MemberState.ACTIVE and getattr(m, "seat", None) is None],
        counts=counts, contract_open=contract_open,
    )


def is_last_active_admin(account, member, *, scheduled_count_as_gone=True) -> bool:
    """True when `member` is an active admin of `account` and no other active admin is left
    (admins with a release scheduled count as gone unless `scheduled_count_as_gone` is False).
    The pages ask it to warn before the confirmation step; the services ask it again with the
    account row locked (`seats.services.members._last_admin_guard`)."""
    if member.role != MemberRole.ADMIN or member.state != MemberState.ACTIVE:
        return False
    others = Member.objects.filter(
        account=account, role=MemberRole.ADMIN, state=MemberState.ACTIVE
    ).exclude(pk=member.pk)
    if scheduled_count_as_gone:
        others = others.exclude(pending_state__in=[MemberState.SUSPENDED, MemberState.DELETED])
    return not others.exists()


def account_seat_counts(account):
    """{"total": live seats, "free": those neither occupied nor held by a pending invitation}."""
    live = Seat.objects.filter(account=account, removed_on__isnull=True)
    return {"total": live.count(), "free": live.free().count()}


def account_status(account, as_of):
    """What the product's other services poll (issue 10, SPEC §6): the account's standing on
    `as_of` and each live seat's phase, in one query whatever the number of seats (the policy,
    the contract and the hold are uncorrelated subqueries of the seats query).

    Returns {"phase", "days_overdue", "valid_until", "automations_paused", "trial_ends_on",
    "seats": [{"id", "number", "phase", "valid_until"}]}; dates inclusive (Europe/Warsaw)."""
    policy_fields = BillingPolicy.subqueries(_POLICY_FIELDS)
    contract = Contract.objects.running_on(as_of).filter(account_id=account.pk)
    hold = AccessHold.objects.open().filter(account_id=account.pk)
    rows = list(
        Seat.objects.filter(account_id=account.pk, removed_on__isnull=True)
        .annotate(contract_runs=Exists(contract), held=Exists(hold), **policy_fields)
        .values("id", "number", "valid_until", "contract_runs", "held", *policy_fields)
        .order_by("id")
    )
    if rows:
        policy = PhasePolicy.from_model(BillingPolicy.from_values(rows[0]))
        contract_runs, held = bool(rows[0]["contract_runs"]), bool(rows[0]["held"])
    else:
        policy = PhasePolicy.from_model(BillingPolicy.current())
        contract_runs, held = contract.exists(), hold.exists()
    histogram = Counter(row["valid_until"] for row in rows)
    trial_ends_on = account.trial_ends_on if account.trial else None
    standing = account_standing(histogram, as_of, policy, trial_ends_on=trial_ends_on,
                                contract=contract_runs, held=held)
    return {
        "phase": standing.phase,
        "days_overdue": standing.days_overdue,
        "valid_until": standing.valid_until,
        "automations_paused": standing.automations_paused,
        "trial_ends_on": trial_ends_on,
        "seats": [
            {"id": row["id"], "number": row["number"], "valid_until": row["valid_until"],
             "phase": seat_standing_phase(row["valid_until"], as_of, policy,
                                          trial_ends_on=trial_ends_on, contract=contract_runs,
                                          held=held)}
            for row in rows
        ],
    }


# --- contract accounts: confirmed seat counts (SPEC §3, issue 11) -----------------------------


def confirmed_seat_counts(account_ids: Iterable[int], day: date) -> dict[int, int]:
    """{account id: the seat count to bill on `day`} for the given accounts, from the
    `ConfirmedSeatCount` ledger: the count confirmed last (latest `confirmed_on`, then highest
    id) on or before `day`. An account whose every confirmation is later than `day` (a contract
    set retroactively: `contract_set` records the first count on the day it is called) gets its
    earliest confirmation, the count it had when it became a contract account. Accounts with no
    row at all are missing from the result. One query, whatever the number of accounts (two
    correlated subqueries, so that SQLite runs it too: no DISTINCT ON)."""
    ids = list(account_ids)
    if not ids:
        return {}
    ledger = ConfirmedSeatCount.objects.filter(account_id=OuterRef("pk"))
    rows = (
        Account.objects.filter(pk__in=ids)
        .annotate(
            last=Subquery(ledger.filter(confirmed_on__lte=day)
                          .order_by("-confirmed_on", "-id").values("count")[:1]),
            first=Subquery(ledger.order_by("confirmed_on", "id").values("count")[:1]),
        )
        .values_list("pk", "last", "first")
    )
    return {pk: last if last is not None else first
            for pk, last, first in rows if first is not None}


def confirmed_seat_count(account, day: date) -> int | None:
    """The seat count contract invoicing bills for `account` on `day` (see
    `confirmed_seat_counts`); None when the account never had a confirmed count (it is not a
    contract account)."""
    return confirmed_seat_counts([account.pk], day).get(account.pk)


def contract_seat_state(account, as_of: date) -> dict | None:
    """What the Users page shows a contract account's admin (issue 11): None unless the account
    has a contract that has not ended by `as_of`. Otherwise {"contract": Contract, "live": seats
    not removed (int), "confirmed": the latest `ConfirmedSeatCount` (or None), "differs": live ≠
    confirmed count}. Three queries."""
    contract = Contract.objects.filter(account=account).first()
    if contract is None or (contract.ends_on is not None and contract.ends_on < as_of):
        return None
    live = Seat.objects.filter(account=account, removed_on__isnull=True).count()
    confirmed = (ConfirmedSeatCount.objects.filter(account=account)
                 .select_related("confirmed_by").order_by("-confirmed_on", "-id").first())
    return {"contract": contract, "live": live, "confirmed": confirmed,
            "differs": confirmed is None or confirmed.count != live}
