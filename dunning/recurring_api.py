"""REST API of recurring card payments (SPEC §6, issue 11), under /api/v1/.

`GET /api/v1/accounts/{id}/recurring/` → `{"enabled", "card": {"brand", "last4", "exp_month",
"exp_year"} | null, "billing_period", "next_charge_on"}`; `POST` the same URL with
`{"enabled": bool}` turns recurring payments on (a saved card is needed: 409
"no_saved_card" otherwise) or off (the admins get an e-mail with the validity end). The
account's admins and staff only (a manager or user 403, another tenant's account 404), like
every `/accounts/{id}/…` view; errors in the project's JSON shape (`billing_site.api`).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from billing_site.api import InputSerializer, error_responses
from billing_site.dates import today
from billing_site.inputs import StrictDateField, StrictIntegerField
from seats.api import AccountScopedApi

from .selectors import recurring_overview
from .services.recurring import recurring_payments_set


class StrictBooleanField(serializers.BooleanField):
    """Only JSON true or false: a switch that takes money must not read "yes", "0" or 1 as a
    choice (DRF's BooleanField accepts all of those)."""

    default_error_messages = {"invalid": _("Must be true or false (a JSON boolean).")}

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid")


@extend_schema_serializer(component_name="RecurringInput")
class RecurringInputSerializer(InputSerializer):
    enabled = StrictBooleanField(
        help_text="true: charge the saved card off-session for each renewal; false: stop.")


@extend_schema_serializer(component_name="SavedCard")
class SavedCardOutputSerializer(serializers.Serializer):
    brand = serializers.CharField(help_text="e.g. \"visa\".")
    last4 = serializers.CharField()
    exp_month = StrictIntegerField(allow_null=True, help_text="1–12.")
    exp_year = StrictIntegerField(allow_null=True, help_text="Four digits.")


@extend_schema_serializer(component_name="Recurring")
class RecurringOutputSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    card = SavedCardOutputSerializer(allow_null=True, help_text="The saved card, or null.")
    billing_period = serializers.ChoiceField(choices=["monthly", "annual"])
    next_charge_on = StrictDateField(
        allow_null=True, help_text="Business date (Europe/Warsaw) of the next charge; null when "
                                   "none is planned.")


class RecurringApi(AccountScopedApi):
    """Recurring card payments of one account: read, or switch on/off."""

    @extend_schema(operation_id="account_recurring", tags=["payments"],
                   responses={200: RecurringOutputSerializer,
                              **error_responses(401, 403, 404)})
    def get(self, request, account_id):
        account = self.get_account(account_id)
        return Response(RecurringOutputSerializer(
            recurring_overview(account=account, as_of=today())).data)

    @extend_schema(operation_id="account_recurring_set", tags=["payments"],
                   request=RecurringInputSerializer,
                   responses={200: RecurringOutputSerializer,
                              **error_responses(400, 401, 403, 404, 409)})
    def post(self, request, account_id):
        account = self.get_account(account_id)
        serializer = RecurringInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        as_of = today()
        recurring_payments_set(account=account, enabled=serializer.validated_data["enabled"],
                               actor=request.user, as_of=as_of)
        return Response(RecurringOutputSerializer(
            recurring_overview(account=account, as_of=as_of)).data)
