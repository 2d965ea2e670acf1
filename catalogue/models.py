"""The catalogue (SPEC §4–5): packages with prices per currency and entitlements, add-on products
and their limits per package, the discount ladder; the billing policy (the grace, blocked, trial and
retry numbers of SPEC §5–6). Ops edit it in the admin; every other app reads it. It sits below
accounts and seats (an account has a package) and imports no other app.

The tables were created by the `plans` app and keep their names (`db_table`)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Subquery
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing_site.money import Currency


def catalogue_name(name: str) -> str:
    """A package or add-on name as people read it: the name staff typed in the admin, translated
    into the active language when the Polish catalogue (locale/) has it as a msgid (the default
    names do, see `catalogue.defaults`). Staff rename freely; a new name is shown as typed until
    a translation for it is added. Names are stored once, in English; codes never shown."""
    return gettext(name) if name else name


class Package(models.Model):
    """A package every seat of an account shares (SPEC §4). `code` is the stable API identifier."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive packages cannot be chosen.")
    )
    # Ordering on price pages: cheapest first.
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Feature flags the product checks (e.g. "automations"); a list of strings.
    features = models.JSONField(_("features"), default=list, blank=True)
    # File storage per seat in GB; the account's quota is seats × this.
    storage_gb_per_seat = models.PositiveIntegerField(_("storage per seat (GB)"), default=0)

    class Meta:
        db_table = "plans_package"  # created by the plans app before the move
        ordering = ["position", "code"]
        verbose_name = _("package")
        verbose_name_plural = _("packages")

    def __str__(self):
        # what every select (the sign-up form, the admin) shows: the name in the active language
        return self.display_name

    @property
    def display_name(self) -> str:
        return catalogue_name(self.name)


