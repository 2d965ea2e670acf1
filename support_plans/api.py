"""REST API of support plans (SPEC §8; issue 14), under /api/v1/support/:

- `POST tickets/{id}/respond/`: record the first response (support staff);
- `POST tickets/`: open a ticket — support staff (group "support"), or the contract's contact
  person for their own account's contract; `received_at` (default now) only staff may set;
- `GET queue/`: the open tickets, nearest deadline first, with working minutes left (support
  staff), filters `plan`, `kind`, `breached`;
- `POST time-entries/`: time spent for a contract (support staff);
- `POST contracts/`: order a plan for an account (staff, or an admin of that account).

Conventions of `seats.api`: authenticated (401) → the access decision (403) → the contract or
account among those the requester may see (404: another tenant's ids look like ids that do not
exist) → the role (403). Refusals of the services are `DomainError`s: 400 with `{"detail",
"code", "<field>": [...]}` (409 for a state conflict), nothing written. Datetimes are ISO 8601,
answered in Europe/Warsaw.
"""

from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_site.api import ChoiceField, InputSerializer, error_responses
from billing_site.dates import today
from billing_site.errors import DomainError
from billing_site.inputs import JsonIntegerField, StrictDateField, StrictIntegerField, TextField
from seats.models import Member
from seats.permissions import HasProductAccess, IsAccountAdmin
from seats.selectors import accounts_visible_to

from . import selectors, services
from .models import (
    ContractStatus,
    SupportContract,
    SupportPlan,
    Ticket,
    TicketChannel,
    TicketKind,
    TimeChannel,
)
from .permissions import IsSupportStaff, is_support_staff

WARSAW = ZoneInfo("Europe/Warsaw")


class WarsawDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime; input without an offset is read in Europe/Warsaw, output is always
    in Europe/Warsaw with its offset ("2026-12-07T16:00:00+01:00"). Digits must be ASCII."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", WARSAW)
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and not value.isascii():
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+HH:MM]")
        return super().to_internal_value(value)

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(WARSAW).isoformat()


def _visible_contract(user, contract_id) -> SupportContract:
    """The contract, if the requester may see it: support staff and other staff any; a member
    only their own account's. 404 otherwise (never revealing another tenant's contract)."""
    contracts = SupportContract.objects.select_related("account", "plan", "contact__user")
    if not (user.is_staff or user.is_superuser):
        contracts = contracts.filter(account__members__user=user)
    contract = contracts.filter(pk=contract_id).first()
    if contract is None:
        raise NotFound()
    return contract


def _member_of(account, member_id, *, field) -> Member:
    """The member `member_id` of `account`; a 400 on `field` for an id of no member of it (of
    another organisation, or none)."""
    member = Member.objects.select_related("user").filter(pk=member_id, account=account).first()
    if member is None:
        if field == "contact":
            raise DomainError(_("The contact person must be an active member of this account."),
                              field=field, code="contact_not_member")
        raise DomainError(_("There is no such member in this organisation."), field=field,
                          code="member_unknown")
    return member


# --- tickets ------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="SupportTicket")
class TicketOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    contract = StrictIntegerField(source="contract_id")
    received_at = WarsawDateTimeField()
    channel = serializers.ChoiceField(choices=TicketChannel.choices)
    kind = serializers.ChoiceField(choices=TicketKind.choices)
    critical = serializers.BooleanField()
    reporter = StrictIntegerField(source="reporter_id", help_text="Member id of the reporter.")
    subject = serializers.CharField()
    deadline = WarsawDateTimeField(
        allow_null=True,
        help_text="Reaction deadline (Europe/Warsaw); null: no guaranteed reaction (the plan "
                  "has none, or a non-bug ticket past the monthly limit).")
    first_response_at = WarsawDateTimeField(allow_null=True)
    breached = serializers.BooleanField()


