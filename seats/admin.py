from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from billing_site.admin_mixins import ReadOnlyAdminMixin
from billing_site.authentication import token_expires_at
from billing_site.dates import today
from billing_site.errors import DomainError

from .models import (
    AccessHold,
    Account,
    AuditEntry,
    ConfirmedSeatCount,
    Invitation,
    Member,
    PurgePermit,
    Seat,
    SeatPeriod,
)
from .services import api_token_revoke, billing_period_change, key_prefix


class SeatInline(admin.TabularInline):
    model = Seat
    fk_name = "account"
    extra = 0
    fields = ["valid_until", "paid_through", "created_on", "member", "removed_on"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "package", "country", "currency", "billing_period", "trial",
                    "trial_ends_on", "created_at"]
    list_filter = ["package", "currency", "country", "trial", "billing_period"]
    search_fields = ["name", "members__user__email"]
    inlines = [SeatInline]
    actions = ["switch_to_monthly_billing", "switch_to_annual_billing"]
    # the package changes through plans' package change (converting validity, once a month),
    # the billing period through the actions below, country and currency with the invoice data
    readonly_fields = ["package", "country", "currency", "billing_period", "trial",
                       "trial_ends_on", "created_at"]

    def _switch(self, request, queryset, period):
        for account in queryset:
            try:
                billing_period_change(account=account, period=period, actor=request.user,
                                      as_of=today(), by_staff=True)
            except DomainError as exc:
                self.message_user(request, f"{account}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"{account}: {period}", messages.SUCCESS)

    @admin.action(description=_("Switch to monthly billing (staff only)"),
                  permissions=["change"])
    def switch_to_monthly_billing(self, request, queryset):
        self._switch(request, queryset, "monthly")

    @admin.action(description=_("Switch to annual billing"), permissions=["change"])
    def switch_to_annual_billing(self, request, queryset):
        self._switch(request, queryset, "annual")


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "state", "pending_state", "pending_on",
                    "email_confirmed"]
    list_filter = ["role", "state", "pending_state", "email_confirmed"]
    search_fields = ["user__email", "account__name"]
    list_select_related = ["user", "account"]
    raw_id_fields = ["user", "account"]


class SeatPeriodInline(admin.TabularInline):
    """The seat's validity ledger, read-only: only seats.services.ledger appends rows."""

    model = SeatPeriod
    fk_name = "seat"
    extra = 0
    fields = ["id", "first_day", "last_day", "paid", "cause", "order_id", "reverses",
              "actor_label", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    """Validity is money state: shown read-only here, written only by seats.services.ledger (a
    cache of the seat's periods, listed below it)."""

    list_display = ["id", "account", "valid_until", "paid_through", "created_on", "member",
                    "removed_on"]
    list_filter = ["valid_until", "removed_on", "account__package"]
    search_fields = ["account__name", "member__user__email"]
    list_select_related = ["account", "member__user"]
    raw_id_fields = ["account", "member"]
    # every field is money or membership state written by the services (removal and occupancy
    # go through seats_remove / member_* with their rules and audit rows)
    readonly_fields = ["account", "valid_until", "paid_through", "created_on", "member",
                       "removed_on"]
    date_hierarchy = "valid_until"
    inlines = [SeatPeriodInline]

    def has_add_permission(self, request):
        return False  # seats are added by the services, each with its first period


@admin.register(SeatPeriod)
class SeatPeriodAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the ledger is append-only."""

    list_display = ["id", "account", "seat", "first_day", "last_day", "paid", "cause",
                    "order_id", "reverses", "actor_label", "created_at"]
    list_filter = ["cause", "paid"]
    search_fields = ["account__name", "=order_id", "=seat__id"]
    list_select_related = ["account", "seat"]
    date_hierarchy = "created_at"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = ["at", "actor_label", "action", "account", "target_type", "target_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_label", "account__name", "action"]
    date_hierarchy = "at"


@admin.register(AccessHold)
class AccessHoldAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Finance places and lifts holds on its contracts page (through the services, with an
    audit row); here they are only read."""

    list_display = ["account", "reason", "placed_at", "placed_by", "lifted_at", "lifted_by"]
    list_filter = [("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["account__name", "reason"]
    list_select_related = ["account", "placed_by", "lifted_by"]


@admin.register(ConfirmedSeatCount)
class ConfirmedSeatCountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The contract accounts' confirmed seat counts (issue 11), read-only: written by
    `contract_set` (the first) and the admin's confirmation (`contract_seats_confirm`)."""

    list_display = ["account", "count", "confirmed_on", "confirmed_by", "created_at"]
    list_select_related = ["account", "confirmed_by"]
    search_fields = ["account__name"]
    date_hierarchy = "confirmed_on"


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Invitations (issues 12/13), read-only: written by `member_invite` and the admins' re-send
    and cancel (`seats.services.invitations`)."""

    list_display = ["email", "account", "role", "status", "invited_on", "sent_on", "member"]
    list_filter = ["status", "role"]
    list_select_related = ["account", "member__user"]
    search_fields = ["email", "account__name"]
    date_hierarchy = "invited_on"


@admin.register(PurgePermit)
class PurgePermitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Always empty outside a running trial deletion (a permit never outlives its transaction);
    listed so that ops can see that it is."""

    list_display = ["account_id"]


# API tokens (rest_framework.authtoken): ops list and revoke them; the full key is not shown
# and nobody makes a token for someone else (the owner makes their own on the API tokens page).
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    list_display = ["shown_key", "user", "created", "expires"]
    fields = ["user", "shown_key", "created", "expires"]
    readonly_fields = fields

    @admin.display(description=_("key (first characters)"))
    def shown_key(self, token):
        return key_prefix(token.key) + "…"

    @admin.display(description=_("expires"))
    def expires(self, token):
        return token_expires_at(token) or _("never")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        api_token_revoke(user=obj.user, actor=request.user)

    def delete_queryset(self, request, queryset):
        for token in queryset.select_related("user"):
            api_token_revoke(user=token.user, actor=request.user)

from . import admin_axes  # noqa: E402,F401  (replaces axes' admin lists: issues 12/13 item 5)
