"""Starting a payment of an order (SPEC §5 "Paying"): card, BLIK, Przelewy24 through Stripe, or
a pro-forma for a bank transfer."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from billing_site.choices import accepted_values
from billing_site.errors import DomainError
from invoices.services.documents import proforma_issue_for_order
from plans.models import Order, OrderStatus
from plans.services import order_refresh
from seats.audit import audit_record
from seats.models import Account

from .. import gateway
from ..models import IN_FLIGHT, Payment, PaymentMethod, PaymentStatus, StripeCustomer
from .apply import order_apply_paid
from .cards import saved_card_store

# Which currencies each method takes (SPEC §5: BLIK in PLN, Przelewy24 in PLN and EUR).
METHOD_CURRENCIES = {
    PaymentMethod.CARD: {"PLN", "EUR", "USD", "CZK"},
    PaymentMethod.BLIK: {"PLN"},
    PaymentMethod.P24: {"PLN", "EUR"},
    PaymentMethod.TRANSFER: {"PLN", "EUR", "USD", "CZK"},
}


def payable_order(order, *, as_of) -> Order:
    """The order, refreshed (`plans.services.order_refresh`), if it can be paid on `as_of`;
    otherwise `DomainError` 409: "order_paid" for a paid order, "order_not_payable" with the
    reason for a cancelled or expired one (a new quote is needed)."""
    order = order_refresh(order=Order.objects.get(pk=order.pk), as_of=as_of)
    if order.status == OrderStatus.PAID:
        raise DomainError(_("Order #%(id)d is already paid.") % {"id": order.pk},
                          code="order_paid", status=409)
    if order.status != OrderStatus.PENDING:
        raise DomainError(
            _("Order #%(id)d can no longer be paid: %(reason)s. Quote the renewal again.")
            % {"id": order.pk,
               "reason": order.get_status_reason_display() or order.get_status_display()},
            code="order_not_payable", status=409,
        )
    return order


def check_method(method, currency) -> None:
    if method not in PaymentMethod.values:
        # the codes a program sends, each with its name in the active language (issue 12)
        raise DomainError(_("Choose a payment method: %(methods)s.")
                          % {"methods": accepted_values(PaymentMethod.choices)}, field="method")
    if currency not in METHOD_CURRENCIES[method]:
        raise DomainError(
            _("%(method)s is not available for payments in %(currency)s.")
            % {"method": PaymentMethod(method).label, "currency": currency},
            field="method", code="method_currency",
        )


def payment_transfer_start(*, order, actor, as_of) -> Payment:
    """Pay `order` by bank transfer: its pro-forma (issued once) with the seller's bank account
    and a transfer title naming the pro-forma number, and a pending transfer payment that finance
    completes by booking the transfer (`transfer_book`). A second call returns the same payment.
    Refusals as `payable_order`."""
    order = payable_order(order, as_of=as_of)
    check_method(PaymentMethod.TRANSFER, order.currency)
    proforma = proforma_issue_for_order(order=order, actor=actor, as_of=as_of)
    existing = Payment.objects.filter(order=order, method=PaymentMethod.TRANSFER,
                                      status__in=IN_FLIGHT).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                account=order.account, order=order, method=PaymentMethod.TRANSFER,
                status=PaymentStatus.PENDING, amount=order.gross, currency=order.currency,
                proforma=proforma, created_by=actor if actor is not None and actor.pk else None,
            )
            audit_record(account=order.account, actor=actor, action="payment.start",
                         target=payment, after={"method": payment.method, "order": order.pk,
                                                "proforma": proforma.number})
            return payment
    except IntegrityError:  # a concurrent request created it first
        return Payment.objects.get(order=order, method=PaymentMethod.TRANSFER,
                                   status__in=IN_FLIGHT)


# PaymentIntent status → our payment status (Stripe's lifecycle of a PaymentIntent)
INTENT_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_payment_method": PaymentStatus.FAILED,
    "canceled": PaymentStatus.CANCELLED,
}


def _stripe_customer(account, actor) -> str:
    """The account's Stripe Customer id, created once (under the account's row lock)."""
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        known = StripeCustomer.objects.filter(account=locked).first()
        if known is not None:
            return known.customer_id
        admin_email = actor.email if actor is not None and actor.pk else ""
        customer = gateway.customer_create(admin_email, locked.name,
                                           {"account_id": locked.pk})
        StripeCustomer.objects.create(account=locked, customer_id=customer.id)
        return customer.id


def payment_sync(*, payment, intent, actor, as_of) -> Payment:
    """Bring `payment` to the state of its PaymentIntent `intent` (as Stripe has it now): a
    succeeded intent applies the order in the same transaction (once: `order_apply_paid`); a
    failed one records the reason in plain words. Idempotent: repeated and out-of-order webhooks
    converge here. When the money arrived for an order that can no longer be applied (it was
    changed meanwhile), the payment is recorded as succeeded without an application, for
    finance to refund or apply by hand."""
    status = INTENT_STATUS.get(intent.status, PaymentStatus.PENDING)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == PaymentStatus.SUCCEEDED or payment.status == status:
            return payment
        payment.status = status
        if status == PaymentStatus.FAILED:
            error = getattr(intent, "last_payment_error", None)
            payment.decline_reason = str(gateway.decline_reason(
                getattr(error, "code", None), getattr(error, "decline_code", None)))
        payment.save(update_fields=["status", "decline_reason", "updated_at"])
        audit_record(account=payment.account, actor=actor, action="payment.status",
                     target=payment, after={"status": status, "intent": intent.id})
        if status == PaymentStatus.SUCCEEDED:
            try:
                with transaction.atomic():
                    order_apply_paid(payment=payment, actor=actor, as_of=as_of)
            except DomainError as exc:  # paid, but the order changed: finance follows it up
                audit_record(account=payment.account, actor=actor,
                             action="payment.not_applied", target=payment,
                             after={"reason": str(exc.message)})
    return payment


def payment_online_start(*, order, method, payment_method=None, save_card=False, actor,
                         as_of) -> Payment:
    """Pay `order` online: a PaymentIntent for its gross (minor units) in its currency, with
    `metadata.order_id`/`payment_id` and an idempotency key of the order and attempt.

    - card: `payment_method` ("pm_…" from Stripe.js) is confirmed on the server; the payment is
      then succeeded (the order is applied), requires_action (3-D Secure: the page finishes it
      with `client_secret`) or failed with `decline_reason`. `save_card` ("enable recurring
      payments") attaches the card to the account's Stripe Customer, keeps it as the account's
      `SavedCard` and turns recurring payments on (`recurring.saved_card_store`), before the
      charge: a card the bank refuses to save fails the payment with its reason.
    - blik / p24: the intent is created for the page to confirm with Stripe.js (redirect/code
      flow); the webhook books it.
    A payment already in flight for the order is returned instead of a second intent. Refusals
    (`DomainError`): as `payable_order`, a method not offered in the order's currency, a card
    payment without `payment_method`."""
    order = payable_order(order, as_of=as_of)
    check_method(method, order.currency)
    if method == PaymentMethod.TRANSFER:
        raise ValueError("transfers start with payment_transfer_start")
    if method == PaymentMethod.CARD and not payment_method:
        raise DomainError(_("Enter the card details."), field="payment_method")
    online = [m for m in PaymentMethod.values if m != PaymentMethod.TRANSFER]
    with transaction.atomic():
        # the order row serialises attempts: a second click waits here, then finds the first
        # attempt (in flight, or succeeded and being applied) instead of charging again
        Order.objects.select_for_update().get(pk=order.pk)
        current = (Payment.objects.filter(order=order, method__in=online,
                                          status__in=[*IN_FLIGHT, PaymentStatus.SUCCEEDED])
                   .order_by("-id").first())
        if current is not None:
            return current
        payment = Payment.objects.create(
            account=order.account, order=order, method=method, status=PaymentStatus.PENDING,
            amount=order.gross, currency=order.currency,
            created_by=actor if actor is not None and actor.pk else None,
        )
        audit_record(account=order.account, actor=actor, action="payment.start",
                     target=payment, after={"method": method, "order": order.pk})
    customer = None
    try:
        if save_card and method == PaymentMethod.CARD:
            customer = _stripe_customer(order.account, actor)
            attached = gateway.payment_method_attach(payment_method, customer)
            # "enable recurring payments" (SPEC §5, §6): the card is kept for off-session
            # renewals and recurring payments are switched on
            saved_card_store(account=order.account,
                             customer=StripeCustomer.objects.get(customer_id=customer),
                             payment_method=attached, recurring=True, actor=actor, as_of=as_of)
        intent = gateway.payment_intent_create(
            gateway.minor_units(order.gross, order.currency), order.currency,
            payment_method=payment_method, customer=customer, payment_method_types=(method,),
            metadata={"order_id": order.pk, "payment_id": payment.pk},
            idempotency_key=f"order-{order.pk}-payment-{payment.pk}",
        )
        Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent=intent.id,
                                                     client_secret=intent.client_secret or "")
        payment.refresh_from_db()
        if method == PaymentMethod.CARD:
            intent = gateway.payment_intent_confirm(intent.id)
    except gateway.GatewayError as exc:
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.FAILED,
            decline_reason=str(exc.decline_reason or exc.message)[:255],
            stripe_payment_intent=payment.stripe_payment_intent or exc.payment_intent_id or "")
        payment.refresh_from_db()
        audit_record(account=order.account, actor=actor, action="payment.status",
                     target=payment, after={"status": payment.status,
                                            "reason": payment.decline_reason})
        return payment
    return payment_sync(payment=payment, intent=intent, actor=actor, as_of=as_of)
