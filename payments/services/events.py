"""Stripe webhook events: stored once by their id, processed by re-reading the PaymentIntent from
Stripe, retried when processing fails, and pending payments reconciled with Stripe (issue 9)."""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import gateway
from ..models import EventStatus, Payment, PaymentMethod, PaymentStatus, StripeEvent
from .paying import payment_sync

logger = logging.getLogger(__name__)

# Event types that change a payment: each re-reads its PaymentIntent (the event's copy may be
# stale or arrive out of order); other types are acknowledged and stored as "ignored".
INTENT_EVENTS = {
    "payment_intent.succeeded", "payment_intent.payment_failed",
    "payment_intent.requires_action", "payment_intent.canceled", "payment_intent.processing",
}
RETRY_AFTER = timedelta(minutes=1)


def _metadata(intent, key) -> str | None:
    """`intent.metadata[key]` (a StripeObject is not a dict), None when absent."""
    metadata = getattr(intent, "metadata", None)
    if metadata is None:
        return None
    data = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
    return data.get(key)


class PaymentNotFound(Exception):
    """A PaymentIntent no payment of ours knows (yet): the event is kept and retried."""


def _payment_of(intent) -> Payment:
    payment = Payment.objects.filter(stripe_payment_intent=intent.id).first()
    if payment is None:  # the attempt's process died before it stored the intent's id
        payment_id = _metadata(intent, "payment_id")
        payment = Payment.objects.filter(pk=payment_id, stripe_payment_intent="").first() \
            if payment_id and str(payment_id).isdigit() else None
        if payment is not None:
            Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent=intent.id)
    if payment is None:
        raise PaymentNotFound(f"no payment for PaymentIntent {intent.id}")
    return payment


def _intent_id(payload) -> str | None:
    """The PaymentIntent id in an event's `data.object`, None when the payload has none."""
    data = payload.get("data") if isinstance(payload, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    intent_id = obj.get("id") if isinstance(obj, dict) else None
    return intent_id if isinstance(intent_id, str) and intent_id.startswith("pi_") else None


def event_receive(*, event, as_of) -> tuple[StripeEvent, bool]:
    """Store a verified `stripe.Event` once by its id and process it. Returns (stored event,
    created): a duplicate is acknowledged and not processed again."""
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(event_id=event.id, type=event.type,
                                                payload=event.to_dict())
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event.id), False
    return event_process(event=stored, as_of=as_of), True


def event_process(*, event: StripeEvent, as_of) -> StripeEvent:
    """Process a stored event; a failure is recorded on it (status failed, the error, attempts)
    for `events_retry`, never raised to Stripe and never lost."""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event.pk)
        if event.status in (EventStatus.SUCCEEDED, EventStatus.IGNORED):
            return event
        event.attempts += 1
        intent_id = _intent_id(event.payload)
        if event.type not in INTENT_EVENTS or intent_id is None:
            event.status, event.processed_at = EventStatus.IGNORED, timezone.now()
            if event.type in INTENT_EVENTS:  # nothing to re-read: retrying cannot help
                event.error = "the event names no PaymentIntent"
            event.save(update_fields=["status", "attempts", "processed_at", "error"])
            return event
        event.save(update_fields=["attempts"])
    try:
        intent = gateway.payment_intent_retrieve(intent_id)
        payment_sync(payment=_payment_of(intent), intent=intent, actor=None, as_of=as_of)
    except Exception as exc:  # noqa: BLE001 - recorded on the event and retried
        logger.warning("Stripe event %s failed: %s", event.event_id, exc)
        StripeEvent.objects.filter(pk=event.pk).update(status=EventStatus.FAILED,
                                                        error=f"{type(exc).__name__}: {exc}")
    else:
        StripeEvent.objects.filter(pk=event.pk).update(status=EventStatus.SUCCEEDED, error="",
                                                        processed_at=timezone.now())
    event.refresh_from_db()
    return event


def events_retry(*, as_of, batch=100) -> int:
    """Process again the events that failed (or were stored but never processed, e.g. the web
    process died), oldest first; the periodic job `payments.retry_events` runs it. Returns how
    many were processed successfully now."""
    stale = timezone.now() - RETRY_AFTER
    done = 0
    for event in StripeEvent.objects.filter(status__in=[EventStatus.FAILED, EventStatus.RECEIVED],
                                            received_at__lte=stale).order_by("id")[:batch]:
        done += event_process(event=event, as_of=as_of).status == EventStatus.SUCCEEDED
    return done


# PaymentIntent statuses in which no money moved and nothing will move without the payer: a
# stale attempt in one of them is closed, so that it no longer blocks a new attempt. (An attempt
# waiting for 3-D Secure is left alone: the payer may still finish it, and Stripe would take the
# money; cancelling its intent at Stripe first is for a later change.)
STALE_WITHOUT_MONEY = {"requires_confirmation", "requires_payment_method"}


def payments_reconcile(*, as_of, older_than=timedelta(minutes=5), batch=100) -> int:
    """Online payments still pending after `older_than` are brought to Stripe's state: the
    PaymentIntent is looked up by the payment's id in its metadata when its id was never stored
    (the process died between Stripe's answer and the commit), so a payment Stripe took is
    applied once, without a second charge. An attempt Stripe never heard of (the process died
    before creating the intent), or whose intent was never confirmed, took no money: it is
    cancelled, so the payer can try again. Returns how many payments changed status."""
    changed = 0
    cutoff = timezone.now() - older_than
    pending = (Payment.objects.filter(status__in=[PaymentStatus.PENDING,
                                                  PaymentStatus.REQUIRES_ACTION],
                                      created_at__lte=cutoff)
               .exclude(method=PaymentMethod.TRANSFER).order_by("id")[:batch])
    for payment in pending:
        if payment.stripe_payment_intent:
            intents = [gateway.payment_intent_retrieve(payment.stripe_payment_intent)]
        else:
            intents = [intent for intent in gateway.payment_intents_for_order(payment.order_id)
                       if _metadata(intent, "payment_id") == str(payment.pk)]
        intent = intents[-1] if intents else None
        if intent is None or intent.status in STALE_WITHOUT_MONEY:
            changed += Payment.objects.filter(pk=payment.pk, status=payment.status).update(
                status=PaymentStatus.CANCELLED,
                stripe_payment_intent=intent.id if intent is not None else "")
            continue
        if not payment.stripe_payment_intent:
            Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent=intent.id)
        before = payment.status
        payment = payment_sync(payment=payment, intent=intent, actor=None, as_of=as_of)
        changed += payment.status != before
    return changed
