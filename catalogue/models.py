"""The catalogue (SPEC §4–5): packages with prices per currency and entitlements, add-on products
and their limits per package, the discount ladder. Ops edit it in the admin; every other app reads
it. It sits below accounts and seats (an account has a package) and imports no other app.

The tables were created by the `plans` app and keep their names (`db_table`)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing_site.money import Currency


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
        return self.name


class PackagePrice(models.Model):
    """Monthly net price of one seat of a package in one currency (no FX conversion, SPEC §2)."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="prices")
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
        return self.name


class AddOnPrice(models.Model):
    addon = models.ForeignKey(AddOn, on_delete=models.CASCADE, related_name="prices")
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

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="addon_limits")
    addon = models.ForeignKey(AddOn, on_delete=models.CASCADE, related_name="package_limits")
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
