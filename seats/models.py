"""Accounts (tenants), their members and seats, and the audit trail of every change to them.

Invariants (backed by constraints where the database can express them):
- every tenant-owned row references its account;
- a member occupies at most one seat and a seat has at most one occupant (one-to-one `Seat.member`);
- a removed seat has no occupant;
- an *active* member always occupies a seat of their own account (kept by the services: members are
  only created onto a seat and only lose it by being suspended or deleted);
- a seat's `valid_until` / `paid_through` are a cache of its rows in the append-only `SeatPeriod`
  ledger, written only by `seats.services.ledger` (see `SeatPeriod`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, TextChoices
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from billing_site import formatting
from billing_site.money import Currency


class BillingPeriod(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    ANNUAL = "annual", _("annual")


class Account(models.Model):
    """A tenant organisation. All of its seats share `package`."""

    name = models.CharField(_("name"), max_length=200)
    package = models.ForeignKey(
        "catalogue.Package", on_delete=models.PROTECT, related_name="accounts",
        verbose_name=_("package"),
    )
    # ISO 3166-1 alpha-2; decides the currency (SPEC §7) and later the VAT treatment.
    country = CountryField(_("country"))
    # Currency of prices and documents; follows the country unless staff set it explicitly.
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    billing_period = models.CharField(
        _("billing period"), max_length=10, choices=BillingPeriod.choices,
        default=BillingPeriod.MONTHLY,
    )
    # True while the account runs on its free trial (until the first payment is booked).
    trial = models.BooleanField(_("trial"), default=False)
    # Last day (inclusive, Europe/Warsaw) of the free trial; set for every account that had one.
    trial_ends_on = models.DateField(_("trial ends on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(trial=False) | Q(trial_ends_on__isnull=False),
                name="account_trial_has_end",
            ),
            models.CheckConstraint(
                condition=Q(currency__in=Currency.values), name="account_currency_known"
            ),
        ]

    def __str__(self):
        return self.name



class ContractQuerySet(models.QuerySet):
    def running_on(self, day):
        """Contracts that cover `day` (both ends inclusive; `ends_on` empty = open-ended)."""
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), starts_on__lte=day)


class AccessHoldQuerySet(models.QuerySet):
    def open(self):
        """Holds not lifted yet: the account is blocked."""
        return self.filter(lifted_at__isnull=True)


class Contract(models.Model):
    """A contract account's agreement (SPEC §3): at least 10 seats, open-ended (`ends_on` empty)
    or for a fixed term of at least 6 months. While a contract runs (`starts_on` ≤ day ≤
    `ends_on`) the account is invoiced monthly and is never blocked by seat expiry; only finance
    can block it by hand (`AccessHold`).

    Owned by seats because the one access decision (`seats.access`) reads it; written only by
    `seats.services.contracts`. One row per account; a contract that ended keeps its row with
    `ends_on` in the past.
    """

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="contract", verbose_name=_("account"),
    )
    starts_on = models.DateField(_("starts on"))
    # Inclusive last day; empty for an open-ended contract.
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="contract_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.account} ({self.starts_on}–{self.ends_on or '…'})"

    def runs_on(self, day) -> bool:
        """True on the days the contract covers (both ends inclusive)."""
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class ConfirmedSeatCount(models.Model):
    """The append-only, dated ledger of a contract account's *confirmed* seat counts (SPEC §3):
    the admin changes seats as usual, then confirms "send the new seat count for recurring
    billing"; each confirmation appends a row with the account's live seat count (seats not
    removed) on that day. Contract invoicing (`dunning.services.contract_invoicing`) bills the
    count confirmed last on or before the invoiced month's 1st
    (`seats.selectors.confirmed_seat_count`), never the live count.

    The first row is written by `contract_set` when the account becomes a contract account (the
    count at that time), so a contract account always has a confirmed count. Written only by
    `seats.services.contracts` (`contract_set`, `contract_seats_confirm`); rows are never
    changed or deleted (a new confirmation supersedes the previous one). Several rows on one day
    are allowed; the latest (highest id) wins.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="confirmed_seat_counts",
        verbose_name=_("account"),
    )
    # Number of seats (not removed) confirmed for billing; at least 1.
    count = models.PositiveIntegerField(_("confirmed seats"))
    # Business date (Europe/Warsaw) of the confirmation: it counts for months whose 1st is on or
    # after this day.
    confirmed_on = models.DateField(_("confirmed on"))
    # Who confirmed: the account's admin, staff (through contract_set); empty for a job.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("confirmed by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["account", "-confirmed_on", "-id"]
        verbose_name = _("confirmed seat count")
        verbose_name_plural = _("confirmed seat counts")
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=1),
                                   name="confirmed_seat_count_positive"),
        ]
        indexes = [models.Index(fields=["account", "confirmed_on", "id"])]

    def __str__(self):
        return f"{self.account}: {self.count} ({self.confirmed_on})"


