"""Per account: bought add-on packs, package changes and payable orders (SPEC §4–5). The catalogue
they refer to (packages, prices, add-ons, the discount ladder) is the `catalogue` app."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing_site.money import Currency


class AccountAddOn(models.Model):
    """Packs of an add-on an account has bought; renewed together with the seats."""

    account = models.ForeignKey("seats.Account", on_delete=models.CASCADE,
                                related_name="addons", verbose_name=_("account"))
    addon = models.ForeignKey("catalogue.AddOn", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("add-on"))
    packs = models.PositiveIntegerField(_("packs"), default=0)

    class Meta:
        verbose_name = _("account add-on")
        verbose_name_plural = _("account add-ons")
        constraints = [
            models.UniqueConstraint(fields=["account", "addon"], name="account_addon_unique"),
        ]

    def __str__(self):
        return f"{self.account} {self.addon.code} × {self.packs}"


class PackageChange(models.Model):
    """One applied package change (SPEC §4): at most one per calendar month, enforced by the
    service reading the latest row under the account lock."""

    account = models.ForeignKey("seats.Account", on_delete=models.CASCADE,
                                related_name="package_changes", verbose_name=_("account"))
    from_package = models.ForeignKey("catalogue.Package", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("from package"))
    to_package = models.ForeignKey("catalogue.Package", on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("to package"))
    effective_on = models.DateField(_("effective on"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("changed by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-effective_on", "-id"]
        verbose_name = _("package change")
        verbose_name_plural = _("package changes")

    def __str__(self):
        return f"{self.account}: {self.from_package.code} → {self.to_package.code}"


class OrderKind(models.TextChoices):
    RENEWAL = "renewal", _("renewal")
    ADDONS = "addons", _("add-on packs")


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("pending payment")
    PAID = "paid", _("paid")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")
    PARTLY_REFUNDED = "partly_refunded", _("partly refunded")
    REFUNDED = "refunded", _("refunded")


class OrderVoidReason(models.TextChoices):
    """Why a pending order stopped being payable (`plans.services.order_refresh`). The labels
    complete the sentence "This order can no longer be paid: …"."""

    EXPIRED = "expired", _("its validity window has ended")
    CURRENCY = "currency_changed", _("the account's currency has changed since it was quoted")
    VAT = "vat_changed", _("the VAT treatment of the invoice data has changed since it was "
                           "quoted")
    PACKAGE = "package_changed", _("the package has changed since it was quoted")
    SEATS = "seats_changed", _("the seats or their validity have changed since it was quoted")
    ADD_ONS = "add_ons_changed", _("the add-on packs have changed since it was quoted")
    STAFF = "cancelled_by_staff", _("our staff cancelled it")


class Order(models.Model):
    """A payable order. It stores exactly what was quoted (`quote`, as JSON with string amounts),
    so that the payment applies exactly that; it is never recomputed."""

    account = models.ForeignKey("seats.Account", on_delete=models.PROTECT, related_name="orders",
                                verbose_name=_("account"))
    kind = models.CharField(_("kind"), max_length=10, choices=OrderKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=OrderStatus.choices,
                              default=OrderStatus.PENDING)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    vat = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    gross = models.DecimalField(_("gross"), max_digits=12, decimal_places=2)
    quote = models.JSONField(_("quote"))
    as_of = models.DateField(_("quoted on"))
    # Last day the order can be paid (inclusive): quoted on + ORDER_VALIDITY_DAYS.
    valid_through = models.DateField(_("payable through"), null=True, blank=True)
    # What the quote was priced on (package, currency, VAT code, seats with their dates, add-on
    # packs): when the account's current state differs, the pending order is void.
    basis = models.JSONField(_("priced on"), default=dict, blank=True)
    # An OrderVoidReason value once a pending order was cancelled or expired by the rules.
    status_reason = models.CharField(_("status reason"), max_length=20, blank=True,
                                     choices=OrderVoidReason.choices)
    status_changed_on = models.DateField(_("status changed on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(condition=Q(net__gte=0) & Q(vat__gte=0) & Q(gross__gte=0),
                                   name="order_amounts_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "paid", "cancelled", "expired",
                                        "partly_refunded", "refunded"]),
                name="order_status_known"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.gross} {self.currency}"
