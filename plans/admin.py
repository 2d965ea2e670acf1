"""Admin of the per-account money state of the plans app. Orders, bought add-on packs and package
changes are written only by `plans.services`: the admin shows them read-only and changes an
order's status only through an action that calls `order_transition`."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from billing_site.admin_mixins import ReadOnlyAdminMixin
from billing_site.dates import today
from billing_site.errors import DomainError

from .models import AccountAddOn, Order, OrderStatus, OrderVoidReason, PackageChange
from .services import order_transition


@admin.register(AccountAddOn)
class AccountAddOnAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["account", "addon", "packs"]
    list_filter = ["addon"]
    search_fields = ["account__name"]


@admin.register(PackageChange)
class PackageChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["account", "from_package", "to_package", "effective_on", "actor"]
    list_filter = ["to_package", "effective_on"]
    search_fields = ["account__name"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "account", "kind", "status", "status_reason", "currency", "net",
                    "gross", "as_of", "valid_through", "created_at"]
    list_filter = ["kind", "status", "currency"]
    search_fields = ["account__name", "id"]
    actions = ["cancel_pending_orders"]

    def has_change_permission(self, request, obj=None):
        # the list and its actions need "change"; every field stays read-only (no save)
        return obj is None and request.user.has_perm("plans.change_order")

    @admin.action(description=_("Cancel the selected pending orders"), permissions=["change"])
    def cancel_pending_orders(self, request, queryset):
        for order in queryset:
            try:
                order_transition(order=order, to=OrderStatus.CANCELLED,
                                 reason=OrderVoidReason.STAFF, actor=request.user, as_of=today())
            except DomainError as exc:
                self.message_user(request, f"#{order.pk}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, _("Order #%(id)d cancelled.") % {"id": order.pk},
                                  messages.SUCCESS)
