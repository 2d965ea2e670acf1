"""Refunds (SPEC §7): an account admin refunds the account's first purchase in full within 15 days
of payment; finance refunds any payment, in full or in part, with a reason. Each refund issues a
corrective invoice; a refund of everything still paid reverts the seat periods (and add-on packs)
the order added."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.errors import DomainError
from invoices.services.documents import correction_issue_refund
from plans.models import OrderStatus
from plans.services import order_add_on_packs_revoke, order_transition
from seats import services as seat_services
from seats.audit import audit_record
from seats.models import SeatPeriod

from .. import gateway
from ..models import OrderApplication, Payment, PaymentMethod, PaymentStatus, Refund, RefundKind
from .amounts import amount_input

SELF_SERVICE_REFUND_DAYS = 15  # SPEC §7: the first purchase, in full, within 15 days


def _amount(value, remaining, currency) -> Decimal:
    """None: everything still paid; otherwise a positive amount (`amount_input`) not above it."""
    if value is None:
        return remaining
    amount = amount_input(value)
    if amount > remaining:
        raise DomainError(
            _("At most %(remaining)s %(currency)s of this payment can still be refunded.")
            % {"remaining": formatting.amount(remaining), "currency": currency}, field="amount",
            code="refund_too_much")
    return amount


def later_orders_build_on(order) -> bool:
    """Whether seats the order extended were extended again afterwards (a later renewal or
    package change stands on top of this order's periods): a full refund of this order could
    not give its days back without also taking the later ones, so it is refused (refund the
    later purchases first, or refund part of this one)."""
    rows = SeatPeriod.objects.filter(order_id=order.pk, reverses__isnull=True,
                                     reversed_by__isnull=True)
    last = rows.order_by("-id").values_list("id", flat=True).first()
    if last is None:
        return False
    return SeatPeriod.objects.filter(
        seat_id__in=rows.values("seat_id"), id__gt=last, reverses__isnull=True,
        reversed_by__isnull=True).exists()


def _first_purchase(payment) -> bool:
    first = (OrderApplication.objects.filter(order__account_id=payment.account_id)
             .order_by("applied_on", "id").first())
    return first is not None and first.payment_id == payment.pk


def refund_create(*, payment, amount=None, reason, bank_account="", by_finance, actor,
                  as_of) -> Refund:
    """Refund `amount` (Decimal or decimal string in the payment's currency; None: everything
    still paid) of a succeeded `payment`, with `reason`.

    `by_finance` False (an account admin): only the account's first purchase, in full, within
    15 days of its payment. Stripe payments are refunded through Stripe; a transfer needs the
    payer's `bank_account`. Issues the corrective invoice of the refund; when it gives back
    everything still paid, reverts the order's seat periods and add-on packs and the order
    becomes refunded (partly refunded otherwise). Refusals (`DomainError`, nothing changed):
    more than was paid and not yet refunded (400), a payment already refunded in full (409), the
    self-service window or first-purchase rule (409), no reason, no bank account."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the refund."), field="reason")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("order", "account").get(
            pk=payment.pk)
        if payment.status != PaymentStatus.SUCCEEDED:
            raise DomainError(_("Only a payment that went through can be refunded."),
                              code="not_refundable", status=409)
        application = OrderApplication.objects.filter(payment=payment).first()
        refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
        remaining = payment.amount - refunded
        if remaining <= 0:
            raise DomainError(_("This payment has already been refunded in full."),
                              code="already_refunded", status=409)
        amount = _amount(amount, remaining, payment.currency)
        if not by_finance:
            if not _first_purchase(payment):
                raise DomainError(_("Only the account's first purchase can be refunded here; "
                                    "contact us for other refunds."),
                                  code="not_first_purchase", status=409)
            if refunded or amount != payment.amount:
                raise DomainError(_("The first purchase is refunded in full only."),
                                  field="amount", code="refund_in_full_only")
            paid_on = application.applied_on if application else payment.created_at.date()
            if as_of > paid_on + timedelta(days=SELF_SERVICE_REFUND_DAYS):
                raise DomainError(
                    _("The first purchase can be refunded within %(days)d days of payment "
                      "(until %(until)s); contact us.")
                    % {"days": SELF_SERVICE_REFUND_DAYS,
                       "until": formatting.day(paid_on + timedelta(days=SELF_SERVICE_REFUND_DAYS))},
                    code="refund_window_closed", status=409)
        bank_account = (bank_account or "").strip()
        if payment.method == PaymentMethod.TRANSFER and not bank_account:
            raise DomainError(_("Enter the bank account the refund is sent to."),
                              field="bank_account")
        full = amount == remaining
        if full and application is not None and later_orders_build_on(payment.order):
            raise DomainError(
                _("Later renewals or a package change moved the same seats' dates again, so "
                  "this purchase cannot be refunded in full: refund the later purchases first, "
                  "or refund part of it."),
                code="later_orders", status=409)
        refund = Refund.objects.create(
            account=payment.account, payment=payment, amount=amount, currency=payment.currency,
            full=full, reason=reason[:300],
            kind=RefundKind.BANK if payment.method == PaymentMethod.TRANSFER else RefundKind.STRIPE,
            bank_account=bank_account[:64],
            created_by=actor if actor is not None and actor.pk else None,
        )
        order = payment.order
        if application is not None and application.invoice is not None:
            refund.correction = correction_issue_refund(
                original=application.invoice, refund_gross=amount, full=full,
                reason=f"Zwrot (refund): {reason}"[:300], actor=actor, as_of=as_of)
        if full and application is not None:
            if SeatPeriod.objects.filter(order_id=order.pk, reverses__isnull=True,
                                         reversed_by__isnull=True).exists():
                seat_services.seat_periods_reverse(account=payment.account, order_id=order.pk,
                                                   actor=actor, as_of=as_of)
            order_add_on_packs_revoke(order=order, actor=actor)
        if application is not None:
            payment.order = order_transition(
                order=order, to=OrderStatus.REFUNDED if full else OrderStatus.PARTLY_REFUNDED,
                actor=actor, as_of=as_of)
            refund.payment = payment
        if refund.kind == RefundKind.STRIPE:  # last: a refusal above refunds nothing
            stripe_refund = gateway.refund_create(
                payment.stripe_payment_intent, gateway.minor_units(amount, payment.currency),
                idempotency_key=f"refund-{refund.pk}")
            refund.stripe_refund = stripe_refund.id
        refund.save(update_fields=["correction", "stripe_refund"])
        audit_record(account=payment.account, actor=actor, action="payment.refund",
                     target=refund, after={"payment": payment.pk, "amount": str(amount),
                                           "full": full, "reason": refund.reason,
                                           "correction": refund.correction_id})
        return refund
