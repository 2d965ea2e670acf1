"""The payments side of recurring card payments (SPEC §6 "Recurring card payments", §5 "enable
recurring payments"): one off-session charge of an order to the saved card (the card itself:
`cards`). When and how often to charge is dunning's business (`dunning.services.recurring`);
this module only moves the money, once.

No double charge. `payment_off_session_charge` is called with the caller's lock held (the
recurring charge row, claimed with `select_for_update(skip_locked=True)`) and locks the order
row too. Before creating a PaymentIntent it looks at Stripe for the order's intents (by
`metadata.order_id`, `gateway.payment_intents_for_order`): an intent that took or may still take
money, or one made for this very attempt, is adopted (recorded and synced) instead of charging
again. This lookup is what holds on localstripe, which ignores idempotency keys; on Stripe the
idempotency key `order-<id>-recurring-<attempt>` holds as well. A worker killed after Stripe
confirmed and before its commit left no payment row (its transaction rolled back): the next run
finds the intent by metadata and applies the order once.
"""

import logging
from dataclasses import dataclass

from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from plans.models import Order, OrderStatus
from seats.audit import audit_record

from .. import gateway
from ..models import IN_FLIGHT, Payment, PaymentMethod, PaymentStatus, SavedCard
from .events import _metadata
from .paying import payment_sync

logger = logging.getLogger(__name__)

# PaymentIntent statuses in which money moved or may still move (without a new attempt)
INTENT_ALIVE = {"succeeded", "processing", "requires_action", "requires_confirmation",
                "requires_capture"}


@dataclass(frozen=True)
class OffSessionResult:
    """What one off-session charge came to. `outcome`: "succeeded" (paid, the order applied),
    "requires_action" (the bank wants the card holder: pay on-session), "declined" (with
    `decline_reason` in plain words), or "pending" (Stripe is still processing).
    `adopted`: the intent was found at Stripe from an earlier run, not made now."""

    outcome: str
    payment: Payment | None
    decline_reason: str = ""
    adopted: bool = False


OUTCOME_OF_STATUS = {
    PaymentStatus.SUCCEEDED: "succeeded",
    PaymentStatus.REQUIRES_ACTION: "requires_action",
    PaymentStatus.PENDING: "pending",
    PaymentStatus.FAILED: "declined",
    PaymentStatus.CANCELLED: "declined",
}


def _result(payment, *, adopted=False) -> OffSessionResult:
    outcome = OUTCOME_OF_STATUS[payment.status]
    if outcome == "declined" and payment.decline_reason == str(
            gateway.decline_reason("authentication_required")):
        outcome = "requires_action"  # Stripe's off-session 402: the card holder must confirm
    return OffSessionResult(outcome, payment, payment.decline_reason, adopted)


def _adopt(order, intent, *, actor, as_of) -> Payment:
    """Record an intent found at Stripe that no payment row knows (its worker died before
    committing), then bring it to Stripe's state (a succeeded one applies the order once)."""
    payment = Payment.objects.filter(stripe_payment_intent=intent.id).first()
    if payment is None:
        payment = Payment.objects.create(
            account=order.account, order=order, method=PaymentMethod.CARD,
            status=PaymentStatus.PENDING, amount=order.gross, currency=order.currency,
            stripe_payment_intent=intent.id, client_secret=intent.client_secret or "")
        audit_record(account=order.account, actor=actor, action="payment.adopt",
                     target=payment, after={"intent": intent.id, "status": intent.status})
    return payment_sync(payment=payment, intent=intent, actor=actor, as_of=as_of)


def payment_off_session_charge(*, order, saved_card: SavedCard, attempt: int, actor,
                               as_of) -> OffSessionResult:
    """Charge `order`'s gross (minor units, the order's currency) to `saved_card` off-session,
    as attempt number `attempt` (1, 2, …) of a recurring renewal; Stripe:
    https://docs.stripe.com/payments/save-and-reuse#charge-saved-payment-method.

    Call it inside the caller's transaction, holding the lock that makes the caller the only
    worker on this order. Never charges twice: an online payment of the order already
    succeeded or in flight is returned as it is; an intent at Stripe for this order that took or
    may take money, or one tagged with this `attempt`, is adopted instead of a new one. A
    succeeded charge goes through `payment_sync` → `order_apply_paid` like any payment.

    Raises `DomainError` (409, "order_not_payable") when the order is no longer pending, and
    `GatewayError` (502) when Stripe could not be asked or answered with something other than a
    card decline: then whether money moved is unknown, so the caller rolls its transaction back
    and the next run's look-up settles it."""
    order = Order.objects.select_for_update().select_related("account").get(pk=order.pk)
    current = (Payment.objects.filter(order=order, status__in=[*IN_FLIGHT,
                                                                 PaymentStatus.SUCCEEDED])
               .exclude(method=PaymentMethod.TRANSFER).order_by("-id").first())
    if current is not None:
        if current.status in IN_FLIGHT and current.stripe_payment_intent:
            current = payment_sync(payment=current,
                                   intent=gateway.payment_intent_retrieve(
                                       current.stripe_payment_intent),
                                   actor=actor, as_of=as_of)
        return _result(current, adopted=True)
    if order.status != OrderStatus.PENDING:
        raise DomainError(_("Order #%(id)d can no longer be paid.") % {"id": order.pk},
                          code="order_not_payable", status=409)
    for intent in reversed(gateway.payment_intents_for_order(order.pk)):
        if (intent.status in INTENT_ALIVE
                or _metadata(intent, "recurring_attempt") == str(attempt)):
            return _result(_adopt(order, intent, actor=actor, as_of=as_of), adopted=True)
    payment = Payment.objects.create(
        account=order.account, order=order, method=PaymentMethod.CARD,
        status=PaymentStatus.PENDING, amount=order.gross, currency=order.currency)
    audit_record(account=order.account, actor=actor, action="payment.start", target=payment,
                 after={"method": "card", "order": order.pk, "off_session": True,
                        "attempt": attempt})
    try:
        intent = gateway.payment_intent_charge_off_session(
            gateway.minor_units(order.gross, order.currency), order.currency,
            customer=saved_card.customer.customer_id, payment_method=saved_card.payment_method,
            metadata={"order_id": order.pk, "payment_id": payment.pk,
                      "account_id": order.account_id, "recurring_attempt": attempt},
            idempotency_key=f"order-{order.pk}-recurring-{attempt}",
        )
    except gateway.GatewayError as exc:
        if exc.decline_reason is None:
            # Stripe unreachable or refusing: whether it charged is unknown. Raise, so that the
            # caller's transaction (this payment row with it) rolls back; the next run's
            # look-up at Stripe adopts whatever this call may have made.
            raise
        # the declined intent is on record at Stripe, but its id may not be in the error
        intent_id = exc.payment_intent_id or next(
            (i.id for i in gateway.payment_intents_for_order(order.pk)
             if _metadata(i, "payment_id") == str(payment.pk)), "")
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.FAILED, stripe_payment_intent=intent_id,
            decline_reason=str(exc.decline_reason)[:255])
        payment.refresh_from_db()
        audit_record(account=order.account, actor=actor, action="payment.status",
                     target=payment, after={"status": payment.status,
                                            "reason": payment.decline_reason,
                                            "code": exc.stripe_code})
        if exc.stripe_code == "authentication_required":
            return OffSessionResult("requires_action", payment, payment.decline_reason)
        return OffSessionResult("declined", payment, payment.decline_reason)
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent=intent.id,
                                                 client_secret=intent.client_secret or "")
    payment.refresh_from_db()
    return _result(payment_sync(payment=payment, intent=intent, actor=actor, as_of=as_of))