class TicketCreateApi(APIView):
    """Open a ticket for a support contract. Support staff may file for any contract and set
    `received_at` (a ticket received earlier by e-mail or phone); a customer files for their own
    account's contract, and only its contact person may (SPEC §8: single point of contact)."""

    permission_classes = [IsAuthenticated, HasProductAccess]

    @extend_schema_serializer(component_name="SupportTicketInput")
    class InputSerializer(InputSerializer):
        contract = JsonIntegerField(min_value=1, max_value=2**63 - 1)
        received_at = WarsawDateTimeField(
            required=False,
            help_text="When the ticket was received (staff only; default now). Without an "
                      "offset it is read in Europe/Warsaw.")
        channel = ChoiceField(choices=TicketChannel.choices)
        kind = ChoiceField(choices=TicketKind.choices)
        reporter = JsonIntegerField(
            required=False, min_value=1, max_value=2**63 - 1,
            help_text="Member id of the reporter: the contract's contact person (default: the "
                      "caller's own membership).")
        subject = TextField(required=False, allow_blank=True, max_length=200, default="")
        critical = serializers.BooleanField(
            required=False, default=False,
            help_text="A critical issue: on plans with critical issues on days off (STANDARD) "
                      "the reaction time also runs on weekends and holidays.")

    @extend_schema(
        operation_id="support_tickets_create", tags=["support"], request=InputSerializer,
        responses={201: TicketOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        support = is_support_staff(user)
        if user.is_staff and not support:  # other vendor staff do not file tickets
            raise DomainError(IsSupportStaff.message, code=IsSupportStaff.code, status=403)
        contract = _visible_contract(user, data["contract"])
        if support:
            reporter = (_member_of(contract.account, data["reporter"], field="reporter")
                        if "reporter" in data else contract.contact)
        else:
            own = Member.objects.filter(user=user, account=contract.account).first()
            if own is None:
                raise NotFound()
            if "received_at" in data:
                raise DomainError(_("Only staff may set when a ticket was received."),
                                  field="received_at", code="staff_only")
            if "reporter" in data and data["reporter"] != own.pk:
                raise DomainError(_("You can only file tickets in your own name."),
                                  field="reporter", code="reporter_not_self")
            reporter = own
        now = timezone.now()
        ticket = services.ticket_open(
            contract=contract, received_at=data.get("received_at", now),
            channel=data["channel"], kind=data["kind"], reporter=reporter,
            subject=data["subject"], critical=data["critical"], actor=user, now=now)
        return Response(TicketOutputSerializer(ticket).data, status=status.HTTP_201_CREATED)


class TicketRespondApi(APIView):
    """Record a ticket's first response (support staff): `responded_at` (default now);
    `breached` becomes whether it came after the deadline. A second first response is a 409."""

    permission_classes = [IsAuthenticated, IsSupportStaff]

    @extend_schema_serializer(component_name="SupportTicketRespondInput")
    class InputSerializer(InputSerializer):
        responded_at = WarsawDateTimeField(
            required=False, help_text="When the first response went out (default now).")

    @extend_schema(
        operation_id="support_tickets_respond", tags=["support"], request=InputSerializer,
        responses={200: TicketOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, ticket_id):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is None:
            raise NotFound()
        now = timezone.now()
        ticket = services.ticket_respond(
            ticket=ticket, responded_at=serializer.validated_data.get("responded_at", now),
            actor=request.user, now=now)
        return Response(TicketOutputSerializer(ticket).data)


# --- the queue ----------------------------------------------------------------------------------


@extend_schema_serializer(component_name="SupportQueueRow")
class QueueRowOutputSerializer(serializers.Serializer):
    id = StrictIntegerField(source="ticket.id")
    contract = StrictIntegerField(source="ticket.contract_id")
    account = StrictIntegerField(source="ticket.contract.account_id")
    account_name = serializers.CharField(source="ticket.contract.account.name")
    plan = serializers.CharField(source="ticket.contract.plan.code")
    received_at = WarsawDateTimeField(source="ticket.received_at")
    channel = serializers.ChoiceField(source="ticket.channel", choices=TicketChannel.choices)
    kind = serializers.ChoiceField(source="ticket.kind", choices=TicketKind.choices)
    critical = serializers.BooleanField(source="ticket.critical")
    subject = serializers.CharField(source="ticket.subject")
    deadline = WarsawDateTimeField(source="ticket.deadline", allow_null=True)
    breached = serializers.BooleanField(source="ticket.breached")
    minutes_left = StrictIntegerField(
        allow_null=True,
        help_text="Working minutes of the plan left until the deadline; negative when overdue; "
                  "null without a deadline.")
    overdue = serializers.BooleanField()


class QueueApi(APIView):
    """The open tickets (no first response yet), nearest deadline first, tickets without a
    deadline last. Support staff only."""

    permission_classes = [IsAuthenticated, IsSupportStaff]

    class QuerySerializer(serializers.Serializer):
        plan = serializers.CharField(required=False, max_length=20)
        kind = ChoiceField(required=False, choices=TicketKind.choices)
        breached = serializers.BooleanField(required=False, allow_null=True, default=None)

        def validate_plan(self, value):
            if not SupportPlan.objects.filter(code=value).exists():
                codes = ", ".join(SupportPlan.objects.values_list("code", flat=True))
                raise serializers.ValidationError(
                    _("There is no plan %(code)s; the plans are: %(codes)s.")
                    % {"code": value[:20], "codes": codes})
            return value

    @extend_schema(
        operation_id="support_queue", tags=["support"],
        parameters=[
            OpenApiParameter("plan", str, description="Plan code, e.g. START."),
            OpenApiParameter("kind", str, enum=TicketKind.values),
            OpenApiParameter("breached", bool),
        ],
        responses={200: QueueRowOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.support_queue(now=timezone.now(), **query.validated_data)
        return Response(QueueRowOutputSerializer(rows, many=True).data)


# --- time entries -------------------------------------------------------------------------------


@extend_schema_serializer(component_name="SupportTimeEntry")
class TimeEntryOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    billable_minutes = StrictIntegerField(
        help_text="Minutes + 5 rounded up to 15 (phone) or 30 (remote, development); 0 for "
                  "e-mail.")
    included_minutes = StrictIntegerField(help_text="Of those, from the month's included time.")
    billed_minutes_over_bundle = StrictIntegerField(
        help_text="Of those, billed at the plan's hourly rate on the monthly invoice.")


class TimeEntryCreateApi(APIView):
    """Record time spent for a contract (support staff)."""

    permission_classes = [IsAuthenticated, IsSupportStaff]

    @extend_schema_serializer(component_name="SupportTimeEntryInput")
    class InputSerializer(InputSerializer):
        contract = JsonIntegerField(min_value=1, max_value=2**63 - 1)
        ticket = JsonIntegerField(required=False, allow_null=True, min_value=1,
                                    max_value=2**63 - 1)
        channel = ChoiceField(choices=TimeChannel.choices)
        minutes = JsonIntegerField(min_value=1, max_value=1440)
        date = StrictDateField(required=False, help_text="Business date; default today.")

    @extend_schema(
        operation_id="support_time_entries_create", tags=["support"], request=InputSerializer,
        responses={201: TimeEntryOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contract = _visible_contract(request.user, data["contract"])
        ticket = None
        if data.get("ticket") is not None:
            ticket = Ticket.objects.filter(pk=data["ticket"], contract=contract).first()
            if ticket is None:
                raise DomainError(_("This contract has no such ticket."), field="ticket",
                                  code="ticket_unknown")
        entry = services.time_entry_add(contract=contract, ticket=ticket,
                                        channel=data["channel"], minutes=data["minutes"],
                                        date=data.get("date") or today(), actor=request.user,
                                        as_of=today())
        return Response(TimeEntryOutputSerializer(entry).data, status=status.HTTP_201_CREATED)


# --- contracts ----------------------------------------------------------------------------------


@extend_schema_serializer(component_name="SupportContract")
class ContractOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    account = StrictIntegerField(source="account_id")
    plan = serializers.CharField(source="plan.code")
    start = StrictDateField()
    minimum_end = StrictDateField(
        allow_null=True, help_text="Last day of the minimum term (inclusive); null: none.")
    status = serializers.ChoiceField(choices=ContractStatus.choices)
    contact = StrictIntegerField(source="contact_id", help_text="Member id.")
    ends_on = StrictDateField(allow_null=True)
    next_plan = serializers.CharField(source="next_plan.code", allow_null=True)
    next_plan_from = StrictDateField(allow_null=True)


class ContractCreateApi(APIView):
    """Order a support plan for an account: staff, or an administrator of that account (who
    may order the plans customers can order; individual plans go through staff)."""

    permission_classes = [IsAuthenticated, HasProductAccess, IsAccountAdmin]
    billing_api = True  # ordering is billing: a blocked account's admin still reaches it

    @extend_schema_serializer(component_name="SupportContractInput")
    class InputSerializer(InputSerializer):
        account = JsonIntegerField(min_value=1, max_value=2**63 - 1)
        plan = serializers.CharField(max_length=20, help_text="Plan code, e.g. START.")
        start = StrictDateField(help_text="First day (business date).")
        contact = JsonIntegerField(min_value=1, max_value=2**63 - 1,
                                     help_text="Member id of the contact person.")

    @extend_schema(
        operation_id="support_contracts_create", tags=["support"], request=InputSerializer,
        responses={201: ContractOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = accounts_visible_to(request.user).filter(pk=data["account"]).first()
        if account is None:
            raise NotFound()
        self.check_object_permissions(request, account)
        plan = SupportPlan.objects.filter(code=data["plan"].strip().upper()).first()
        if plan is None:
            codes = ", ".join(selectors.plans_orderable_by(request.user)
                              .values_list("code", flat=True))
            raise DomainError(_("There is no plan %(code)s; the plans are: %(codes)s.")
                              % {"code": data["plan"][:20], "codes": codes},
                              field="plan", code="plan_unknown")
        contact = _member_of(account, data["contact"], field="contact")
        contract = services.contract_order(account=account, plan=plan, start=data["start"],
                                           contact=contact, actor=request.user, as_of=today())
        return Response(ContractOutputSerializer(contract).data,
                        status=status.HTTP_201_CREATED)
