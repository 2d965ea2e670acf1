"""The catalogue (SPEC §4–5): packages with prices per currency and entitlements, add-on products,
the discount ladder; and per account: bought add-on packs, package changes and payable orders."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CURRENCIES = [("PLN", "PLN"), ("EUR", "EUR"), ("USD", "USD"), ("CZK", "CZK")]


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
        ordering = ["position", "code"]
        verbose_name = _("package")
        verbose_name_plural = _("packages")

    def __str__(self):
        return self.name


class PackagePrice(models.Model):
    """Monthly net price of one seat of a package in one currency (no FX conversion, SPEC §2)."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    monthly_price = models.DecimalField(
        _("monthly net price per seat"), max_digits=10, decimal_places=2,
        validators=[MinValueValidator(0)],
    )

    class Meta:
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
        ordering = ["code"]
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")

    def __str__(self):
        return self.name


class AddOnPrice(models.Model):
    addon = models.ForeignKey(AddOn, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    monthly_price = models.DecimalField(
        _("monthly net price per pack"), max_digits=10, decimal_places=2,
        validators=[MinValueValidator(0)],
    )

    class Meta:
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

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="addon_limits")
    addon = models.ForeignKey(AddOn, on_delete=models.CASCADE, related_name="package_limits")
    included = models.PositiveIntegerField(_("included units"))
    cap = models.PositiveIntegerField(_("maximum units that can be bought"))

    class Meta:
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
        ordering = ["min_months"]
        verbose_name = _("discount rung")
        verbose_name_plural = _("discount ladder")
        constraints = [
            models.CheckConstraint(condition=Q(percent__gte=0) & Q(percent__lte=100),
                                   name="discount_percent_range"),
        ]

    def __str__(self):
        return f"≥{self.min_months} m: {self.percent} %"


class AccountAddOn(models.Model):
    """Packs of an add-on an account has bought; renewed together with the seats."""

    account = models.ForeignKey("seats.Account", on_delete=models.CASCADE,
                                related_name="addons")
    addon = models.ForeignKey(AddOn, on_delete=models.PROTECT, related_name="+")
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
                                related_name="package_changes")
    from_package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="+")
    to_package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="+")
    effective_on = models.DateField(_("effective on"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

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


class Order(models.Model):
    """A payable order. It stores exactly what was quoted (`quote`, as JSON with string amounts),
    so that the payment applies exactly that; it is never recomputed."""

    account = models.ForeignKey("seats.Account", on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(_("kind"), max_length=10, choices=OrderKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices,
                              default=OrderStatus.PENDING)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
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
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(condition=Q(net__gte=0) & Q(vat__gte=0) & Q(gross__gte=0),
                                   name="order_amounts_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "paid", "cancelled", "expired"]),
                name="order_status_known"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.gross} {self.currency}"
