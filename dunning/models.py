"""The dunning state of accounts (SPEC §6), written only by `dunning.services`.

The phase itself is never stored as the truth: it is a pure function of the seats' dates and the
policy (`seats.standing`), computed on every request. What is stored here is what the daily
sweep did about it, so that every side effect happens once:

- `RecordedPhase` / `SeatRecordedPhase`: the phase the sweep last recorded for an account (one
  row per account it has seen) and for a seat (a row only while the seat is not active);
- `PhaseTransition`: append-only history of recorded phase changes (the timeline, the funnel);
- `Notice`: one row per e-mail the dunning sends, unique per account, kind and reference (the
  date or document it is about), so that a notice is created once, and `sent_at` says it went;
- `SweepRun`: one row per run of the sweep (counts, duration, the dry run's report);
- `AccountTombstone`: what is kept of an unpaid trial account after its deletion;
- `RecurringCharge` / `RecurringAttempt`: the off-session renewal of an account with recurring
  card payments on, one per account and period, and each attempt to charge it.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from seats.phases import Phase


class RecordedPhase(models.Model):
    """The account's phase as the sweep last recorded it (`since`: the day it took effect) and
    whether its automations are paused (SPEC §6: while suspended). The live phase may already be
    different (a payment moved the dates): the next sweep records the change and its effects."""

    account = models.OneToOneField(
        "seats.Account", on_delete=models.CASCADE, primary_key=True,
        related_name="recorded_phase", verbose_name=_("account"),
    )
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    since = models.DateField(_("since"))
    automations_paused = models.BooleanField(_("automations paused"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("recorded phase")
        verbose_name_plural = _("recorded phases")
        constraints = [
            models.CheckConstraint(condition=Q(phase__in=Phase.values),
                                   name="recorded_phase_known"),
            models.CheckConstraint(
                condition=Q(automations_paused=False) | Q(phase=Phase.SUSPENDED),
                name="recorded_phase_paused_only_when_suspended"),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.phase} since {self.since}"


class SeatRecordedPhase(models.Model):
    """A seat's phase as last recorded, kept only while it is not active (no row = active), so
    the table grows with the expired seats, not with all of them."""

    seat = models.OneToOneField(
        "seats.Seat", on_delete=models.CASCADE, primary_key=True, related_name="recorded_phase",
        verbose_name=_("seat"),
    )
    account = models.ForeignKey(
        "seats.Account", on_delete=models.CASCADE, related_name="+", verbose_name=_("account"),
    )
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    since = models.DateField(_("since"))

    class Meta:
        verbose_name = _("recorded seat phase")
        verbose_name_plural = _("recorded seat phases")
        constraints = [
            models.CheckConstraint(
                condition=Q(phase__in=[Phase.GRACE, Phase.BLOCKED]),
                name="seat_recorded_phase_not_active"),
        ]

    def __str__(self):
        return f"seat {self.seat_id}: {self.phase} since {self.since}"


class PhaseTransition(models.Model):
    """One recorded change of phase of an account (`seat` empty) or of one seat, effective on
    `effective_on` (the day the new phase began: for the phases that follow expiry the day
    computed from `valid_until`, for a return to active the sweep's day). Append-only; unique per
    subject, new phase and effective day, so two sweeps cannot both write it."""

    account = models.ForeignKey(
        "seats.Account", on_delete=models.CASCADE, related_name="phase_transitions",
        verbose_name=_("account"),
    )
    seat = models.ForeignKey(
        "seats.Seat", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("seat"),
    )
    from_phase = models.CharField(_("from"), max_length=10, choices=Phase.choices)
    to_phase = models.CharField(_("to"), max_length=10, choices=Phase.choices)
    effective_on = models.DateField(_("effective on"), db_index=True)
    # the business date of the sweep that recorded it
    recorded_on = models.DateField(_("recorded on"))
    run = models.ForeignKey(
        "SweepRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="transitions",
        verbose_name=_("sweep run"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_on", "-id"]
        verbose_name = _("phase transition")
        verbose_name_plural = _("phase transitions")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "to_phase", "effective_on"], condition=Q(seat__isnull=True),
                name="phase_transition_account_once"),
            models.UniqueConstraint(
                fields=["seat", "to_phase", "effective_on"], condition=Q(seat__isnull=False),
                name="phase_transition_seat_once"),
        ]

    def __str__(self):
        subject = f"seat {self.seat_id}" if self.seat_id else f"account {self.account_id}"
        return f"{subject}: {self.from_phase} → {self.to_phase} on {self.effective_on}"


class NoticeKind(models.TextChoices):
    # labels in their own context: "suspended" here is the organisation, not a member's state
    EXPIRES_IN_7_DAYS = "expires_7", pgettext_lazy("notice kind", "7 days before expiry")
    EXPIRES_IN_1_DAY = "expires_1", pgettext_lazy("notice kind", "1 day before expiry")
    GRACE = "grace", pgettext_lazy("notice kind", "entered grace period")
    BLOCKED = "blocked", pgettext_lazy("notice kind", "blocked")
    SUSPENDED = "suspended", pgettext_lazy("notice kind", "suspended")
    TRIAL_ENDING = "trial_ending", pgettext_lazy("notice kind", "trial ends in 3 days")
    TRIAL_ENDED = "trial_ended", pgettext_lazy("notice kind", "trial ended")
    CONTRACT_OVERDUE = "contract_overdue", pgettext_lazy("notice kind", "overdue contract invoice")
    RECURRING_OFF = "recurring_off", pgettext_lazy("notice kind", "recurring payments turned off")
    RECURRING_DECLINED = "recurring_declined", pgettext_lazy("notice kind",
                                                             "recurring charge declined")
    RECURRING_AUTH = "recurring_auth", pgettext_lazy("notice kind",
                                                     "recurring charge needs the card holder")


class Notice(models.Model):
    """An e-mail the dunning sends to the account's admins, created once (unique per account,
    kind and `reference`: the `valid_until` or trial end it is about, or the invoice and the
    reminder step), sent after the sweep's transaction commits. `sent_at` empty = not sent yet:
    the next sweep sends it (a run that died between the two)."""

    account = models.ForeignKey(
        "seats.Account", on_delete=models.CASCADE, related_name="dunning_notices",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    reference = models.CharField(_("about"), max_length=60)
    # the date the notice is about (expiry, trial end, due date), for the e-mail's text
    about_date = models.DateField(_("date"))
    recipients = models.JSONField(_("recipients"), default=list)
    created_on = models.DateField(_("created on"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_on", "-id"]
        verbose_name = _("dunning notice")
        verbose_name_plural = _("dunning notices")
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "reference"],
                                    name="notice_once_per_account_kind_reference"),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.kind} ({self.reference})"


class SweepRun(models.Model):
    """One run of the dunning sweep for business date `as_of`."""

    as_of = models.DateField(_("as of"))
    dry_run = models.BooleanField(_("dry run"), default=False)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    accounts_changed = models.PositiveIntegerField(_("accounts changed"), default=0)
    seats_changed = models.PositiveIntegerField(_("seats changed"), default=0)
    notices_created = models.PositiveIntegerField(_("notices created"), default=0)
    notices_sent = models.PositiveIntegerField(_("notices sent"), default=0)
    trials_deleted = models.PositiveIntegerField(_("trial accounts deleted"), default=0)
    # the dry run's (or a run's) table of what it would change / changed, as text
    report = models.TextField(_("report"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")

    def __str__(self):
        return f"{self.as_of}{' (dry run)' if self.dry_run else ''} {self.started_at:%H:%M}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None


class AccountTombstone(models.Model):
    """What is kept, for audit, of an unpaid trial account deleted with its data (SPEC §6): no
    personal data, only what happened and how much was removed."""

    account_id_was = models.BigIntegerField(_("account id"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    created_at_was = models.DateTimeField(_("account created at"))
    trial_ended_on = models.DateField(_("trial ended on"))
    deleted_on = models.DateField(_("deleted on"))
    # {"members": 3, "seats": 3, "orders": 1, ...}: what the deletion removed
    removed = models.JSONField(_("removed"), default=dict)
    deleted_at = models.DateTimeField(_("deleted at"), auto_now_add=True)

    class Meta:
        ordering = ["-deleted_at"]
        verbose_name = _("deleted trial account")
        verbose_name_plural = _("deleted trial accounts")

    def __str__(self):
        return f"#{self.account_id_was} {self.name} (deleted {self.deleted_on})"


class RecurringChargeStatus(models.TextChoices):
    DUE = "due", _("to charge")
    AUTHENTICATION = "authentication", _("waiting for the card holder")
    SUCCEEDED = "succeeded", _("paid")
    FAILED = "failed", _("not paid, retries over")
    CANCELLED = "cancelled", _("cancelled")


class RecurringCharge(models.Model):
    """The recurring (off-session) renewal of an account for one billing period (SPEC §6
    "Recurring card payments"), written only by `dunning.services.recurring`.

    Invariants: one per account and period — `renews_from` is the account's validity end it
    extends (the period runs from the next day to `period_end`), unique with the account, so two
    workers cannot both create it; `attempts` ≤ 4 (the first charge and three retries);
    `next_attempt_on` is set only while the charge is due. `order` is the pending renewal order
    it charges (priced by the renewal quote); it is replaced only when that order expired or was
    cancelled unpaid (the order validity window is shorter than the retries), never while a
    payment of it is in flight or paid."""

    account = models.ForeignKey("seats.Account", on_delete=models.CASCADE,
                                related_name="recurring_charges", verbose_name=_("account"))
    renews_from = models.DateField(_("renews the validity ending on"))
    period_end = models.DateField(_("period end"))
    order = models.ForeignKey("plans.Order", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("order"))
    status = models.CharField(_("status"), max_length=16, choices=RecurringChargeStatus.choices,
                              default=RecurringChargeStatus.DUE)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    first_attempt_on = models.DateField(_("first attempt on"), null=True, blank=True)
    next_attempt_on = models.DateField(_("next attempt on"), null=True, blank=True,
                                       db_index=True)
    created_on = models.DateField(_("created on"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-renews_from", "-id"]
        verbose_name = _("recurring charge")
        verbose_name_plural = _("recurring charges")
        constraints = [
            models.UniqueConstraint(fields=["account", "renews_from"],
                                    name="recurring_charge_once_per_period"),
            models.CheckConstraint(condition=Q(attempts__lte=4),
                                   name="recurring_charge_at_most_4_attempts"),
            models.CheckConstraint(
                condition=Q(status="due") | Q(next_attempt_on__isnull=True),
                name="recurring_charge_next_only_when_due"),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.renews_from} → {self.period_end} ({self.status})"


class RecurringAttemptOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", _("paid")
    DECLINED = "declined", _("declined")
    REQUIRES_ACTION = "requires_action", _("needs the card holder")
    PENDING = "pending", _("processing")


class RecurringAttempt(models.Model):
    """One off-session charge of a `RecurringCharge` (number 1 = the first, 2–4 the retries),
    unique per charge and number: the number is in the Stripe idempotency key and in the
    PaymentIntent's metadata, so an attempt is made once. Append-only."""

    charge = models.ForeignKey(RecurringCharge, on_delete=models.CASCADE,
                               related_name="attempt_rows", verbose_name=_("charge"))
    number = models.PositiveSmallIntegerField(_("number"))
    attempted_on = models.DateField(_("attempted on"))
    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name=_("payment"))
    outcome = models.CharField(_("outcome"), max_length=16,
                               choices=RecurringAttemptOutcome.choices)
    # plain words from the bank's answer, empty unless declined
    decline_reason = models.CharField(_("decline reason"), max_length=255, blank=True)
    # the retry planned after it (None: none left, or not declined)
    next_attempt_on = models.DateField(_("next attempt on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["charge", "number"]
        verbose_name = _("recurring charge attempt")
        verbose_name_plural = _("recurring charge attempts")
        constraints = [
            models.UniqueConstraint(fields=["charge", "number"],
                                    name="recurring_attempt_once"),
        ]

    def __str__(self):
        return f"charge {self.charge_id} #{self.number}: {self.outcome}"
