"""Bank transfers against pro-formas, booked by finance (SPEC §5: "pro-formas when finance books
the transfer")."""


from django.db import transaction
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.dates import past_out_of_window
from billing_site.errors import DomainError
from invoices.models import Document, DocumentKind
from plans.models import Order, OrderStatus
from seats.audit import audit_record

from ..models import (
    IN_FLIGHT,
    Payment,
    PaymentMethod,
    PaymentStatus,
    TransferBooking,
    TransferStatus,
)
from .amounts import amount_input
from .apply import order_apply_paid
from .paying import payable_order


def _reference(reference) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_("Enter the transfer title or bank reference."), field="reference")
    if len(reference) > 200:
        raise DomainError(_("The reference can be at most 200 characters long."),
                          field="reference")
    return reference


def transfer_received_on_check(received_on, *, as_of) -> None:
    """Refuse the day a transfer was received (a `date`, or None when missing) when it is
    missing or after `as_of`, or more than `settings.AS_OF_WINDOW_YEARS` years before it
    (`billing_site.dates.past_out_of_window`, naming the allowed range): DomainError on the
    field "received_on" (code "received_on_future" / "received_on_range"). SPEC §5. The API's
    input checks it too, with the other fields."""
    if received_on is None or received_on > as_of:
        raise DomainError(_("The transfer cannot be received after today."), field="received_on",
                          code="received_on_future")
    message = past_out_of_window(received_on, as_of)
    if message:
        raise DomainError(message, field="received_on", code="received_on_range")


def transfer_book(*, order, amount, received_on, reference, actor, as_of) -> TransferBooking:
    """Book a received bank transfer of `amount` (the order's currency, 2 places) against a
    pending `order` and apply the order (`order_apply_paid`). The amount must equal the order's
    gross exactly: otherwise `DomainError` (400, field "amount") says the difference and nothing
    is booked or applied — finance records it with `transfer_record_unmatched`. A paid order →
    409 "order_paid"; a cancelled or expired one → 409 "order_not_payable"."""
    amount, reference = amount_input(amount), _reference(reference)
    transfer_received_on_check(received_on, as_of=as_of)
    # closing a stale order commits on its own, before the refusal (not rolled back with it)
    order = payable_order(order, as_of=as_of)
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("account").get(pk=order.pk)
        if order.status != OrderStatus.PENDING:  # paid meanwhile by someone else
            raise DomainError(_("Order #%(id)d is already paid; the transfer was not booked.")
                              % {"id": order.pk}, code="order_paid", status=409)
        if amount != order.gross:
            difference = amount - order.gross
            raise DomainError(
                _("The transfer is %(diff)s %(currency)s %(direction)s the order's %(gross)s "
                  "%(currency)s; nothing was applied. Record it as unmatched for follow-up.")
                % {"diff": formatting.amount(abs(difference)), "currency": order.currency,
                   "gross": formatting.amount(order.gross),
                   "direction": _("less than") if difference < 0 else _("more than")},
                field="amount", code="amount_mismatch",
            )
        proforma = Document.objects.filter(order=order, kind=DocumentKind.PROFORMA).first()
        # online attempts still in flight are closed: the money arrived by transfer
        Payment.objects.filter(order=order, status__in=IN_FLIGHT).exclude(
            method=PaymentMethod.TRANSFER).update(status=PaymentStatus.CANCELLED)
        payment = Payment.objects.filter(order=order, method=PaymentMethod.TRANSFER,
                                         status__in=IN_FLIGHT).first()
        if payment is None:  # no pro-forma was asked for through the API: book it all the same
            payment = Payment(account=order.account, order=order, method=PaymentMethod.TRANSFER,
                              amount=amount, currency=order.currency,
                              created_by=actor if actor is not None and actor.pk else None)
        payment.status, payment.proforma = PaymentStatus.SUCCEEDED, payment.proforma or proforma
        payment.save()
        booking = TransferBooking.objects.create(
            account=order.account, order=order, amount=amount, currency=order.currency,
            received_on=received_on, reference=reference, status=TransferStatus.MATCHED,
            payment=payment, booked_by=actor if actor is not None and actor.pk else None,
        )
        order_apply_paid(payment=payment, actor=actor, as_of=as_of)
        audit_record(account=order.account, actor=actor, action="transfer.book", target=booking,
                     after={"order": order.pk, "amount": str(amount), "currency": order.currency,
                            "received_on": received_on.isoformat(), "reference": reference})
        return booking


def transfer_record_unmatched(*, order, amount, received_on, reference, note, actor,
                              as_of) -> TransferBooking:
    """Record a received transfer that does not match `order` (wrong amount, or the order can no
    longer be paid) for follow-up: nothing is applied."""
    amount, reference = amount_input(amount), _reference(reference)
    transfer_received_on_check(received_on, as_of=as_of)
    order = Order.objects.select_related("account").get(pk=order.pk)
    with transaction.atomic():
        booking = TransferBooking.objects.create(
            account=order.account, order=order, amount=amount, currency=order.currency,
            received_on=received_on, reference=reference, status=TransferStatus.UNMATCHED,
            note=(note or "")[:300], booked_by=actor if actor is not None and actor.pk else None,
        )
        audit_record(account=order.account, actor=actor, action="transfer.unmatched",
                     target=booking, after={"order": order.pk, "amount": str(amount),
                                            "currency": order.currency, "note": booking.note})
        return booking
