"""Payments of orders, their application, and bank transfers booked by finance (SPEC §5).

Invariants (database constraints):
- an order has at most one online payment (card, BLIK, Przelewy24) in flight (pending or
  requiring action), at most one pending transfer (its pro-forma) and at most one payment that
  succeeded, so a second "pay" click reuses the attempt and money is taken once;
- a Stripe PaymentIntent belongs to one payment;
- an order is applied (seats extended, invoice issued) at most once: `OrderApplication.order` is
  unique, and the apply service creates it in the transaction that applies the order.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing_site.money import Currency


class PaymentMethod(models.TextChoices):
    CARD = "card", _("card")
    BLIK = "blik", _("BLIK")
    P24 = "p24", _("Przelewy24")
    TRANSFER = "transfer", _("bank transfer (pro-forma)")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    REQUIRES_ACTION = "requires_action", _("waiting for the card holder")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


IN_FLIGHT = [PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION]


class Payment(models.Model):
    """One attempt to pay an order: its gross amount in the order's currency (Decimal, 2 places),
    by `method`. Card/BLIK/P24 attempts carry their Stripe PaymentIntent; a transfer carries the
    pro-forma it paid and its booking."""

    account = models.ForeignKey("seats.Account", on_delete=models.PROTECT, related_name="payments",
                                verbose_name=_("account"))
    order = models.ForeignKey("plans.Order", on_delete=models.PROTECT, related_name="payments",
                              verbose_name=_("order"))
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    status = models.CharField(_("status"), max_length=16, choices=PaymentStatus.choices,
                              default=PaymentStatus.PENDING)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    stripe_payment_intent = models.CharField(_("Stripe PaymentIntent"), max_length=255,
                                             blank=True)
    # the PaymentIntent's client secret: the payer's page finishes 3-D Secure (or BLIK/P24) with it
    client_secret = models.CharField(_("client secret"), max_length=255, blank=True)
    # plain words for the payer ("The card was declined."), empty unless the attempt failed
    decline_reason = models.CharField(_("decline reason"), max_length=255, blank=True)
    proforma = models.ForeignKey("invoices.Document", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("pro-forma"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status__in=IN_FLIGHT) & ~Q(method="transfer"),
                name="payment_one_online_in_flight_per_order"),
            models.UniqueConstraint(
                fields=["order"], condition=Q(status__in=IN_FLIGHT) & Q(method="transfer"),
                name="payment_one_pending_transfer_per_order"),
            models.UniqueConstraint(fields=["order"], condition=Q(status="succeeded"),
                                    name="payment_one_succeeded_per_order"),
            models.UniqueConstraint(fields=["stripe_payment_intent"],
                                    condition=~Q(stripe_payment_intent=""),
                                    name="payment_intent_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_method_display()} {self.amount} {self.currency}"

    @property
    def refunded_total(self) -> Decimal:
        """What its refunds gave back (uses `prefetch_related("refunds")` when there)."""
        return sum((refund.amount for refund in self.refunds.all()), Decimal("0.00"))

    @property
    def refund_state(self) -> str:
        """"refunded" (nothing left to refund), "partly_refunded" or "" (no refund), from the
        total of its refunds; the pages show it instead of "succeeded"."""
        if self.pk is None:
            return ""
        refunded = self.refunded_total
        if refunded <= 0:
            return ""
        return "refunded" if refunded >= self.amount else "partly_refunded"


class StripeCustomer(models.Model):
    """The account's Stripe Customer, created once when a card is first saved for recurring
    (off-session) payments; saved cards are attached to it."""

    account = models.OneToOneField("seats.Account", on_delete=models.PROTECT,
                                   related_name="stripe_customer", verbose_name=_("account"))
    customer_id = models.CharField(_("Stripe customer"), max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("Stripe customer")
        verbose_name_plural = _("Stripe customers")

    def __str__(self):
        return self.customer_id


class SavedCard(models.Model):
    """The card an account keeps for off-session (recurring) charges, and whether recurring card
    payments are on (SPEC §6 "Recurring card payments"; §5 "enable recurring payments").

    One row per account: saving another card replaces it. `payment_method` is the Stripe
    PaymentMethod ("pm_…") attached to the account's `StripeCustomer`; brand, last four digits
    and expiry are copied from Stripe when it is saved, for the pages and the API (no card number
    is ever stored). Invariant: recurring payments can only be on for an account with a saved
    card — the row's existence is the card, `recurring` the switch. `recurring_changes` counts
    the switch's changes (each "off" notice is unique by it). Written only by
    `payments.services.cards`."""

    account = models.OneToOneField("seats.Account", on_delete=models.CASCADE,
                                   related_name="saved_card", verbose_name=_("account"))
    # the card is attached to this customer: it goes with it (an unpaid trial's purge)
    customer = models.ForeignKey(StripeCustomer, on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("Stripe customer"))
    payment_method = models.CharField(_("Stripe payment method"), max_length=255)
    brand = models.CharField(_("card brand"), max_length=30, blank=True)
    last4 = models.CharField(_("last four digits"), max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"), null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(_("expiry year"), null=True, blank=True)
    recurring = models.BooleanField(_("recurring payments"), default=False)
    recurring_changes = models.PositiveIntegerField(default=0,
                                                    verbose_name=_("recurring charge changes"))
    # business date of the last change of `recurring`
    recurring_changed_on = models.DateField(_("recurring changed on"), null=True, blank=True)
    saved_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        verbose_name = _("saved card")
        verbose_name_plural = _("saved cards")

    def __str__(self):
        return f"{self.brand} •••• {self.last4} ({'recurring' if self.recurring else 'kept'})"


class EventStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    SUCCEEDED = "succeeded", _("processed")
    FAILED = "failed", _("failed, will be retried")
    IGNORED = "ignored", _("not handled (event type)")


class StripeEvent(models.Model):
    """A webhook event from Stripe, stored once by its id (received → processed / failed /
    ignored) with the handler's error; a failed event is retried by a periodic job, never
    dropped. Handlers re-read the PaymentIntent from Stripe rather than trust the event's copy,
    so repeated and out-of-order events converge on Stripe's state."""

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    status = models.CharField(_("status"), max_length=10, choices=EventStatus.choices,
                              default=EventStatus.RECEIVED)
    payload = models.JSONField(_("payload"))
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received at"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed at"))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self):
        return f"{self.event_id} {self.type} ({self.status})"