class PackagePrice(models.Model):
    """Monthly net price of one seat of a package in one currency (no FX conversion, SPEC §2)."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="prices",
                                verbose_name=_("package"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    monthly_price = models.DecimalField(
        _("monthly net price per seat"), max_digits=10, decimal_places=2,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        db_table = "plans_packageprice"  # created by the plans app before the move
        ordering = ["package", "currency"]
        verbose_name = _("package price")
        verbose_name_plural = _("package prices")
        constraints = [
            models.UniqueConstraint(fields=["package", "currency"], name="package_price_unique"),
            models.CheckConstraint(condition=Q(monthly_price__gte=0),
                                   name="package_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.package.code} {self.monthly_price} {self.currency}"


class AddOn(models.Model):
    """An add-on product sold in packs (e.g. 100 chatbot conversations a month per pack)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # How many units (conversations, …) one pack adds per month.
    pack_size = models.PositiveIntegerField(_("units per pack"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "plans_addon"  # created by the plans app before the move
        ordering = ["code"]
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")

    def __str__(self):
        # what every select (the sign-up form, the admin) shows: the name in the active language
        return self.display_name

    @property
    def display_name(self) -> str:
        return catalogue_name(self.name)


class AddOnPrice(models.Model):
    addon = models.ForeignKey(AddOn, on_delete=models.CASCADE, related_name="prices",
                              verbose_name=_("add-on"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    monthly_price = models.DecimalField(
        _("monthly net price per pack"), max_digits=10, decimal_places=2,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        db_table = "plans_addonprice"  # created by the plans app before the move
        ordering = ["addon", "currency"]
        verbose_name = _("add-on price")
        verbose_name_plural = _("add-on prices")
        constraints = [
            models.UniqueConstraint(fields=["addon", "currency"], name="addon_price_unique"),
            models.CheckConstraint(condition=Q(monthly_price__gte=0),
                                   name="addon_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.addon.code} {self.monthly_price} {self.currency}"


class PackageAddOn(models.Model):
    """What a package includes of an add-on for free and how much may be bought (in units)."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="addon_limits",
                                verbose_name=_("package"))
    addon = models.ForeignKey(AddOn, on_delete=models.CASCADE, related_name="package_limits",
                              verbose_name=_("add-on"))
    included = models.PositiveIntegerField(_("included units"))
    cap = models.PositiveIntegerField(_("maximum units that can be bought"))

    class Meta:
        db_table = "plans_packageaddon"  # created by the plans app before the move
        verbose_name = _("add-on limit")
        verbose_name_plural = _("add-on limits")
        constraints = [
            models.UniqueConstraint(fields=["package", "addon"], name="package_addon_unique"),
        ]

    def __str__(self):
        return f"{self.package.code}/{self.addon.code}: {self.included}–{self.cap}"


class DiscountRung(models.Model):
    """A rung of the renewal discount ladder: terms of `min_months` or more get `percent`."""

    min_months = models.PositiveSmallIntegerField(_("from term (months)"), unique=True)
    percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        db_table = "plans_discountrung"  # created by the plans app before the move
        ordering = ["min_months"]
        verbose_name = _("discount rung")
        verbose_name_plural = _("discount ladder")
        constraints = [
            models.CheckConstraint(condition=Q(percent__gte=0) & Q(percent__lte=100),
                                   name="discount_percent_range"),
        ]

    def __str__(self):
        return f"≥{self.min_months} m: {self.percent} %"


def _default_trial_days():
    """The free trial's length before ops change it: the `TRIAL_DAYS` setting (SPEC §6: 14)."""
    return settings.TRIAL_DAYS


class BillingPolicy(models.Model):
    """The numbers of SPEC §5–6 that ops may change: one row, edited in the admin.

    Invariants (database constraints): there is at most one row (`id` = 1); every number lies in
    a sensible range; the phases follow each other (grace ends before the blocked phase does, and
    the suspension starts the day after that); a renewal always pays the grace days it follows
    (its paid-grace limit is at least the grace days); retries and reminders are in increasing
    order and the last charge retry still falls in the grace window.

    `d` below is the number of days since a seat's (or the account's) `valid_until`: 0 on that
    day, 1 on the day after, -7 a week before. Read the row with `BillingPolicy.current()`.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False,
                                          verbose_name=_("ID"))

    # --- access after expiry (SPEC §6) ---
    banner_lead_days = models.PositiveSmallIntegerField(
        _("expiry banner lead (days)"), default=7,
        validators=[MaxValueValidator(60)],
        help_text=_("Days before a seat's validity ends from which the expiry banner shows."),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"), default=7,
        validators=[MaxValueValidator(60)],
        help_text=_("Days after expiry with full access and a “payment required” banner "
                    "(d = 1 … this)."),
    )
    blocked_through_day = models.PositiveSmallIntegerField(
        _("blocked through day"), default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Last day after expiry of the blocked phase, in days (d = grace period + 1 … "
                    "this): only admins log in, to the billing pages. The account is suspended "
                    "(automations paused) from the next day."),
    )

    # --- renewals (SPEC §5) ---
    renewal_paid_grace_days = models.PositiveSmallIntegerField(
        _("renewal paid-grace limit (days)"), default=14,
        validators=[MaxValueValidator(90)],
        help_text=_("A seat that expired at most this many days before a renewal is charged "
                    "from its billing start (the unpaid and grace days are paid); one that "
                    "expired longer ago is charged forward only, from the renewal day."),
    )

    # --- free trial (SPEC §6) ---
    trial_days = models.PositiveSmallIntegerField(
        _("free trial (days)"), default=_default_trial_days,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Length of the free trial in days, the sign-up day included."),
    )
    # Issue 12: a trial account once reached 204 seats (500 per click); seats beyond this many
    # come only with a paid renewal.
    trial_max_seats = models.PositiveSmallIntegerField(
        _("seats during the free trial (at most)"), default=25,
        validators=[MinValueValidator(1), MaxValueValidator(10000)],
        help_text=_("Most seats (not removed) an account may have while on its free trial."),
    )
    trial_deletion_days = models.PositiveSmallIntegerField(
        _("unpaid trial deletion (days)"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days after an unpaid trial ends until the account and its data are "
                    "deleted."),
    )

    # --- recurring card payments (SPEC §6) ---
    recurring_charge_lead_days = models.PositiveSmallIntegerField(
        _("recurring charge lead (days)"), default=1,
        validators=[MaxValueValidator(28)],
        help_text=_("Days before the account's validity ends that the recurring renewal is "
                    "charged to the saved card."),
    )
    # A failed recurring charge is retried these many days after it (SPEC §6 default 1, 3, 5).
    # Three fields rather than a list so that the database can check their order.
    charge_retry_1_days = models.PositiveSmallIntegerField(
        _("first charge retry (days)"), default=1,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Days after a failed recurring charge that it is retried the first time."),
    )
    charge_retry_2_days = models.PositiveSmallIntegerField(
        _("second charge retry (days)"), default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Days after a failed recurring charge that it is retried the second time."),
    )
    charge_retry_3_days = models.PositiveSmallIntegerField(
        _("third charge retry (days)"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Days after a failed recurring charge that it is retried the last time; "
                    "at most the recurring charge lead plus the grace period, so that it falls "
                    "in the grace window."),
    )

    # --- contract accounts (SPEC §3) ---
    contract_payment_days = models.PositiveSmallIntegerField(
        _("contract invoice payment terms (days)"), default=14,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Days from issue to the due date of a contract account's monthly invoice."),
    )
    # Reminders of an overdue contract invoice, days after its due date (SPEC §3: 1, 7, 14).
    contract_reminder_1_days = models.PositiveSmallIntegerField(
        _("first contract reminder (days)"), default=1,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Days after an unpaid contract invoice's due date that the first reminder "
                    "is sent."),
    )
    contract_reminder_2_days = models.PositiveSmallIntegerField(
        _("second contract reminder (days)"), default=7,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Days after an unpaid contract invoice's due date that the second reminder "
                    "is sent."),
    )
    contract_reminder_3_days = models.PositiveSmallIntegerField(
        _("third contract reminder (days)"), default=14,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Days after an unpaid contract invoice's due date that the last reminder "
                    "is sent."),
    )

    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("billing policy")
        verbose_name_plural = _("billing policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(trial_max_seats__gte=1, trial_max_seats__lte=10000),
                name="billing_policy_trial_max_seats_range",
                violation_error_message=_("A number of the billing policy is out of range."),
            ),
            models.CheckConstraint(condition=Q(id=1), name="billing_policy_singleton",
                                   violation_error_message=_("There is only one billing policy.")),
            models.CheckConstraint(
                condition=Q(banner_lead_days__lte=60, grace_days__lte=60,
                            blocked_through_day__lte=90, renewal_paid_grace_days__lte=90,
                            trial_days__gte=1, trial_days__lte=90,
                            trial_deletion_days__gte=1, trial_deletion_days__lte=365,
                            recurring_charge_lead_days__lte=28,
                            charge_retry_1_days__gte=1, charge_retry_3_days__lte=60,
                            contract_payment_days__gte=1, contract_payment_days__lte=120,
                            contract_reminder_1_days__gte=1, contract_reminder_3_days__lte=120),
                name="billing_policy_ranges",
                violation_error_message=_("A number of the billing policy is out of range."),
            ),
            models.CheckConstraint(
                condition=Q(grace_days__lt=F("blocked_through_day")),
                name="billing_policy_grace_before_blocked_end",
                violation_error_message=_("The grace period must end before the blocked phase "
                                          "does."),
            ),
            models.CheckConstraint(
                condition=Q(renewal_paid_grace_days__gte=F("grace_days")),
                name="billing_policy_renewal_pays_grace",
                violation_error_message=_("The renewal paid-grace limit cannot be shorter than "
                                          "the grace period: the grace days are always paid."),
            ),
            models.CheckConstraint(
                condition=Q(charge_retry_1_days__lt=F("charge_retry_2_days"),
                            charge_retry_2_days__lt=F("charge_retry_3_days"),
                            charge_retry_3_days__lte=F("recurring_charge_lead_days")
                            + F("grace_days")),
                name="billing_policy_retries_ordered_in_grace",
                violation_error_message=_("Charge retries must come in increasing order, the "
                                          "last one within the recurring charge lead plus the "
                                          "grace period."),
            ),
            models.CheckConstraint(
                condition=Q(contract_reminder_1_days__lt=F("contract_reminder_2_days"),
                            contract_reminder_2_days__lt=F("contract_reminder_3_days")),
                name="billing_policy_reminders_ordered",
                violation_error_message=_("Contract reminders must come in increasing order."),
            ),
        ]

    def __str__(self):
        return str(_("billing policy"))

    @classmethod
    def current(cls) -> "BillingPolicy":
        """The policy row, or an unsaved instance with the defaults when there is none (the
        migration seeds it, but tests that flush the tables remove it). A read: never writes."""
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls()

    @classmethod
    def subqueries(cls, fields, *, prefix="policy_") -> dict:
        """Annotations reading `fields` of the policy row inside another query (`prefix` +
        field name), so that a hot path (the access check on every request) reads the policy
        without a query of its own. Turn the values back into a policy with `from_values`."""
        row = cls.objects.filter(pk=cls.SINGLETON_ID)
        return {prefix + name: Subquery(row.values(name)[:1]) for name in fields}

    @classmethod
    def from_values(cls, values, *, prefix="policy_") -> "BillingPolicy":
        """An unsaved policy from the `prefix`-named entries of `values` (e.g. a `.values()` row
        annotated with `subqueries`); a missing policy row gives None there, hence the default."""
        return cls(**{name[len(prefix):]: value for name, value in values.items()
                      if name.startswith(prefix) and value is not None})

    @property
    def charge_retry_days(self) -> tuple[int, int, int]:
        return (self.charge_retry_1_days, self.charge_retry_2_days, self.charge_retry_3_days)

    @property
    def contract_reminder_days(self) -> tuple[int, int, int]:
        return (self.contract_reminder_1_days, self.contract_reminder_2_days,
                self.contract_reminder_3_days)
