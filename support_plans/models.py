"""Support plans (SPEC §8), written only by `support_plans.services`.

- `SupportPlan`: a tier as data (the SPEC §8 table is seeded by migration 0002), editable in the
  admin. PREMIUM is an `individual` row: its terms are set by staff on the row (or on a copy of
  it per customer), and customers cannot order it (`orderable=False`).
- `SupportContract`: an account's contract for a plan: start, the minimum term's last day, one
  contact person (single point of contact), status, a scheduled plan change from the 1st of the
  next month and a scheduled end (`ends_on`, set by a cancellation).
- `ContractPlan`: append-only history of which plan a contract had from which day; the plan on a
  day is the latest row with `valid_from` on or before it (settling a past month reads it, after
  `contract.plan` has moved on).
- `Ticket`: a support request with its SLA deadline (`support_plans.sla`), first response and
  breached flag.
- `TimeEntry`: time spent for a contract, with the billable minutes and how many of them used
  the included hours and how many are billed over the bundle (fixed when the entry is added).
- `SupportSettlement`: one row per contract and month once it is settled (the invoice, or none
  when there was nothing to bill); unique, so a month is never invoiced twice.

Units: money is net PLN with 2 places; durations are whole minutes; datetimes are aware (stored
UTC, shown Europe/Warsaw); months are the `date` of their 1st; dates are inclusive business dates.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy


class EmailScope(models.TextChoices):
    BUGS = "bugs", _("bugs only")
    ALL = "all", _("all matters")


class SupportPlan(models.Model):
    """A support tier (SPEC §8). Times of day are Europe/Warsaw wall-clock times.

    Invariants: `workday_start` < `workday_end` unless `round_the_clock` (then the hours are
    ignored and every minute of a counted day counts); money is never negative; minute counts are
    whole minutes. `reaction_minutes` null = no guaranteed reaction (COMMUNITY)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    monthly_fee = models.DecimalField(_("monthly fee (net PLN)"), max_digits=10,
                                      decimal_places=2)
    # null = no minimum term (cancellation takes effect at the end of the current month)
    minimum_term_months = models.PositiveSmallIntegerField(
        _("minimum term (months)"), null=True, blank=True)
    hours_included = models.PositiveIntegerField(  # minutes of phone/remote/development a month
        _("included time (minutes a month)"), default=0)
    workday_start = models.TimeField(_("working day starts at"))
    workday_end = models.TimeField(_("working day ends at"))
    round_the_clock = models.BooleanField(_("round the clock (24 h)"), default=False)
    weekends = models.BooleanField(_("weekends count"), default=False)
    public_holidays = models.BooleanField(_("public holidays count"), default=False)
    # the clock also runs on weekends and public holidays, within the working-day hours, for
    # tickets flagged critical (STANDARD)
    critical_on_days_off = models.BooleanField(_("critical issues on days off"), default=False)
    reaction_minutes = models.PositiveIntegerField(  # working minutes; null = no guarantee
        _("guaranteed reaction (working minutes)"), null=True, blank=True)
    # minutes of guaranteed support a month (time entries of all channels, e-mail included);
    # past it, non-bug tickets get no deadline. null = not applicable
    monthly_limit_minutes = models.PositiveIntegerField(
        _("monthly guaranteed-support limit (minutes)"), null=True, blank=True)
    email_scope = models.CharField(_("e-mail support"), max_length=4, choices=EmailScope.choices,
                                   default=EmailScope.ALL)
    phone = models.BooleanField(_("phone support and consultations"), default=False)
    development = models.BooleanField(_("development work"), default=False)
    hourly_rate = models.DecimalField(_("hourly rate outside the bundle (net PLN)"),
                                      max_digits=10, decimal_places=2)
    individual = models.BooleanField(
        _("individual terms"), default=False,
        help_text=_("Terms agreed with one customer (PREMIUM); set by staff."))
    orderable = models.BooleanField(
        _("customers may order it"), default=True,
        help_text=_("Individual plans are ordered through staff."))

    class Meta:
        ordering = ["monthly_fee", "code"]
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")
        constraints = [
            models.CheckConstraint(condition=Q(monthly_fee__gte=0),
                                   name="support_plan_fee_not_negative"),
            models.CheckConstraint(condition=Q(hourly_rate__gte=0),
                                   name="support_plan_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(round_the_clock=True) | Q(workday_start__lt=F("workday_end")),
                name="support_plan_hours_ordered"),
            models.CheckConstraint(condition=Q(email_scope__in=EmailScope.values),
                                   name="support_plan_email_scope_known"),
            models.CheckConstraint(condition=Q(minimum_term_months__isnull=True)
                                   | Q(minimum_term_months__gte=1),
                                   name="support_plan_minimum_term_positive"),
            models.CheckConstraint(condition=Q(reaction_minutes__isnull=True)
                                   | Q(reaction_minutes__gte=1),
                                   name="support_plan_reaction_positive"),
        ]

    def __str__(self):
        # the seeded names are translated (PLAN_NAMES), in their own context: Django's catalogue
        # already has a plain "Email" (the form field) that is not a plan's name
        return pgettext("support plan", self.name)


