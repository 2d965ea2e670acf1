"""Applying a paid order, exactly once (SPEC §5: "the applied renewal is exactly what was
quoted")."""

from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from invoices.services.documents import invoice_issue_for_order
from plans.models import Order, OrderStatus
from plans.services import (
    order_add_on_packs_grant,
    order_quote,
    order_transition,
    order_void_reason,
)
from seats import services as seat_services
from seats.audit import audit_record
from seats.models import SeatPeriodCause

from ..models import OrderApplication, Payment, PaymentStatus


def _extend_seats(*, order, quote, actor, as_of):
    """Every quoted seat, and the seats the renewal added, valid and paid through the quote's
    `valid_until`, as ledger rows of this order (so a refund can revert exactly them)."""
    new_count = sum(1 for line in quote.seat_lines if line.seat is None)
    seats = [line.seat for line in quote.seat_lines if line.seat is not None]
    if new_count:
        seats += seat_services.seats_add(account=order.account, count=new_count, actor=actor,
                                         as_of=as_of, for_order=True)
    if not seats:
        return
    seat_services.seat_periods_append(
        account=order.account, changes=[(seat, quote.valid_until, quote.valid_until)
                                        for seat in seats],
        cause=SeatPeriodCause.ORDER, order_id=order.pk, actor=actor, as_of=as_of,
    )


def order_apply_paid(*, payment: Payment, actor, as_of) -> OrderApplication:
    """Apply the order `payment` paid, in one transaction: the order becomes paid (through its
    state machine), the quoted seats (and the seats added in the renewal) are extended to the
    quote's validity through the seat ledger, the bought add-on packs are added, the VAT invoice
    is issued, and an `OrderApplication` row is written — unique per order, so a second call
    (a webhook repeated, two workers at once) returns the first application and changes nothing.

    `payment` must have succeeded and be for the order's gross in its currency. Raises
    `DomainError` (409, code "order_not_payable") when the order was cancelled or expired, or can
    no longer be paid on `as_of` (window ended, or what it was priced on changed)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("account").get(
            pk=payment.order_id)
        existing = OrderApplication.objects.filter(order=order).first()
        if existing is not None:
            return existing
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.SUCCEEDED:
            raise ValueError(f"payment #{payment.pk} has not succeeded ({payment.status})")
        if (payment.amount, payment.currency) != (order.gross, order.currency):
            raise ValueError(f"payment #{payment.pk} does not pay order #{order.pk}'s gross")
        reason = (order.get_status_reason_display() if order.status != OrderStatus.PENDING
                  else order_void_reason(order, as_of=as_of))
        if order.status != OrderStatus.PENDING or reason:
            raise DomainError(
                _("Order #%(id)d can no longer be paid (%(reason)s); nothing was applied.")
                % {"id": order.pk, "reason": reason or order.get_status_display()},
                code="order_not_payable", status=409,
            )
        quote = order_quote(order)
        order = order_transition(order=order, to=OrderStatus.PAID, actor=actor, as_of=as_of)
        _extend_seats(order=order, quote=quote, actor=actor, as_of=as_of)
        order_add_on_packs_grant(order=order, actor=actor)
        invoice = invoice_issue_for_order(order=order, actor=actor, as_of=as_of,
                                          paid_by=payment.method)
        application = OrderApplication.objects.create(order=order, payment=payment,
                                                      invoice=invoice, applied_on=as_of)
        audit_record(account=order.account, actor=actor, action="order.apply", target=order,
                     after={"payment": payment.pk, "method": payment.method,
                            "invoice": invoice.pk, "valid_until": quote.valid_until.isoformat()})
        return application
