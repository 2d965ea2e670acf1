from django.contrib import admin

from .models import AccountAddOn, Order, PackageChange


@admin.register(AccountAddOn)
class AccountAddOnAdmin(admin.ModelAdmin):
    list_display = ["account", "addon", "packs"]
    list_filter = ["addon"]
    search_fields = ["account__name"]
    raw_id_fields = ["account"]


@admin.register(PackageChange)
class PackageChangeAdmin(admin.ModelAdmin):
    list_display = ["account", "from_package", "to_package", "effective_on", "actor"]
    list_filter = ["to_package", "effective_on"]
    search_fields = ["account__name"]
    raw_id_fields = ["account", "actor"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "account", "kind", "status", "currency", "net", "gross", "as_of",
                    "created_at"]
    list_filter = ["kind", "status", "currency"]
    search_fields = ["account__name", "id"]
    raw_id_fields = ["account", "created_by"]
    readonly_fields = ["quote"]


