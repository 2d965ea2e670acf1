"""REST API for accounts, seats and members (SPEC §3), under /api/v1/.

Views only check the shape of the input, scope every id to the requester, call a service
(`actor=request.user`, `as_of=today()`) and serialise the result; the rules live in
`seats.services`, whose `DomainError`s become 400s in `billing_site.api.exception_handler`.

Checks run in this order (see `seats.permissions`): authenticated (401) → the access decision
(403 with its reason) → the account among those the requester may see, then seats and members
among that account's (404, so another tenant's ids look exactly like ids that do not exist) →
the role on that account (403).

One view per operation, with its own input serializer, as in the HackSoft styleguide. Where the
contract puts two operations on one URL (list + create) they share a view class, because Django
routes a URL to one view; each method still has its own serializer and permissions.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_site.api import (
    InputSerializer,
    as_of_allowed,
    business_date,
    error_responses,
    no_input,
)
from billing_site.dates import today
from billing_site.inputs import StrictDateField, StrictIntegerField, lazy_text
from billing_site.money import Currency

from . import services
from .access import request_member
from .models import BillingPeriod, MemberRole, MemberState
from .permissions import HasProductAccess, IsAccountAdmin, IsStaff
from .phases import Phase
from .selectors import account_members, account_seats, account_status, accounts_visible_to

# --- output: the representations that are part of the API contract --------------------------------


@extend_schema_serializer(component_name="Account")
class AccountOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    package = serializers.CharField(source="package.code", help_text="Package code, e.g. base.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 country code.")
    currency = serializers.ChoiceField(choices=Currency.choices)
    trial = serializers.BooleanField(help_text="True while the account runs on its free trial.")
    trial_ends_on = StrictDateField(
        allow_null=True, help_text="Last day of the free trial (inclusive), if it had one."
    )
    billing_period = serializers.ChoiceField(choices=BillingPeriod.choices)


@extend_schema_serializer(component_name="Seat")
class SeatOutputSerializer(serializers.Serializer):
    id = StrictIntegerField(help_text="Database id: use it in the URLs.")
    number = StrictIntegerField(
        help_text="The seat's number within the account (1, 2, 3…), as the pages show it."
    )
    valid_until = StrictDateField(help_text="Last day the seat works (inclusive).")
    paid_through = StrictDateField(
        allow_null=True, help_text="Last day already paid; null for a seat never paid."
    )
    created = StrictDateField(source="created_on", help_text="Business date it was added.")
    member = StrictIntegerField(
        source="shown_member_id", allow_null=True,
        help_text="Id of the occupying member; null if free or reserved for an invitation.",
    )
    reserved_for_invitation = StrictIntegerField(
        source="held_by", allow_null=True, default=None,
        help_text="Id of the pending invitation the seat is reserved for (GET invitations), "
                  "whoever owns the invited address; null otherwise. A reserved seat is not "
                  "free: it cannot be assigned or removed until the invitation is cancelled.",
    )


@extend_schema_serializer(component_name="Member")
class MemberOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=MemberRole.choices)
    state = serializers.ChoiceField(choices=MemberState.choices)
    # reverse one-to-one: DRF returns None when the member occupies no seat
    seat = StrictIntegerField(
        source="seat.id", allow_null=True, help_text="Id of the occupied seat; null if none."
    )
    seat_number = StrictIntegerField(
        source="seat.number", allow_null=True,
        help_text="Number (within the account) of the occupied seat; null if none.",
    )


# --- scoping ------------------------------------------------------------------------------------


class AccountScopedApi(APIView):
    """Base of every /accounts/{account_id}/... view: admins of the account and staff only."""

    permission_classes = [IsAuthenticated, HasProductAccess, IsAccountAdmin]
    # the seats and members are among the billing pages a blocked admin still reaches (SPEC §6);
    # subclasses outside billing set it back to False
    billing_api = True

    def get_account(self, account_id):
        """The account, if the requester may see it (404 otherwise), then the role check (403).
        A member sees only their own account (`accounts_visible_to`): the one their member,
        read once per request, already carries."""
        user = self.request.user
        if user.is_staff:
            account = accounts_visible_to(user).filter(pk=account_id).first()
        else:
            member = request_member(self.request)
            account = (member.account if member is not None
                       and str(member.account_id) == str(account_id) else None)
        if account is None:
            raise NotFound()
        self.check_object_permissions(self.request, account)
        return account

    def get_seat(self, account, seat_id):
        # removed seats are found too, so removing one twice says so instead of "not found"
        seat = account_seats(account, include_removed=True).filter(pk=seat_id).first()
        if seat is None:
            raise NotFound()
        return seat

    def get_member(self, account, member_id):
        member = account_members(account).filter(pk=member_id).first()
        if member is None:
            raise NotFound()
        return member

    def member_response(self, account, member, status_code=status.HTTP_200_OK):
        member = account_members(account).get(pk=member.pk)  # re-read: the seat may have changed
        return Response(MemberOutputSerializer(member).data, status=status_code)


# --- accounts -----------------------------------------------------------------------------------


class AccountListCreateApi(APIView):
    """GET: the accounts the requester may see (a member: their own; staff: all).
    POST: create an account (staff only)."""

    billing_api = True

    @extend_schema_serializer(component_name="AccountCreateInput")
    class CreateInputSerializer(InputSerializer):
        name = serializers.CharField(max_length=200)
        package = serializers.CharField(help_text="Package code: base, automation, professional.")
        country = serializers.CharField(help_text="ISO 3166-1 alpha-2 country code, e.g. PL.")
        trial = serializers.BooleanField(
            default=True, help_text="Start with the free trial (default). False: no trial."
        )

    def get_permissions(self):
        permissions = [IsAuthenticated(), HasProductAccess()]
        if self.request.method == "POST":
            permissions.append(IsStaff())
        return permissions

    @extend_schema(
        operation_id="accounts_list", tags=["accounts"],
        responses={200: AccountOutputSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        accounts = accounts_visible_to(request.user).order_by("name", "id")
        return Response(AccountOutputSerializer(accounts, many=True).data)

    @extend_schema(
        operation_id="accounts_create", tags=["accounts"], request=CreateInputSerializer,
        responses={201: AccountOutputSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        serializer = self.CreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = services.account_create(
            name=data["name"], package_code=data["package"], country=data["country"],
            trial=data["trial"], actor=request.user, as_of=today(),
        )
        return Response(AccountOutputSerializer(account).data, status=status.HTTP_201_CREATED)


@extend_schema_serializer(component_name="SeatStatus")
class SeatStatusOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    number = StrictIntegerField(help_text="The seat's number within the account.")
    phase = serializers.ChoiceField(choices=Phase.choices)
    valid_until = StrictDateField(help_text="Last day the seat works (inclusive).")


@extend_schema_serializer(component_name="AccountStatus")
class AccountStatusOutputSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(
        choices=Phase.choices,
        help_text="SPEC §6: active, grace (days 1–7 after expiry), blocked (8–14, an unpaid "
                  "trial that ended, or blocked by finance), suspended (15+).")
    days_overdue = StrictIntegerField(
        help_text="Days since the account's validity (or its unpaid trial) ended; 0 while valid.")
    valid_until = StrictDateField(
        allow_null=True, help_text="The latest seat's last valid day (inclusive).")
    automations_paused = serializers.BooleanField(
        help_text="True while the account is suspended: its automations must not run.")
    trial_ends_on = StrictDateField(
        allow_null=True, help_text="Last day of the unpaid free trial; null once paid or without.")
    seats = SeatStatusOutputSerializer(many=True)


class AccountStatusApi(AccountScopedApi):
    """Where the account stands today (or, for staff, `?as_of=YYYY-MM-DD`): polled by the
    product's other services. Any active member of the account (even one whose seat is blocked:
    this is how the product learns it) and staff. A constant number of queries."""

    permission_classes = [IsAuthenticated]

    class QuerySerializer(serializers.Serializer):
        as_of = StrictDateField(
            required=False,
            help_text="Staff only: the business date to report for.")

    @extend_schema(
        operation_id="account_status", tags=["accounts"],
        parameters=[QuerySerializer],
        responses={200: AccountStatusOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, account_id):
        account = accounts_visible_to(request.user)
        if not request.user.is_staff:
            account = account.filter(members__user=request.user,
                                     members__state=MemberState.ACTIVE)
        account = account.filter(pk=account_id).first()
        if account is None:
            raise NotFound()
        as_of_allowed(request, request.query_params)
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = business_date(request, query.validated_data)
        return Response(AccountStatusOutputSerializer(account_status(account, as_of)).data)


class AccountDetailApi(AccountScopedApi):
    """One account: any active member of it, and staff."""

    permission_classes = [IsAuthenticated, HasProductAccess]

    @extend_schema(
        operation_id="accounts_retrieve", tags=["accounts"],
        responses={200: AccountOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, account_id):
        return Response(AccountOutputSerializer(self.get_account(account_id)).data)


# --- seats --------------------------------------------------------------------------------------


class SeatListAddApi(AccountScopedApi):
    """GET: the account's seats (removed ones excluded). POST: add `count` free seats."""

    @extend_schema_serializer(component_name="SeatsAddInput")
    class AddInputSerializer(InputSerializer):
        # the service's limits and messages, declared here too so that the schema shows them
        count = StrictIntegerField(
            min_value=1, max_value=services.MAX_SEATS_PER_REQUEST,
            error_messages={"min_value": gettext_lazy("Add at least one seat."),
                            "max_value": lazy_text(
                                lambda: _("At most %(max)d seats can be added at once.")
                                % {"max": services.MAX_SEATS_PER_REQUEST})},
            help_text="How many free seats to add (1-500; during the free trial at most as many "
                      "as keep the account within the trial's seat cap).")

    @extend_schema(
        operation_id="seats_list", tags=["seats"],
        responses={200: SeatOutputSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, account_id):
        account = self.get_account(account_id)
        return Response(SeatOutputSerializer(account_seats(account), many=True).data)

    @extend_schema(
        operation_id="seats_add", tags=["seats"], request=AddInputSerializer,
        responses={201: SeatOutputSerializer(many=True),
                   **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id):
        account = self.get_account(account_id)
        serializer = self.AddInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        seats = services.seats_add(
            account=account, count=serializer.validated_data["count"], actor=request.user,
            as_of=today(),
        )
        return Response(SeatOutputSerializer(seats, many=True).data, status=status.HTTP_201_CREATED)


class SeatRemoveApi(AccountScopedApi):
    """Remove a free seat. An occupied seat is refused (400): release its member first."""

    @extend_schema(
        operation_id="seats_remove", tags=["seats"], request=None,
        responses={204: None, **error_responses(400, 401, 403, 404, 409)},
    )
    def delete(self, request, account_id, seat_id):
        account = self.get_account(account_id)
        seat = self.get_seat(account, seat_id)
        no_input(request)
        services.seat_remove(account=account, seat=seat, actor=request.user, as_of=today())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SeatAssignApi(AccountScopedApi):
    """Give this free seat to an active member of the account who has no seat."""

    @extend_schema_serializer(component_name="SeatAssignInput")
    class InputSerializer(InputSerializer):
        member = StrictIntegerField(help_text="Id of a member of this account.")

    @extend_schema(
        operation_id="seats_assign", tags=["seats"], request=InputSerializer,
        responses={200: SeatOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id, seat_id):
        account = self.get_account(account_id)
        seat = self.get_seat(account, seat_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member_id = serializer.validated_data["member"]
        # an id from the body is input, not a URL: unknown here (another tenant's included) is a
        # field error, worded the same whether or not the id exists elsewhere
        member = account_members(account).filter(pk=member_id).first()
        if member is None:
            raise ValidationError(
                {"member": [_("There is no member #%(id)d in this organisation.")
                            % {"id": member_id}]}
            )
        seat = services.seat_assign(
            account=account, seat=seat, member=member, actor=request.user, as_of=today()
        )
        return Response(SeatOutputSerializer(seat).data)