# the names of the seeded tiers (migration 0002), for the translation catalogue
PLAN_NAMES = [pgettext_lazy("support plan", "Community"), pgettext_lazy("support plan", "Email"),
              pgettext_lazy("support plan", "Start"), pgettext_lazy("support plan", "Standard"),
              pgettext_lazy("support plan", "Premium")]


class ContractStatus(models.TextChoices):
    # running; may have `ends_on` set only when cancelled
    ACTIVE = "active", pgettext_lazy("support contract", "active")
    # notice given: runs through `ends_on` (inclusive), then ends
    CANCELLED = "cancelled", pgettext_lazy("support contract", "cancelled")
    # over: past `ends_on` (or cancelled before it started)
    ENDED = "ended", pgettext_lazy("support contract", "ended")


# the statuses of a running contract: at most one per account (database constraint)
RUNNING = [ContractStatus.ACTIVE, ContractStatus.CANCELLED]


class SupportContract(models.Model):
    """An account's support contract (SPEC §8).

    Invariants: at most one running (active or cancelled-with-notice) contract per account;
    `minimum_end` ≥ `start` (inclusive last day of the minimum term; null = none); `ends_on`
    (inclusive last day) is set exactly when the contract is cancelled or ended; `next_plan` and
    `next_plan_from` (always a 1st of a month) come together. The plan on a given day is read
    from `ContractPlan` (`plan_on`); `plan` is the plan now, `next_plan` the scheduled one."""

    account = models.ForeignKey("seats.Account", on_delete=models.CASCADE,
                                related_name="support_contracts", verbose_name=_("account"))
    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="contracts",
                             verbose_name=_("support plan"))
    start = models.DateField(_("start"))
    minimum_end = models.DateField(_("minimum term ends on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ContractStatus.choices,
                              default=ContractStatus.ACTIVE)
    contact = models.ForeignKey("seats.Member", on_delete=models.PROTECT,
                                related_name="support_contracts",
                                verbose_name=_("contact person"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    next_plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("next plan"))
    next_plan_from = models.DateField(_("next plan from"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("support contract")
        verbose_name_plural = _("support contracts")
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=Q(status__in=RUNNING),
                                    name="support_contract_one_running_per_account"),
            models.CheckConstraint(condition=Q(status__in=ContractStatus.values),
                                   name="support_contract_status_known"),
            models.CheckConstraint(
                condition=Q(minimum_end__isnull=True) | Q(minimum_end__gte=F("start")),
                name="support_contract_minimum_end_after_start"),
            models.CheckConstraint(
                condition=(Q(status=ContractStatus.ACTIVE) & Q(ends_on__isnull=True))
                | (~Q(status=ContractStatus.ACTIVE) & Q(ends_on__isnull=False)),
                name="support_contract_ends_on_when_not_active"),
            models.CheckConstraint(
                condition=(Q(next_plan__isnull=True) & Q(next_plan_from__isnull=True))
                | (Q(next_plan__isnull=False) & Q(next_plan_from__isnull=False)),
                name="support_contract_next_plan_complete"),
        ]

    def __str__(self):
        return f"{self.account} – {self.plan}"

    def runs_on(self, day) -> bool:
        """Whether `day` (business date) lies within the contract (start … ends_on)."""
        return self.start <= day and (self.ends_on is None or day <= self.ends_on)


class ContractPlan(models.Model):
    """Append-only: the contract has `plan` from `valid_from` (inclusive) until the next row."""

    contract = models.ForeignKey(SupportContract, on_delete=models.CASCADE,
                                 related_name="plan_history", verbose_name=_("support contract"))
    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("support plan"))
    valid_from = models.DateField(_("valid from"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["contract", "valid_from"]
        verbose_name = _("contract plan period")
        verbose_name_plural = _("contract plan periods")
        constraints = [
            models.UniqueConstraint(fields=["contract", "valid_from"],
                                    name="contract_plan_one_per_day"),
        ]

    def __str__(self):
        return f"{self.contract_id}: {self.plan} from {self.valid_from}"


class TicketChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("phone")
    PORTAL = "portal", _("portal")


class TicketKind(models.TextChoices):
    BUG = "bug", _("bug")
    CONFIGURATION = "configuration", _("configuration")
    OTHER = "other", pgettext_lazy("ticket kind", "other")


class Ticket(models.Model):
    """A support request. `deadline` is fixed when the ticket is opened (`sla.deadline` on the
    plan of the day it was received; null = no guarantee). `breached` is derived: set when the
    first response comes after the deadline, or by the sweep once the deadline has passed
    without one."""

    contract = models.ForeignKey(SupportContract, on_delete=models.PROTECT,
                                 related_name="tickets", verbose_name=_("support contract"))
    received_at = models.DateTimeField(_("received at"), db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=TicketChannel.choices)
    kind = models.CharField(_("kind"), max_length=15, choices=TicketKind.choices)
    critical = models.BooleanField(_("critical"), default=False)
    reporter = models.ForeignKey("seats.Member", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("reporter"))
    subject = models.CharField(_("subject"), max_length=200, blank=True, default="")
    deadline = models.DateTimeField(_("reaction deadline"), null=True, blank=True,
                                    db_index=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    breached = models.BooleanField(_("deadline breached"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=TicketChannel.values),
                                   name="ticket_channel_known"),
            models.CheckConstraint(condition=Q(kind__in=TicketKind.values),
                                   name="ticket_kind_known"),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True) | Q(deadline__gt=F("received_at")),
                name="ticket_deadline_after_received"),
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True)
                | Q(first_response_at__gte=F("received_at")),
                name="ticket_response_after_received"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}".strip()


class TimeChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("phone")
    REMOTE = "remote", _("remote help")
    DEVELOPMENT = "development", _("development work")


class TimeEntry(models.Model):
    """Time spent for a contract on `date` (business date). Fixed when added (in order of entry,
    under the contract's lock): `billable_minutes` (SPEC §8: minutes + 5 rounded up to 15 for
    phone, 30 for remote and development; 0 for e-mail), `included_minutes` (the part that used
    the month's included time) and `billed_minutes_over_bundle` (the rest, billed at the plan's
    hourly rate). Invariant: included + over = billable."""

    contract = models.ForeignKey(SupportContract, on_delete=models.PROTECT,
                                 related_name="time_entries", verbose_name=_("support contract"))
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="time_entries", verbose_name=_("ticket"))
    channel = models.CharField(_("channel"), max_length=12, choices=TimeChannel.choices)
    minutes = models.PositiveIntegerField(_("minutes"))
    date = models.DateField(_("date"), db_index=True)
    billable_minutes = models.PositiveIntegerField(_("billable minutes"))
    included_minutes = models.PositiveIntegerField(_("minutes from the included time"))
    billed_minutes_over_bundle = models.PositiveIntegerField(_("minutes billed over the bundle"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=TimeChannel.values),
                                   name="time_entry_channel_known"),
            models.CheckConstraint(condition=Q(minutes__gte=1) & Q(minutes__lte=1440),
                                   name="time_entry_minutes_in_a_day"),
            models.CheckConstraint(
                condition=Q(billable_minutes=F("included_minutes")
                            + F("billed_minutes_over_bundle")),
                name="time_entry_billable_split"),
        ]

    def __str__(self):
        return f"{self.date} {self.get_channel_display()} {self.minutes} min"


class SupportSettlement(models.Model):
    """The settlement of one contract for one month (`month`: its 1st): the VAT invoice issued
    for it, or none when there was nothing to bill. Written in the transaction that issues the
    invoice; unique per contract and month, so a month is settled once."""

    contract = models.ForeignKey(SupportContract, on_delete=models.PROTECT,
                                 related_name="settlements", verbose_name=_("support contract"))
    month = models.DateField(_("month"))
    document = models.OneToOneField("invoices.Document", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="support_settlement",
                                    verbose_name=_("invoice"))
    fee = models.DecimalField(_("plan fee (net PLN)"), max_digits=10, decimal_places=2,
                              default=0)
    overage_minutes = models.PositiveIntegerField(_("minutes over the bundle"), default=0)
    overage = models.DecimalField(_("overage (net PLN)"), max_digits=10, decimal_places=2,
                                  default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "contract"]
        verbose_name = _("support settlement")
        verbose_name_plural = _("support settlements")
        constraints = [
            models.UniqueConstraint(fields=["contract", "month"],
                                    name="support_settlement_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1),
                                   name="support_settlement_month_first_day"),
        ]

    def __str__(self):
        return f"{self.contract} {self.month:%Y-%m}"
