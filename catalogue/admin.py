"""Admin of the catalogue: ops edit packages, prices, add-ons, the discount ladder and the billing
policy here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    AddOn,
    AddOnPrice,
    BillingPolicy,
    DiscountRung,
    Package,
    PackageAddOn,
    PackagePrice,
)


class PackagePriceInline(admin.TabularInline):
    model = PackagePrice
    extra = 0


class PackageAddOnInline(admin.TabularInline):
    model = PackageAddOn
    extra = 0


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active", "storage_gb_per_seat", "position"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    inlines = [PackagePriceInline, PackageAddOnInline]


class AddOnPriceInline(admin.TabularInline):
    model = AddOnPrice
    extra = 0


@admin.register(AddOn)
class AddOnAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "pack_size", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    inlines = [AddOnPriceInline]


@admin.register(DiscountRung)
class DiscountRungAdmin(admin.ModelAdmin):
    list_display = ["min_months", "percent"]


@admin.register(PackagePrice)
class PackagePriceAdmin(admin.ModelAdmin):
    list_display = ["package", "currency", "monthly_price"]
    list_filter = ["currency", "package"]
    search_fields = ["package__code", "package__name"]


@admin.register(AddOnPrice)
class AddOnPriceAdmin(admin.ModelAdmin):
    list_display = ["addon", "currency", "monthly_price"]
    list_filter = ["currency", "addon"]
    search_fields = ["addon__code", "addon__name"]


@admin.register(PackageAddOn)
class PackageAddOnAdmin(admin.ModelAdmin):
    list_display = ["package", "addon", "included", "cap"]
    list_filter = ["package", "addon"]
    search_fields = ["package__code", "addon__code"]


@admin.register(BillingPolicy)
class BillingPolicyAdmin(admin.ModelAdmin):
    """The one policy row: edited, never added twice nor deleted. Ranges and ordering are the
    model's constraints, checked by the form before saving."""

    list_display = ["__str__", "grace_days", "blocked_through_day", "renewal_paid_grace_days",
                    "trial_days", "updated_at"]

    fieldsets = [
        (_("Access after expiry"),
         {"fields": ["banner_lead_days", "grace_days", "blocked_through_day"]}),
        (_("Renewals"), {"fields": ["renewal_paid_grace_days"]}),
        (_("Free trial"), {"fields": ["trial_days", "trial_deletion_days", "trial_max_seats"]}),
        (_("Recurring card payments"),
         {"fields": ["recurring_charge_lead_days", "charge_retry_1_days", "charge_retry_2_days",
                     "charge_retry_3_days"]}),
        (_("Contract accounts"),
         {"fields": ["contract_payment_days", "contract_reminder_1_days",
                     "contract_reminder_2_days", "contract_reminder_3_days"]}),
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not BillingPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
