"""Stripe webhooks delivered over HTTP to the running app as real signed payloads (issue 9): a bad
signature, duplicates, events out of order, an unknown type, a handler that fails once and is
retried; and a payment whose process died after Stripe took the money, reconciled once."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from invoices.models import DocumentKind
from invoices.tests import billing_profile
from payments import gateway
from payments.models import EventStatus, Payment, PaymentMethod, PaymentStatus, StripeEvent
from payments.services import payment_online_start
from payments.services.events import events_retry, payments_reconcile
from plans import services as plan_services
from plans.models import Order, OrderStatus
from seats import services as seat_services

from .test_gateway import signature_header

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stripe_settings")]

THREE_D_SECURE = "4000002760003184"


@pytest.fixture
def order(catalogue):
    """A pending renewal, quoted today (the live server runs on the real clock)."""
    as_of = date.today()
    account = seat_services.account_create(name="Acme", package_code="base", country="PL",
                                            trial=False, actor=None, as_of=as_of)
    seat_services.seats_add(account=account, count=1, actor=None, as_of=as_of)
    billing_profile(account)
    return plan_services.renewal_order_create(account=account, until=(as_of.year, as_of.month),
                                              actor=None, as_of=as_of)


def deliver(live_server, event_type, intent_id, *, event_id=None, secret=None, header=None):
    """POST a Stripe-shaped event to the app's webhook endpoint, signed as Stripe signs it."""
    payload = json.dumps({
        "id": event_id or f"evt_{time.monotonic_ns()}", "object": "event", "type": event_type,
        "data": {"object": {"id": intent_id, "object": "payment_intent"}},
    }).encode()
    signature = header if header is not None else (
        signature_header(payload, secret=secret) if secret else signature_header(payload))
    request = urllib.request.Request(f"{live_server.url}/webhooks/stripe/", data=payload,
                                     headers={"Stripe-Signature": signature,
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - local
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def three_d_secure_payment(order):
    """A card payment waiting for 3-D Secure, then completed by the card holder (what
    Stripe.js does on the page)."""
    card = gateway.client().v1.payment_methods.create(params={
        "type": "card", "card": {"number": THREE_D_SECURE, "exp_month": 12, "exp_year": 2034,
                                 "cvc": "123"}})
    payment = payment_online_start(order=order, method=PaymentMethod.CARD,
                                   payment_method=card.id, actor=None, as_of=date.today())
    assert payment.status == PaymentStatus.REQUIRES_ACTION
    authenticate(payment.stripe_payment_intent, payment.client_secret)
    return payment


def authenticate(intent_id, client_secret):
    """The card holder passes 3-D Secure (localstripe's JS shim calls this endpoint)."""
    data = urllib.parse.urlencode({"client_secret": client_secret, "success": "true"}).encode()
    request = urllib.request.Request(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{intent_id}/_authenticate", data=data,
        headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
        assert response.status == 200


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(live_server, order):
    assert deliver(live_server, "payment_intent.succeeded", "pi_x", secret="whsec_other")[0] \
        == 400
    status, body = deliver(live_server, "payment_intent.succeeded", "pi_x", header="")
    assert (status, body["code"]) == (400, "bad_webhook_signature")
    assert not StripeEvent.objects.exists()


def test_succeeded_event_applies_once_despite_duplicates_and_a_late_failure_event(live_server,
                                                                                 order):
    payment = three_d_secure_payment(order)
    intent = payment.stripe_payment_intent

    first = deliver(live_server, "payment_intent.succeeded", intent, event_id="evt_ok_1")
    duplicate = deliver(live_server, "payment_intent.succeeded", intent, event_id="evt_ok_1")
    late = deliver(live_server, "payment_intent.payment_failed", intent, event_id="evt_late")

    assert first == (200, {"received": True, "duplicate": False, "status": "succeeded"})
    assert duplicate[1]["duplicate"] is True
    assert late[0] == 200
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert order.documents.filter(kind=DocumentKind.INVOICE).count() == 1
    assert StripeEvent.objects.filter(event_id="evt_ok_1").count() == 1


def test_an_unknown_event_type_is_acknowledged_and_stored(live_server, order):
    status, body = deliver(live_server, "customer.created", "cus_x", event_id="evt_other")
    assert (status, body["status"]) == (200, "ignored")
    assert StripeEvent.objects.get(event_id="evt_other").type == "customer.created"


def test_a_handler_that_fails_is_recorded_and_retried(live_server, order):
    # Stripe took the money, but our payment row does not know the intent yet
    intent = gateway.payment_intent_create(
        gateway.minor_units(order.gross, order.currency), order.currency,
        payment_method="pm_card_visa", metadata={"order_id": order.pk},
        idempotency_key=f"order-{order.pk}-external")
    gateway.payment_intent_confirm(intent.id)

    status, body = deliver(live_server, "payment_intent.succeeded", intent.id, event_id="evt_r")
    event = StripeEvent.objects.get(event_id="evt_r")
    assert (status, body["status"], event.attempts) == (200, "failed", 1)
    assert "no payment for PaymentIntent" in event.error

    Payment.objects.create(account=order.account, order=order, method=PaymentMethod.CARD,
                           status=PaymentStatus.PENDING, amount=order.gross,
                           currency=order.currency, stripe_payment_intent=intent.id)
    StripeEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(minutes=2))
    assert events_retry(as_of=date.today()) == 1
    event.refresh_from_db()
    assert (event.status, event.attempts, event.error) == (EventStatus.SUCCEEDED, 2, "")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_a_payment_whose_process_died_after_stripe_took_the_money_is_reconciled_once(order):
    # the attempt was committed, Stripe confirmed it, the process died before storing the id
    payment = Payment.objects.create(account=order.account, order=order,
                                     method=PaymentMethod.CARD, status=PaymentStatus.PENDING,
                                     amount=order.gross, currency=order.currency)
    intent = gateway.payment_intent_create(
        gateway.minor_units(order.gross, order.currency), order.currency,
        payment_method="pm_card_visa", metadata={"order_id": order.pk, "payment_id": payment.pk},
        idempotency_key=f"order-{order.pk}-payment-{payment.pk}")
    gateway.payment_intent_confirm(intent.id)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert payments_reconcile(as_of=date.today()) == 1
    assert payments_reconcile(as_of=date.today()) == 0

    payment.refresh_from_db()
    assert (payment.status, payment.stripe_payment_intent) == (PaymentStatus.SUCCEEDED, intent.id)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert order.documents.filter(kind=DocumentKind.INVOICE).count() == 1
    assert len(gateway.payment_intents_for_order(order.pk)) == 1  # no second charge


@pytest.mark.parametrize(("payload", "status", "stored"), [
    (b"[1, 2, 3]", 400, None),  # signed, but not an event
    (b'{"object": "event", "type": "payment_intent.succeeded"}', 400, None),  # no id
    (b'{"id": "evt_nodata", "object": "event", "type": "payment_intent.succeeded", '
     b'"data": null}', 200, EventStatus.IGNORED),  # nothing to re-read: not retried forever
])
def test_signed_payloads_that_are_not_usable_events_are_never_a_500(live_server, order, payload,
                                                                    status, stored):
    request = urllib.request.Request(
        f"{live_server.url}/webhooks/stripe/", data=payload,
        headers={"Stripe-Signature": signature_header(payload),
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - local
            code = response.status
    except urllib.error.HTTPError as error:
        code = error.code
    assert code == status
    if stored is None:
        assert not StripeEvent.objects.exists()
    else:
        assert StripeEvent.objects.get(event_id="evt_nodata").status == stored
