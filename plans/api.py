"""REST API of packages, renewal quotes, package changes, orders and the billing period
(SPEC §4–5, issue 3), under /api/v1/accounts/{id}/.

Same conventions as `seats.api`: views check the shape of the input, scope the account to the
requester (404) and then check the role (403) through `AccountScopedApi.get_account`, call one
service of `plans.services` / `plans.selectors` and return its result; refusals are the services'
`DomainError`s, mapped to JSON by `billing_site.api.exception_handler`.

The business date is today (Europe/Warsaw). Staff may pass `as_of` to see (or do) an operation as
it would be on another date; anyone else passing it is refused, so that a date in a request never
silently means something else than what was asked.

Quotes are returned exactly as `plans.services.quote_json` builds them (the same dict a pending
order stores and returns), so a quote and its order can never drift apart; their serializers only
document that shape.
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from billing_site.api import (
    ChoiceField,
    InputSerializer,
    as_of_allowed,
    business_date,
    error_responses,
)
from billing_site.dates import today
from billing_site.inputs import ASCII_MONTH, StrictDateField, StrictIntegerField
from billing_site.money import Currency
from seats import services as seat_services
from seats.api import AccountOutputSerializer, AccountScopedApi
from seats.models import Account, BillingPeriod
from seats.permissions import HasProductAccess, IsAccountAdmin

from . import services
from .models import OrderKind, OrderStatus, OrderVoidReason
from .selectors import account_entitlements, orders_of_account

MONTH_FORMAT_MESSAGE = gettext_lazy("Enter the target month as YYYY-MM.")


def _amount(help_text, **kwargs):
    """A money amount: a string with two decimals, e.g. "90.47"."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, help_text=help_text,
                                    **kwargs)


# --- output: the representations that are part of the API contract --------------------------------


@extend_schema_serializer(component_name="AddOnEntitlement")
class AddOnEntitlementOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    pack_size = StrictIntegerField(help_text="Units one pack adds per month.")
    included = StrictIntegerField(help_text="Units the package includes.")
    bought = StrictIntegerField(help_text="Units bought (packs × pack size).")
    packs = StrictIntegerField(help_text="Packs bought.")
    cap = StrictIntegerField(help_text="Most units the package allows, included ones too.")


@extend_schema_serializer(component_name="Entitlements")
class EntitlementsOutputSerializer(serializers.Serializer):
    package = serializers.CharField(help_text="Package code, e.g. base.")
    features = serializers.ListField(child=serializers.CharField(),
                                     help_text="Feature flags, e.g. automations.")
    seats = StrictIntegerField(help_text="Seats of the account (removed ones excluded).")
    storage_gb_per_seat = StrictIntegerField()
    storage_quota_gb = StrictIntegerField(help_text="seats × storage_gb_per_seat.")
    add_ons = AddOnEntitlementOutputSerializer(many=True)
    automations_paused = serializers.BooleanField(
        help_text="True while automations are paused (account suspended for non-payment)."
    )


@extend_schema_serializer(component_name="QuoteLine")
class QuoteLineOutputSerializer(serializers.Serializer):
    seat = StrictIntegerField(
        allow_null=True, help_text="Seat id; null for a seat added in this renewal and for "
                                   "add-on lines."
    )
    start = StrictDateField(help_text="First day charged.")
    end = StrictDateField(help_text="Last day charged (inclusive).")
    months = StrictIntegerField(help_text="Whole calendar months.")
    days = StrictIntegerField(help_text="Days of the partial month(s).")
    days_in_month = StrictIntegerField(
        allow_null=True, help_text="Days of that partial month; null when there is none."
    )
    partials = serializers.ListField(
        child=serializers.ListField(child=StrictIntegerField(), min_length=2,
                                    max_length=2),
        help_text="Each partial month covered, in date order, as [days covered, days in that "
                  "month]; `days`/`days_in_month` describe the first.",
    )
    unit_price = _amount("Monthly net price of one seat (or of one pack).")
    amount = _amount("Net amount of the line, rounded once.")
    add_on = serializers.CharField(required=False, help_text="Add-on lines only: its code.")
    packs = StrictIntegerField(required=False, help_text="Add-on lines only: packs.")


@extend_schema_serializer(component_name="RenewalQuote")
class QuoteOutputSerializer(serializers.Serializer):
    currency = serializers.ChoiceField(choices=Currency.choices)
    term_months = StrictIntegerField(help_text="Term the discount ladder is read at.")
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    lines = QuoteLineOutputSerializer(many=True, help_text="Seat lines, then add-on lines.")
    net_before_discount = _amount("Sum of the lines.")
    discount = _amount("Discount on the whole net.")
    net = _amount("Net after the discount.")
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2,
                                        help_text="VAT percent, e.g. 23.00; 0.00 outside the EU.")
    vat_code = serializers.ChoiceField(
        choices=["23", "reverse_charge", "np"],
        help_text="The VAT treatment, decided from the invoice data (SPEC §7): 23 % Polish VAT, "
                  "reverse charge (EU company, VAT id confirmed in VIES) or np. (outside the EU)."
    )
    vat_reason = serializers.CharField(
        help_text="Why that treatment applies: domestic, reverse_charge, vies_pending, "
                  "vies_invalid, eu_no_vat_id, eu_consumer, outside_eu or no_invoice_data."
    )
    vat_note = serializers.CharField(help_text="The reason in words.")
    vat = _amount("VAT on the net.")
    gross = _amount("net + vat.")
    valid_until = StrictDateField(help_text="Every seat's validity once paid.")