class AccessHold(models.Model):
    """Finance blocked the account by hand (SPEC §3: an overdue contract account). While a hold
    is open (`lifted_at` empty) the account is blocked as in SPEC §6 whatever its dates: admins
    reach only the billing pages, everyone else is refused at login.

    Read by `seats.access` (so seats owns it), written only by `seats.services.contracts`
    (`account_hold_place` / `account_hold_lift`); at most one open hold per account (constraint).
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="holds", verbose_name=_("account"),
    )
    reason = models.CharField(_("reason"), max_length=500)
    placed_at = models.DateTimeField(_("placed at"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("placed by"),
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("lifted by"),
    )

    objects = AccessHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("access hold")
        verbose_name_plural = _("access holds")
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(lifted_at__isnull=True),
                name="access_hold_one_open_per_account",
            ),
        ]

    def __str__(self):
        return f"{self.account}: {self.reason}"


class MemberRole(models.TextChoices):
    ADMIN = "admin", _("administrator")
    MANAGER = "manager", _("manager")
    USER = "user", _("user")


class MemberState(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    DELETED = "deleted", _("deleted")


class Member(models.Model):
    """A person working in one account. The login identity is `user` (username = e-mail).

    A release (suspension or deletion) may be scheduled for a later date: `pending_state`,
    `pending_on` and `pending_remove_seat` hold it until the daily job applies it.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="members", verbose_name=_("account")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=10, choices=MemberRole.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=MemberState.choices, default=MemberState.ACTIVE
    )
    pending_state = models.CharField(
        _("scheduled state"), max_length=10, blank=True, default="",
        choices=[(MemberState.SUSPENDED, MemberState.SUSPENDED.label),
                 (MemberState.DELETED, MemberState.DELETED.label)],
    )
    pending_on = models.DateField(_("scheduled for"), null=True, blank=True)
    pending_remove_seat = models.BooleanField(_("remove the seat too"), default=False)
    # False only for the first admin of a self-service sign-up until they confirm their address
    # through the e-mailed link (`seats.services.signup_confirm`): until then the login (and so
    # the new account) is refused at login, on every page and in the API (`seats.access`).
    # Members added by an admin are True: their login has no password until they follow the
    # link e-mailed to the address, which proves it as well.
    email_confirmed = models.BooleanField(_("address confirmed"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["account", "user__email"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.CheckConstraint(
                condition=(Q(pending_state="") & Q(pending_on__isnull=True))
                | (~Q(pending_state="") & Q(pending_on__isnull=False)),
                name="member_pending_change_complete",
            ),
            models.CheckConstraint(
                condition=Q(role__in=MemberRole.values), name="member_role_known"
            ),
            models.CheckConstraint(
                condition=Q(state__in=MemberState.values), name="member_state_known"
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.account})"

    @property
    def email(self):
        return self.user.email

    @property
    def is_admin(self):
        return self.role == MemberRole.ADMIN


class InvitationStatus(TextChoices):
    PENDING = "pending", _("invited, waiting for acceptance")
    ACCEPTED = "accepted", _("accepted")
    CANCELLED = "cancelled", _("cancelled")


# pending → accepted (the invitee set their password) / cancelled (by an admin); nothing after
INVITATION_TRANSITIONS = {
    InvitationStatus.PENDING: {InvitationStatus.ACCEPTED, InvitationStatus.CANCELLED},
    InvitationStatus.ACCEPTED: set(),
    InvitationStatus.CANCELLED: set(),
}


class Invitation(models.Model):
    """An admin's invitation of an address into an account (issues 12/13), shown on the members
    list as "invited, waiting for acceptance" — the same way whoever owns the address, so that
    the list never tells one organisation that an address has a login elsewhere.

    - An address with no login: the invitation creates the login and the member on a seat at
      once (`member`), as before; it is accepted when the invitee sets a password through the
      e-mailed link. Until then the member is shown only as this invitation.
    - An address that already has a login (another organisation's member, a vendor staff login:
      one login belongs to at most one organisation): nobody is added (`member` empty), its
      owner is e-mailed what to do, and the invitation stays pending until an admin cancels it.

    Either way a pending invitation holds one seat of the account (`seat`, issue 13 item 3), so
    that the Seats table, the seat counts and the seats API do not tell the two kinds apart
    either: a seat held by an open invitation (`OPEN_INVITATION`: pending, and its member, if
    any, has not set a password) is not free (`Seat.objects.free()`), is shown as "reserved for
    an invitation" with the invited address, and cannot be assigned or removed. The new
    address's member sits on that same seat. Cancelling ends the hold (the seat is free again);
    accepting leaves the member on it as their seat. The hold is the status itself: nothing
    has to be cleared when the invitation leaves it.

    Written only by `seats.services.invitations` (and `member_invite`). Constraints: at most one
    pending invitation per account and address; a pending invitation holds a seat; a seat is
    held by at most one pending invitation. Kept by the services, under the account lock: the
    seat is the invitation's account's, not removed, and occupied by nobody or the invitation's
    own member. `email` is stored lower-case."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("account")
    )
    email = models.CharField(_("e-mail"), max_length=254)
    role = models.CharField(_("role"), max_length=10, choices=MemberRole.choices)
    status = models.CharField(_("status"), max_length=10, choices=InvitationStatus.choices,
                              default=InvitationStatus.PENDING)
    # the member the invitation created (address without a login); empty for an address with a
    # login elsewhere, and after a cancelled invitation's member was removed
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations",
        verbose_name=_("member"),
    )
    # the seat the invitation holds while pending (see the class docstring); kept afterwards as
    # a record of which seat it was. Empty only on invitations closed before seats were held.
    seat = models.ForeignKey(
        "Seat", on_delete=models.CASCADE, null=True, blank=True, related_name="invitations",
        verbose_name=_("seat"),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("invited by"),
    )
    # business date (Europe/Warsaw) of the invitation, shown on the list
    invited_on = models.DateField(_("invited on"))
    # business date of the last e-mail (the invitation, or a re-send)
    sent_on = models.DateField(_("sent on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["account", "email", "id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email"], condition=Q(status="pending"),
                name="invitation_one_pending_per_address",
            ),
            models.CheckConstraint(condition=Q(status__in=["pending", "accepted", "cancelled"]),
                                   name="invitation_status_known"),
            models.CheckConstraint(condition=~Q(status="pending") | Q(seat__isnull=False),
                                   name="invitation_pending_holds_a_seat"),
            models.UniqueConstraint(
                fields=["seat"], condition=Q(status="pending"),
                name="invitation_one_pending_per_seat",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.account} ({self.status})"


# An invitation still waiting for the invitee: pending, and either it added nobody (an address
# with a login elsewhere) or its member has not set a password yet ("!…" is Django's unusable
# one). One whose member has set a password is accepted, even before `invitations_settle`
# records it: its seat is that member's, no longer held.
OPEN_INVITATION = Q(status=InvitationStatus.PENDING) & (
    Q(member__isnull=True) | Q(member__user__password__startswith="!"))


def _held():
    """An open invitation holding the seat of the outer query."""
    return Invitation.objects.filter(OPEN_INVITATION, seat=OuterRef("pk"))


class SeatQuerySet(models.QuerySet):
    def free(self):
        """Seats nobody occupies and no open invitation holds: what a newcomer, an assignment
        or a restore may take and what the pages count as free (removed seats included: callers
        filter `removed_on` as they need)."""
        return self.filter(member__isnull=True).exclude(Exists(_held()))

    def free_in(self, account):
        """`free()` for seats of `account`, reading the seats its open invitations hold once
        (`held_seat_ids`) instead of once per seat: what the Users page counts (issue 16)."""
        return self.filter(member__isnull=True).exclude(pk__in=held_seat_ids(account))

    def with_free_now(self, account):
        """Each seat of `account` annotated with `free_now`: whether `free()` would select it,
        read in the same row, with the held seats read once (`held_seat_ids`)."""
        return self.annotate(free_now=models.ExpressionWrapper(
            Q(member__isnull=True) & ~Q(pk__in=held_seat_ids(account)),
            output_field=models.BooleanField()))


def held_seat_ids(account):
    """The ids of the seats of `account` that open invitations hold, as an uncorrelated
    subquery: PostgreSQL reads it once (a hashed subplan) whatever plan it picks for the seats,
    where `Exists(_held())` may run once per seat (it does for a thousand seats it has no
    statistics on yet). Never NULL (a `NOT IN` with a NULL would match nothing)."""
    return Invitation.objects.filter(OPEN_INVITATION, seat__account=account).values("seat_id")


class Seat(models.Model):
    """A licence of an account, with its own validity, occupied by at most one member.

    `valid_until` is inclusive. `paid_through` is the last day already paid (empty for a seat
    never paid); renewals charge from the day after it (SPEC §5). Removed seats are kept (with
    `removed_on`) so that earlier renewals and documents can still refer to them.

    `valid_until` and `paid_through` are a cache of the seat's rows in the `SeatPeriod` ledger,
    written only by the ledger services in `seats.services.ledger` (`seats_open`,
    `seat_periods_append`, `seat_periods_reverse`), in the transaction that appends the rows:
    `valid_until` = the last day of the latest effective period, `paid_through` = the last day
    of the latest effective paid period (None if none); `seats.validity.derive_validity` computes
    both from the rows.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="seats", verbose_name=_("account")
    )
    # The seat's number within its account (1, 2, 3…), what the tenant sees instead of the
    # database id: assigned by `seats.services.ledger.seats_open` under the account lock (the
    # next after the highest the account ever had, removed seats included, so a number is never
    # reused); unique per account. On PostgreSQL a trigger numbers a row inserted without one.
    number = models.PositiveIntegerField(_("number"), editable=False)
    # Cache of the ledger (see the class docstring): assigned only in seats.services.ledger.
    valid_until = models.DateField(_("valid until"))
    paid_through = models.DateField(_("paid through"), null=True, blank=True)
    # Business date (Europe/Warsaw) the seat was added: a never-paid seat is billed from it.
    created_on = models.DateField(_("created on"))
    member = models.OneToOneField(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="seat",
        verbose_name=_("occupant"),
    )
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SeatQuerySet.as_manager()

    class Meta:
        ordering = ["account", "id"]
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        constraints = [
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(member__isnull=True),
                name="seat_removed_is_free",
            ),
            models.UniqueConstraint(fields=["account", "number"], name="seat_number_per_account"),
        ]
        indexes = [models.Index(fields=["account", "valid_until"])]

    def __str__(self):
        # the admin's selects and lists: the number people know, the day as the pages write it
        return _("seat no. %(number)d (%(account)s, until %(date)s)") % {
            "number": self.number, "account": self.account,
            "date": formatting.day(self.valid_until)}

    @property
    def is_free(self):
        """Nobody occupies it and no pending invitation holds it (`SeatQuerySet.free`). Reads
        the `held_by` annotation of `seats.selectors.account_seats` when there, else asks."""
        if self.member_id is not None:
            return False
        if hasattr(self, "held_by"):
            return self.held_by is None
        return not self.invitations.filter(OPEN_INVITATION).exists()

    @property
    def shown_member_id(self):
        """The occupant the pages and the API show: none while an open invitation holds the seat
        (the `held_by` annotation of `seats.selectors.account_seats`), so that a new address's
        member is not told apart from an address with a login elsewhere (issue 13 item 3)."""
        return None if getattr(self, "held_by", None) is not None else self.member_id


