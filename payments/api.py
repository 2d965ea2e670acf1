"""REST API of payments (SPEC §5, issue 9), under /api/v1/.

`POST /api/v1/orders/{id}/transfers/` books a received bank transfer against an order (finance
staff only: staff with the "add transfer booking" permission; others 403). Refusals are the
services' `DomainError`s, mapped to JSON by `billing_site.api.exception_handler`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_site.api import error_responses
from billing_site.dates import today
from plans.models import Order

from . import services
from .models import TransferStatus


class IsFinanceStaff(BasePermission):
    """Finance staff: vendor staff allowed to book transfers."""

    message = _("Only finance staff can book transfers.")
    code = "finance_only"

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_staff and user.has_perm("payments.add_transferbooking"))


@extend_schema_serializer(component_name="TransferInput")
class TransferInputSerializer(serializers.Serializer):
    amount = serializers.CharField(help_text="The amount received, e.g. \"123.45\", in the "
                                             "order's currency; must equal the order's gross.")
    received_on = serializers.DateField(help_text="The day the money reached the bank account.")
    reference = serializers.CharField(max_length=200, help_text="Transfer title or reference.")


@extend_schema_serializer(component_name="TransferBooking")
class TransferOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    received_on = serializers.DateField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=TransferStatus.choices)
    payment = serializers.IntegerField(source="payment_id", allow_null=True)
    order_status = serializers.CharField(source="order.status")


class TransferBookApi(APIView):
    permission_classes = [IsAuthenticated, IsFinanceStaff]

    @extend_schema(
        operation_id="orders_transfer_book", tags=["payments"], request=TransferInputSerializer,
        responses={201: TransferOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, order_id):
        order = Order.objects.filter(pk=order_id).first()
        if order is None:
            raise NotFound()
        serializer = TransferInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        booking = services.transfer_book(order=order, amount=data["amount"],
                                         received_on=data["received_on"],
                                         reference=data["reference"], actor=request.user,
                                         as_of=today())
        booking.order.refresh_from_db()
        return Response(TransferOutputSerializer(booking).data, status=status.HTTP_201_CREATED)
