"""Admin of the catalogue: ops edit packages, prices, add-ons and the discount ladder here."""

from django.contrib import admin

from .models import AddOn, AddOnPrice, DiscountRung, Package, PackageAddOn, PackagePrice


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