class SeatPeriodCause(models.TextChoices):
    TRIAL = "trial", _("trial")
    SEAT_ADDED = "seat_added", _("seat added")
    ORDER = "order", _("order")
    PACKAGE_CHANGE = "package_change", _("package change")
    REFUND_REVERSAL = "refund_reversal", _("refund reversal")
    STAFF_CORRECTION = "staff_correction", _("staff correction")
    # the dates every seat had when the ledger was introduced (migration 0005)
    OPENING = "opening", _("carried over")


REVERSAL_CAUSES = [SeatPeriodCause.REFUND_REVERSAL, SeatPeriodCause.STAFF_CORRECTION]


class ImmutableLedgerError(Exception):
    """A ledger row was about to be changed or deleted: append a row instead."""


class SeatPeriod(models.Model):
    """Append-only ledger of seat validity: one row per seat and event that set its dates.

    The rule that makes `Seat.valid_until` / `Seat.paid_through` derivable from the rows
    (`seats.validity.derive_validity`):

    - a seat's rows count in the order they were appended (by id);
    - a row is *effective* unless it is a reversal row (`reverses` set) or a later row reverses
      it (each row can be reversed once: `reverses` is unique);
    - `valid_until` = `last_day` of the latest effective row; `paid_through` = `last_day` of the
      latest effective paid row (None if none).

    So a row says "after this event the seat is valid (and, if `paid`, paid) through `last_day`",
    and `first_day..last_day` are the days the event added or, when it moved a date earlier, the
    days from the event day (informational). An event that sets both dates appends a paid row
    ending on the new `paid_through`, then an unpaid row ending on the new `valid_until` when
    that is later. Dates moving later (an order, a package change to a cheaper package) and
    earlier (a package change to a dearer one) are appended the same way; a reversal appends one
    row per reversed row and leaves the rows before them in charge again, which reproduces the
    seat's dates from before the reversed event exactly (the refund of an order, the undoing of
    a package change). Reversing rows under which later events stand keeps those later events'
    dates: the result is the rows as if the reversed ones had never been appended.

    Never updated, never deleted: `save()` and `delete()` refuse, and a database trigger refuses
    UPDATE and DELETE (even through `QuerySet.update()` or raw SQL) except clearing `actor` when
    that user is deleted. The cache is written only by the services in
    `seats.services.ledger`, in the transaction that appends the rows, under the account lock.
    """

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="seat_periods",
        verbose_name=_("account"),
    )
    seat = models.ForeignKey(
        Seat, on_delete=models.PROTECT, related_name="periods", verbose_name=_("seat")
    )
    # Inclusive business dates (Europe/Warsaw); see the class docstring for what they mean.
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    paid = models.BooleanField(_("paid"))
    cause = models.CharField(_("cause"), max_length=20, choices=SeatPeriodCause.choices)
    # The plans.Order the period belongs to, when there is one. A plain integer, not a foreign
    # key: seats sits below plans, and a foreign key would make seats' schema (and migrations)
    # depend on plans. Reversing "the periods of order N" filters on it.
    order_id = models.BigIntegerField(_("order"), null=True, blank=True, db_index=True)
    # The row this one reverses (refund reversal or staff correction); such a row is a record,
    # never effective itself, and carries the reversed row's days.
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("actor"),
    )
    # Who it was even after the user row is gone; "system" for jobs and payments.
    actor_label = models.CharField(_("actor"), max_length=254)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["seat", "id"]
        verbose_name = _("seat period")
        verbose_name_plural = _("seat periods")
        constraints = [
            models.CheckConstraint(condition=Q(first_day__lte=models.F("last_day")),
                                   name="seat_period_days_ordered"),
            models.CheckConstraint(condition=Q(cause__in=SeatPeriodCause.values),
                                   name="seat_period_cause_known"),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(cause__in=REVERSAL_CAUSES),
                name="seat_period_reversal_cause",
            ),
            models.CheckConstraint(
                condition=~Q(cause=SeatPeriodCause.REFUND_REVERSAL)
                | Q(reverses__isnull=False),
                name="seat_period_refund_reverses_a_row",
            ),
        ]

    def __str__(self):
        paid = " paid" if self.paid else ""
        return f"seat #{self.seat_id} {self.first_day}..{self.last_day}{paid} ({self.cause})"

    def save(self, *args, **kwargs):
        """Rows are only ever inserted."""
        if not self._state.adding:
            raise ImmutableLedgerError("seat periods are never changed; append a row instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableLedgerError("seat periods are never deleted; append a reversal instead")


class AuditEntry(models.Model):
    """Append-only record of a change: who did what to which row, with its state before and
    after."""

    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_entries",
        verbose_name=_("account"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("actor"),
    )
    # Kept as text so the entry still says who it was after the user row is gone; "system" for jobs.
    actor_label = models.CharField(_("actor"), max_length=254)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.BigIntegerField(_("target id"), null=True, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class PurgePermit(models.Model):
    """Lets one transaction delete the append-only and frozen rows of one account: its seat
    periods (`SeatPeriod`) and its issued pro-formas with their lines and VAT totals
    (`invoices.Document`), when an unpaid trial account is deleted with its data (SPEC §6).

    The database triggers that refuse deleting those rows (seats migration 0007, invoices 0005)
    let a DELETE through while a row for the deleted row's account exists here. The row is
    inserted at the start of the purge and deleted at its end, inside the purging transaction
    (`seats.services.purge.purge_permit`), so no other transaction ever sees it: the table is
    empty outside a purge, and on PostgreSQL a deferred constraint trigger refuses to commit a
    transaction that would leave a row behind. UPDATE stays refused with or without a permit,
    and VAT and corrective invoices are never deletable (accounting documents are kept).

    `account_id` is a plain integer, not a foreign key: the permit must stay in place while the
    account row it names is deleted, and must not be deleted with it by a cascade.
    """

    account_id = models.BigIntegerField(_("account"), primary_key=True)

    class Meta:
        verbose_name = _("purge permit")
        verbose_name_plural = _("purge permits")

    def __str__(self):
        return f"purge of account {self.account_id}"