@extend_schema_serializer(component_name="OrderRequest")
class OrderRequestOutputSerializer(serializers.Serializer):
    until = serializers.CharField(required=False, help_text="Renewal orders: the target month.")
    add_seats = StrictIntegerField(required=False, help_text="Renewal orders.")
    add_ons = serializers.DictField(child=StrictIntegerField(),
                                    help_text="Add-on code → extra packs.")


@extend_schema_serializer(component_name="OrderQuote")
class OrderQuoteOutputSerializer(QuoteOutputSerializer):
    request = OrderRequestOutputSerializer(help_text="The request that was quoted.")


@extend_schema_serializer(component_name="Order")
class OrderOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    kind = serializers.ChoiceField(choices=OrderKind.choices)
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    currency = serializers.ChoiceField(choices=Currency.choices)
    net = _amount("Net after the discount.")
    vat = _amount("VAT.")
    gross = _amount("Amount to pay.")
    quote = serializers.SerializerMethodField(
        help_text="Exactly what was quoted (as the renewal-quote endpoint returns it) plus the "
                  "request; payment applies this, never a recomputation."
    )
    created = serializers.DateTimeField(source="created_at")
    valid_through = StrictDateField(
        allow_null=True, help_text="Last day a pending order can be paid (inclusive)."
    )
    status_reason = serializers.ChoiceField(
        choices=[("", "")] + OrderVoidReason.choices,
        help_text="Why a cancelled or expired order can no longer be paid (empty otherwise).",
    )
    status_reason_text = serializers.CharField(source="get_status_reason_display")

    @extend_schema_field(OrderQuoteOutputSerializer)
    def get_quote(self, order):
        # as stored, not re-rendered; only the VAT note speaks the request's language
        return services.localized_quote(order.quote)


@extend_schema_serializer(component_name="SeatValidityChange")
class SeatChangeOutputSerializer(serializers.Serializer):
    id = StrictIntegerField(source="seat_id")
    valid_until_before = StrictDateField()
    valid_until_after = StrictDateField()


@extend_schema_serializer(component_name="PackageChange")
class PackageChangeOutputSerializer(serializers.Serializer):
    package = serializers.CharField(source="package.code", help_text="The new package's code.")
    applied = serializers.BooleanField(help_text="False for a dry run (nothing changed).")
    effective = StrictDateField(help_text="The day the change takes effect.")
    seats = SeatChangeOutputSerializer(
        many=True, help_text="Every seat still valid on that day; expired seats do not move."
    )


# --- input --------------------------------------------------------------------------------------


class AsOfInputSerializer(InputSerializer):
    as_of = StrictDateField(
        required=False,
        help_text="Staff only: act as of this business date (default today), within "
                  "AS_OF_WINDOW_YEARS (5) years of today.")


class AddOnsField(serializers.DictField):
    """{add-on code: packs}; the service knows the codes and the limits."""

    def __init__(self, **kwargs):
        super().__init__(child=StrictIntegerField(), **kwargs)


@extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"},
                      "minProperties": 1})
class PacksToBuyField(AddOnsField):
    """{add-on code: packs} with at least one entry (drf-spectacular does not turn DictField's
    allow_empty=False into minProperties, so the schema is stated here)."""

    def __init__(self, **kwargs):
        super().__init__(
            allow_empty=False,
            error_messages={"empty": gettext_lazy("Choose at least one pack to buy.")}, **kwargs)


@extend_schema_serializer(component_name="RenewalQuoteInput")
class RenewalInputSerializer(AsOfInputSerializer):
    until = serializers.RegexField(
        ASCII_MONTH, trim_whitespace=False,  # "2027-01\n" is not a month
        help_text="Target month YYYY-MM: seats are extended to its last day. From the current "
                  "month (the month after the seats' validity when they are valid) to 36 months "
                  "after the later of this month and the validity's month; others are refused "
                  "(400).",
        error_messages={"invalid": MONTH_FORMAT_MESSAGE},
    )
    # the limits (0 … 500) and messages of the service, declared here too for the schema
    add_seats = StrictIntegerField(
        default=0, min_value=0, max_value=500,
        error_messages={
            "min_value": gettext_lazy("New seats must be a whole number, 0 or more."),
            "max_value": gettext_lazy("At most 500 new seats can be added at once.")},
        help_text="New free seats to add (0-500).")
    add_ons = AddOnsField(default=dict, help_text="Add-on code → extra packs to buy.")


