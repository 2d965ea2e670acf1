"""REST API of the invoice data (SPEC §7): GET/PUT /api/v1/accounts/{id}/billing-profile/.

Conventions of `seats.api`: the account is scoped to the requester (404) before the role check
(403: the account's admins and staff), the view checks the shape of the input only and calls
`invoices.services.profile.billing_profile_update`. Its `ProfileErrors` become a 400 with every
field at fault, in the shape of the input (`{"tax_id": [...], "ordering_party": {"name": [...]}}`).

PUT replaces the whole profile (creating it the first time); `ordering_party: null` (or leaving it
out) means none.
"""

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from billing_site.api import (
    ChoiceField,
    ErrorOutputSerializer,
    InputSerializer,
    error_responses,
)
from billing_site.dates import today
from billing_site.errors import DomainError
from seats.api import AccountScopedApi

from .models import BillingProfile, PartyKind, TaxIdStatus
from .services.profile import (
    BUYER_FIELDS,
    ORDERING_PARTY_FIELDS,
    ProfileErrors,
    billing_profile_update,
)

ORDERING_PREFIX = "ordering_party_"


class PartyKindField(ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=PartyKind.choices, **kwargs)


class PartyKindFieldExtension(OpenApiSerializerFieldExtension):
    """Documents PartyKindField as one named enum component, "PartyKindEnum", shared by input
    and output. Left to drf-spectacular it would be called "KindEnum" and clash (a warning, so
    `spectacular --fail-on-warn` fails) with the other "kind" choice fields (orders, documents)."""

    target_class = PartyKindField

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name="PartyKindEnum", type=ResolvedComponent.SCHEMA, object="PartyKindEnum",
            schema={"type": "string", "enum": list(PartyKind.values)},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


# --- output -------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="OrderingParty")
class OrderingPartySerializer(InputSerializer):
    """Input and output alike; blanks are reported by the service, on these field names."""

    name = serializers.CharField(max_length=200, allow_blank=True)
    street = serializers.CharField(max_length=200, allow_blank=True,
                                   help_text="Street and number.")
    postal_code = serializers.CharField(max_length=20, allow_blank=True)
    city = serializers.CharField(max_length=100, allow_blank=True)
    country = serializers.CharField(max_length=2, allow_blank=True,
                                    help_text="ISO 3166-1 alpha-2 country code.")
    tax_id = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                   help_text="Optional; a Polish NIP or an EU VAT id is checked "
                                             "for its format.")


@extend_schema_serializer(component_name="BillingProfile")
class BillingProfileOutputSerializer(serializers.Serializer):
    kind = PartyKindField(help_text="company, or person: a natural person (Poland only).")
    name = serializers.CharField()
    street = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 country code.")
    tax_id = serializers.CharField(
        help_text="Normalised: a Polish NIP as 10 digits, an EU VAT id with its prefix "
                  "(DE136695976); empty when none."
    )
    tax_id_status = serializers.ChoiceField(
        choices=TaxIdStatus.choices,
        help_text="VIES check of an EU VAT id: valid, invalid, or pending (VIES was unavailable; "
                  "re-checked automatically). n/a: no VIES check (no tax id, a Polish NIP, or a "
                  "buyer outside the EU).",
    )
    invoice_email = serializers.EmailField()
    ordering_party = OrderingPartySerializer(allow_null=True,
                                             help_text="A separate ordering party, or null.")

    def to_representation(self, profile):
        data = {field: getattr(profile, field) for field in BUYER_FIELDS}
        data["country"] = profile.country.code
        data["tax_id_status"] = profile.tax_id_status
        if profile.ordering_party_name:
            party = {f.removeprefix(ORDERING_PREFIX): getattr(profile, f)
                     for f in ORDERING_PARTY_FIELDS}
            party["country"] = profile.ordering_party_country.code
            data["ordering_party"] = party
        else:
            data["ordering_party"] = None
        return data


# --- the view -----------------------------------------------------------------------------------


def _nestederror_responses(errors: dict[str, list[str]]) -> dict:
    """The service's ordering_party_* errors under "ordering_party", like the input."""
    body, party = {}, {}
    for field, messages in errors.items():
        if field.startswith(ORDERING_PREFIX):
            party[field.removeprefix(ORDERING_PREFIX)] = messages
        else:
            body[field] = messages
    if party:
        body["ordering_party"] = party
    return body


class BillingProfileApi(AccountScopedApi):
    """GET: the account's invoice data. PUT: create or replace it. Admins of the account and
    staff."""

    @extend_schema_serializer(component_name="BillingProfileInput")
    class InputSerializer(InputSerializer):
        # shape only: the rules (required NIP, VAT format, VIES, person only in Poland, e-mail)
        # are the service's, reported on these same field names
        kind = PartyKindField(help_text="company, or person: a natural person (Poland only).")
        name = serializers.CharField(max_length=200, allow_blank=True)
        street = serializers.CharField(max_length=200, allow_blank=True,
                                       help_text="Street and number.")
        postal_code = serializers.CharField(max_length=20, allow_blank=True)
        city = serializers.CharField(max_length=100, allow_blank=True)
        country = serializers.CharField(max_length=2,
                                        help_text="ISO 3166-1 alpha-2 country code, e.g. PL.")
        tax_id = serializers.CharField(
            max_length=40, required=False, allow_blank=True, default="",
            help_text="Poland: NIP (required of companies). Other EU countries: VAT id, checked "
                      "in VIES (optional; without one Polish VAT applies). Elsewhere: optional.",
        )
        invoice_email = serializers.CharField(max_length=254, allow_blank=True)
        ordering_party = OrderingPartySerializer(required=False, allow_null=True, default=None)

    @extend_schema(
        operation_id="billing_profile_retrieve", tags=["invoice data"],
        description="The account's invoice data. 404 with code `no_invoice_data` before the "
                    "first PUT.",
        responses={200: BillingProfileOutputSerializer, **error_responses(401, 403),
                   404: OpenApiResponse(ErrorOutputSerializer,
                                        description="No such account, or no invoice data yet.")},
    )
    def get(self, request, account_id):
        account = self.get_account(account_id)
        profile = BillingProfile.objects.filter(account=account).first()
        if profile is None:
            raise DomainError(_("No invoice data yet."), code="no_invoice_data", status=404)
        return Response(BillingProfileOutputSerializer(profile).data)

    @extend_schema(
        operation_id="billing_profile_update", tags=["invoice data"], request=InputSerializer,
        description="Create or replace the invoice data. Applies to documents issued from now "
                    "on; the account's currency follows the country; a buyer-data correction of "
                    "the last VAT invoice is issued when buyer data changed. An EU VAT id is "
                    "checked in VIES: invalid → 400 on `tax_id`; VIES unavailable → saved with "
                    "`tax_id_status` pending and re-checked later.",
        responses={200: BillingProfileOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def put(self, request, account_id):
        account = self.get_account(account_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        party = data.pop("ordering_party") or {}
        data.update({field: party.get(field.removeprefix(ORDERING_PREFIX), "")
                     for field in ORDERING_PARTY_FIELDS})
        try:
            result = billing_profile_update(account=account, data=data, actor=request.user,
                                            as_of=today())
        except ProfileErrors as exc:
            raise ValidationError(_nestederror_responses(exc.errors)) from exc
        return Response(BillingProfileOutputSerializer(result.profile).data)


urlpatterns = [
    path("accounts/<int:account_id>/billing-profile/", BillingProfileApi.as_view(),
         name="api_billing_profile"),
]
