"""REST API of payments (SPEC §5, issue 9), under /api/v1/.

`POST /api/v1/orders/{id}/payments/` starts paying an order (its account's admins, or staff):
card, BLIK, Przelewy24 through Stripe, or a pro-forma for a transfer. `GET /api/v1/orders/{id}/`
shows the order with its invoice, pro-forma and payments.
`POST /api/v1/orders/{id}/transfers/` books a received bank transfer against an order (finance
staff only: staff with the "add transfer booking" permission; others 403). Refusals are the
services' `DomainError`s, mapped to JSON by `billing_site.api.exception_handler`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_site.api import ChoiceField, InputSerializer, domain_check, error_responses
from billing_site.dates import today
from billing_site.inputs import StrictDateField, StrictIntegerField
from billing_site.money import amount_input
from invoices.models import Document, DocumentKind
from plans.models import Order
from plans.services import order_refresh
from seats.api import AccountScopedApi

from . import services
from .models import Payment, PaymentMethod, PaymentStatus, RefundKind, TransferStatus


class IsFinanceStaff(BasePermission):
    """Finance staff: vendor staff allowed to book transfers."""

    message = _("Only finance staff can book transfers.")
    code = "finance_only"

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_staff and user.has_perm("payments.add_transferbooking"))


@extend_schema_serializer(component_name="TransferInput")
class TransferInputSerializer(InputSerializer):
    amount = serializers.CharField(help_text="The amount received, e.g. \"123.45\", in the "
                                             "order's currency; must equal the order's gross.",
                                   validators=[domain_check(amount_input)])
    received_on = StrictDateField(
        help_text="The day the money reached the bank account: today or earlier, within "
                  "AS_OF_WINDOW_YEARS (5) years.",
        validators=[domain_check(
            lambda day: services.transfer_received_on_check(day, as_of=today()))])
    reference = serializers.CharField(max_length=200, help_text="Transfer title or reference.")


@extend_schema_serializer(component_name="TransferBooking")
class TransferOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    order = StrictIntegerField(source="order_id")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    received_on = StrictDateField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=TransferStatus.choices)
    payment = StrictIntegerField(source="payment_id", allow_null=True)
    order_status = serializers.CharField(source="order.status")


class TransferBookApi(APIView):
    permission_classes = [IsAuthenticated, IsFinanceStaff]

    @extend_schema(
        operation_id="orders_transfer_book", tags=["payments"], request=TransferInputSerializer,
        responses={201: TransferOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
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


@extend_schema_serializer(component_name="PaymentInput")
class PaymentInputSerializer(InputSerializer):
    method = ChoiceField(choices=PaymentMethod.choices)
    payment_method = serializers.CharField(
        required=False, allow_blank=True, max_length=255,
        help_text="Card payments: the PaymentMethod id (\"pm_…\") Stripe.js created.")
    save_card = serializers.BooleanField(
        required=False, default=False,
        help_text="Card payments: keep the card for recurring (off-session) payments.")


@extend_schema_serializer(component_name="Payment")
class PaymentOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    order = StrictIntegerField(source="order_id")
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    client_secret = serializers.CharField(
        help_text="For Stripe.js on the page (3-D Secure, BLIK, Przelewy24); empty otherwise.")
    stripe_payment_intent = serializers.CharField()
    decline_reason = serializers.CharField(help_text="Why the payment failed, in plain words.")
    proforma = StrictIntegerField(source="proforma_id", allow_null=True,
                                        help_text="Transfers: the pro-forma document's id.")


@extend_schema_serializer(component_name="OrderWithPayments")
class OrderDetailOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    currency = serializers.CharField()
    net = serializers.DecimalField(max_digits=12, decimal_places=2)
    vat = serializers.DecimalField(max_digits=12, decimal_places=2)
    gross = serializers.DecimalField(max_digits=12, decimal_places=2)
    valid_through = StrictDateField(allow_null=True)
    invoice = StrictIntegerField(allow_null=True)
    proforma = StrictIntegerField(allow_null=True)
    payments = PaymentOutputSerializer(many=True)


class OrderScopedApi(AccountScopedApi):
    """An order of an account the requester administers (or any, for staff): 404 otherwise."""

    def get_order(self, order_id) -> Order:
        order = Order.objects.filter(pk=order_id).first()
        if order is None:
            raise NotFound()
        self.get_account(order.account_id)  # 404 for another tenant's order, 403 for a non-admin
        return order


class PaymentCreateApi(OrderScopedApi):
    @extend_schema(
        operation_id="orders_payment_create", tags=["payments"], request=PaymentInputSerializer,
        responses={201: PaymentOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, order_id):
        order = self.get_order(order_id)
        serializer = PaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["method"] == PaymentMethod.TRANSFER:
            payment = services.payment_transfer_start(order=order, actor=request.user,
                                                      as_of=today())
        else:
            payment = services.payment_online_start(
                order=order, method=data["method"],
                payment_method=data.get("payment_method") or None,
                save_card=data["save_card"], actor=request.user, as_of=today())
        return Response(PaymentOutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class OrderDetailApi(OrderScopedApi):
    @extend_schema(
        operation_id="orders_retrieve", tags=["payments"],
        responses={200: OrderDetailOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, order_id):
        order = order_refresh(order=self.get_order(order_id), as_of=today())
        documents = dict(Document.objects.filter(
            order=order, kind__in=[DocumentKind.INVOICE, DocumentKind.PROFORMA]).values_list(
            "kind", "id"))
        body = {
            "id": order.pk, "status": order.status, "status_reason": order.status_reason,
            "currency": order.currency, "net": order.net, "vat": order.vat,
            "gross": order.gross, "valid_through": order.valid_through,
            "invoice": documents.get(DocumentKind.INVOICE),
            "proforma": documents.get(DocumentKind.PROFORMA),
            "payments": list(Payment.objects.filter(order=order).order_by("id")),
        }
        return Response(OrderDetailOutputSerializer(body).data)


@extend_schema_serializer(component_name="RefundInput")
class RefundInputSerializer(InputSerializer):
    amount = serializers.CharField(required=False, allow_blank=False,
                                   validators=[domain_check(amount_input)], help_text=(
        "Optional: the amount to give back, e.g. \"50.00\"; everything still paid when left "
        "out. Account admins refund the first purchase in full only."))
    reason = serializers.CharField(max_length=300)
    bank_account = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                         help_text="Transfers: the payer's bank account.")


@extend_schema_serializer(component_name="Refund")
class RefundOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    payment = StrictIntegerField(source="payment_id")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    full = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=RefundKind.choices)
    reason = serializers.CharField()
    correction = StrictIntegerField(source="correction_id", allow_null=True,
                                          help_text="The corrective invoice's document id.")
    order_status = serializers.CharField(source="payment.order.status")


class RefundCreateApi(AccountScopedApi):
    """Finance staff (with the "add refund" permission) refund any payment, in full or in part;
    an account's admins refund its first purchase in full within 15 days (SPEC §7)."""

    @extend_schema(
        operation_id="payments_refund_create", tags=["payments"], request=RefundInputSerializer,
        responses={201: RefundOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, payment_id):
        payment = Payment.objects.filter(pk=payment_id).select_related("order").first()
        if payment is None:
            raise NotFound()
        self.get_account(payment.account_id)  # another tenant's payment: 404; not an admin: 403
        by_finance = request.user.is_staff
        if by_finance and not request.user.has_perm("payments.add_refund"):
            raise PermissionDenied(_("Only finance staff can refund payments."))
        serializer = RefundInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        refund = services.refund_create(
            payment=payment, amount=data.get("amount"), reason=data["reason"],
            bank_account=data.get("bank_account", ""), by_finance=by_finance,
            actor=request.user, as_of=today())
        return Response(RefundOutputSerializer(refund).data, status=status.HTTP_201_CREATED)
