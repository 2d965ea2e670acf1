"""Accounts (tenants), their members and seats, and the audit trail of every change to them.

Invariants (backed by constraints where the database can express them):
- every tenant-owned row references its account;
- a member occupies at most one seat and a seat has at most one occupant (one-to-one `Seat.member`);
- a removed seat has no occupant;
- an *active* member always occupies a seat of their own account (kept by the services: members are
  only created onto a seat and only lose it by being suspended or deleted).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

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


class Seat(models.Model):
    """A licence of an account, with its own validity, occupied by at most one member.

    `valid_until` is inclusive. `paid_through` is the last day already paid (empty for a seat
    never paid); renewals charge from the day after it (SPEC §5). Removed seats are kept (with
    `removed_on`) so that earlier renewals and documents can still refer to them.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="seats", verbose_name=_("account")
    )
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

    class Meta:
        ordering = ["account", "id"]
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        constraints = [
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(member__isnull=True),
                name="seat_removed_is_free",
            ),
        ]
        indexes = [models.Index(fields=["account", "valid_until"])]

    def __str__(self):
        return f"#{self.pk} ({self.account}, {self.valid_until})"

    @property
    def is_free(self):
        return self.member_id is None


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