class OrderApplication(models.Model):
    """The one application of a paid order: order marked paid, seats and add-on packs extended as
    quoted, VAT invoice issued. Unique per order: this row is what makes applying exactly-once."""

    order = models.OneToOneField("plans.Order", on_delete=models.PROTECT,
                                 related_name="application", verbose_name=_("order"))
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="application",
                                   verbose_name=_("payment"))
    invoice = models.ForeignKey("invoices.Document", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name=_("invoice"))
    applied_on = models.DateField(_("applied on"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("order application")
        verbose_name_plural = _("order applications")

    def __str__(self):
        return f"order #{self.order_id} applied on {self.applied_on}"


class RefundKind(models.TextChoices):
    STRIPE = "stripe", _("refunded through Stripe")
    BANK = "bank", _("bank transfer to the payer")


class Refund(models.Model):
    """Money given back for a payment (SPEC §7): all of it or part, with a reason. Card, BLIK and
    Przelewy24 payments are refunded through Stripe; transfers by a bank transfer to
    `bank_account`. `correction` is the corrective invoice issued for it; `full` when it gave
    back everything still paid (the seats the order added are then reverted)."""

    account = models.ForeignKey("seats.Account", on_delete=models.PROTECT, related_name="refunds",
                                verbose_name=_("account"))
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds",
                                verbose_name=_("payment"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    full = models.BooleanField(_("full refund"))
    reason = models.CharField(_("reason"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=RefundKind.choices)
    stripe_refund = models.CharField(_("Stripe refund"), max_length=255, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=64, blank=True)
    correction = models.ForeignKey("invoices.Document", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+",
                                   verbose_name=_("corrective invoice"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(fields=["payment"], condition=Q(full=True),
                                    name="refund_one_full_per_payment"),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} of payment #{self.payment_id}"


class TransferStatus(models.TextChoices):
    MATCHED = "matched", _("matched and applied")
    UNMATCHED = "unmatched", _("unmatched, for follow-up")


class TransferBooking(models.Model):
    """A bank transfer finance received, booked against an order (its pro-forma). A matched
    booking paid the order's gross exactly and carries the transfer payment; an amount that does
    not match is recorded as unmatched and applies nothing."""

    account = models.ForeignKey("seats.Account", on_delete=models.PROTECT,
                                related_name="transfer_bookings", verbose_name=_("account"))
    order = models.ForeignKey("plans.Order", on_delete=models.PROTECT,
                              related_name="transfer_bookings", verbose_name=_("order"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("transfer title / reference"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=TransferStatus.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="transfer_booking", verbose_name=_("payment"))
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name=_("booked by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("transfer booking")
        verbose_name_plural = _("transfer bookings")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="matched", payment__isnull=False)
                | Q(status="unmatched", payment__isnull=True),
                name="transfer_matched_has_payment"),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} → order #{self.order_id} ({self.status})"
