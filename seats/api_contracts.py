"""REST API of contract accounts' seat counts (SPEC §3; issue 11), under /api/v1/:
`POST /accounts/{id}/contract/confirm-seats/` — the admin's "send the new seat count for
recurring billing".

Scoped like every /accounts/{id}/ view (`seats.api.AccountScopedApi`): 401 unauthenticated →
403 from the access decision → 404 for an account the requester cannot see (another tenant's)
→ 403 for a member who is not an admin. Refusals of the service (`DomainError`: not a contract
account, contract ended, fewer than 10 seats) are 400s in the project's error shape
`{"detail", "code"}`.
"""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from billing_site.api import error_responses, no_input
from billing_site.dates import today
from billing_site.inputs import StrictDateField, StrictIntegerField

from .api import AccountScopedApi
from .services.contracts import contract_seats_confirm


@extend_schema_serializer(component_name="ConfirmedSeatCount")
class ConfirmedSeatCountOutputSerializer(serializers.Serializer):
    count = StrictIntegerField(
        source="row.count",
        help_text="The seat count confirmed now: the account's seats (not removed) today.")
    confirmed_on = StrictDateField(
        source="row.confirmed_on",
        help_text="Business date of the confirmation; invoices of months starting on or after "
                  "it bill this count.")
    previous = StrictIntegerField(
        allow_null=True, help_text="The count confirmed before; null if there was none.")
    changed = serializers.BooleanField(
        help_text="False when the same count was confirmed again (it is still recorded).")


class ContractSeatsConfirmApi(AccountScopedApi):
    """Confirm the account's current seat count for recurring billing (contract accounts only):
    until confirmed, monthly contract invoices bill the count confirmed last. Admins of the
    account and staff."""

    @extend_schema(
        operation_id="contract_seats_confirm", tags=["accounts"], request=None,
        responses={201: ConfirmedSeatCountOutputSerializer,
                   **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id):
        account = self.get_account(account_id)
        no_input(request)
        confirmation = contract_seats_confirm(account=account, actor=request.user,
                                              as_of=today())
        return Response(ConfirmedSeatCountOutputSerializer(confirmation).data,
                        status=status.HTTP_201_CREATED)