def _renewal_args(request, data):
    return {"until": services.parse_target_month(data["until"]),
            "add_seats": data["add_seats"], "add_ons": data["add_ons"],
            "as_of": business_date(request, data)}


class IsBillingAdmin(IsAccountAdmin):
    """The package, renewals, orders and the billing period: the account's active admins and
    staff (SPEC §3), with a message that says so."""

    message = gettext_lazy(
        "Only administrators of this organisation can manage its package and payments."
    )


class BillingApi(AccountScopedApi):
    permission_classes = [IsAuthenticated, HasProductAccess, IsBillingAdmin]


# --- views --------------------------------------------------------------------------------------


class EntitlementsApi(AccountScopedApi):
    """What the account's package entitles it to; read by the product, so any active member."""

    permission_classes = [IsAuthenticated, HasProductAccess]
    billing_api = False  # not a billing operation: refused to an admin of a blocked account

    @extend_schema(
        operation_id="entitlements_retrieve", tags=["plans"],
        responses={200: EntitlementsOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, account_id):
        account = self.get_account(account_id)
        entitlements = account_entitlements(account, as_of=today())
        return Response(EntitlementsOutputSerializer(entitlements).data)


class RenewalQuoteApi(BillingApi):
    """Price extending every seat (plus new seats and add-on packs) to the end of a month."""

    @extend_schema(
        operation_id="renewal_quote", tags=["plans"], request=RenewalInputSerializer,
        responses={200: QuoteOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id):
        account = self.get_account(account_id)
        as_of_allowed(request, request.data)
        serializer = RenewalInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quote = services.renewal_quote(account=account,
                                       **_renewal_args(request, serializer.validated_data))
        return Response(services.quote_json(quote, account.currency))


class PackageChangeApi(BillingApi):
    """Change the package of every seat today, or preview it with `dry_run`."""

    billing_api = False  # changing the package is not paying (SPEC §6 billing pages)

    @extend_schema_serializer(component_name="PackageChangeInput")
    class InputSerializer(AsOfInputSerializer):
        package = serializers.CharField(help_text="Code of the new package.")
        dry_run = serializers.BooleanField(
            help_text="True: only show the new dates. False: apply the change."
        )

    @extend_schema(
        operation_id="package_change", tags=["plans"], request=InputSerializer,
        responses={200: PackageChangeOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id):
        account = self.get_account(account_id)
        as_of_allowed(request, request.data)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.package_change(
            account=account, package_code=data["package"], dry_run=data["dry_run"],
            actor=request.user, as_of=business_date(request, data),
        )
        return Response(PackageChangeOutputSerializer(result).data)


class OrderListApi(BillingApi):
    """The account's orders, newest first."""

    @extend_schema(
        operation_id="orders_list", tags=["orders"],
        responses={200: OrderOutputSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, account_id):
        account = self.get_account(account_id)
        services.orders_refresh(account=account, as_of=today())
        orders = orders_of_account(account)
        return Response(OrderOutputSerializer(orders, many=True).data)


class RenewalOrderCreateApi(BillingApi):
    """A pending renewal order holding exactly the quote for the same input."""

    @extend_schema(
        operation_id="orders_renewal_create", tags=["orders"], request=RenewalInputSerializer,
        responses={201: OrderOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id):
        account = self.get_account(account_id)
        as_of_allowed(request, request.data)
        serializer = RenewalInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.renewal_order_create(
            account=account, actor=request.user,
            **_renewal_args(request, serializer.validated_data),
        )
        return Response(OrderOutputSerializer(order).data, status=status.HTTP_201_CREATED)


class AddOnOrderCreateApi(BillingApi):
    """A pending order for add-on packs, priced pro rata to the account's validity end."""

    @extend_schema_serializer(component_name="AddOnOrderInput")
    class InputSerializer(AsOfInputSerializer):
        add_ons = PacksToBuyField(help_text="Add-on code → packs to buy; at least one.")

    @extend_schema(
        operation_id="orders_addons_create", tags=["orders"], request=InputSerializer,
        responses={201: OrderOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id):
        account = self.get_account(account_id)
        as_of_allowed(request, request.data)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = services.addon_order_create(
            account=account, add_ons=data["add_ons"], actor=request.user,
            as_of=business_date(request, data),
        )
        return Response(OrderOutputSerializer(order).data, status=status.HTTP_201_CREATED)


class BillingPeriodApi(BillingApi):
    """Monthly → annual is self-service for admins; annual → monthly is for staff only (403)."""

    @extend_schema_serializer(component_name="BillingPeriodInput")
    class InputSerializer(InputSerializer):
        billing_period = ChoiceField(choices=BillingPeriod.choices)

    @extend_schema(
        operation_id="billing_period_change", tags=["accounts"], request=InputSerializer,
        responses={200: AccountOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id):
        account = self.get_account(account_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = seat_services.billing_period_change(
            account=account, period=serializer.validated_data["billing_period"],
            actor=request.user, as_of=today(), by_staff=request.user.is_staff,
        )
        account = Account.objects.select_related("package").get(pk=account.pk)
        return Response(AccountOutputSerializer(account).data)
