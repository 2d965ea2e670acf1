"""The Stripe gateway over HTTP against a real localstripe (no mocks): cards, declines, 3-D Secure,
lookup by order, refunds, webhook signatures and delivery."""

import hashlib
import hmac
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from payments import gateway
from payments.gateway import GatewayError, WebhookSignatureError
from payments.localstripe import free_port

from .conftest import STRIPE_WEBHOOK_SECRET

DECLINED_WHEN_CHARGED = "4000000000000341"
THREE_D_SECURE = "4000002760003184"

pytestmark = pytest.mark.usefixtures("stripe_settings")


def card_payment_method(number):
    """What Stripe.js does on the payment page: a PaymentMethod from the card's details."""
    return gateway.client().v1.payment_methods.create(params={
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
    })


def customer_with_card(number):
    customer = gateway.customer_create("admin@acme.example", "Acme sp. z o.o.", {"account_id": 1})
    card = card_payment_method(number)
    gateway.payment_method_attach(card.id, customer.id)
    return customer, card


def create_intent(order_id, amount_minor=12345, **kwargs):
    kwargs.setdefault("payment_method", "pm_card_visa")
    return gateway.payment_intent_create(
        amount_minor, "PLN", metadata={"order_id": order_id},
        idempotency_key=f"order-{order_id}-attempt-1", **kwargs)


def signature_header(payload: bytes, secret=STRIPE_WEBHOOK_SECRET, timestamp=None):
    """`Stripe-Signature` as Stripe builds it: t=<unix time>,v1=HMAC-SHA256(secret, "t.payload")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# amounts


def test_minor_units_of_two_decimal_currencies_and_back():
    for currency in ("PLN", "EUR", "USD", "CZK", "pln"):
        assert gateway.minor_units(Decimal("123.45"), currency) == 12345
        assert gateway.from_minor_units(12345, currency) == Decimal("123.45")
    assert gateway.minor_units(Decimal("7"), "EUR") == 700
    assert str(gateway.from_minor_units(700, "EUR")) == "7.00"


def test_minor_units_refuses_fractions_of_a_grosz_and_unknown_currencies():
    with pytest.raises(ValueError, match="decimal places"):
        gateway.minor_units(Decimal("0.001"), "PLN")
    with pytest.raises(ValueError, match="unknown currency"):
        gateway.minor_units(Decimal("1.00"), "JPY")


def test_decline_codes_read_in_plain_words():
    assert gateway.decline_reason("card_declined", "insufficient_funds") == "Insufficient funds."
    assert gateway.decline_reason("card_declined") == "The card was declined."
    assert gateway.decline_reason("expired_card") == "The card has expired."
    assert gateway.decline_reason("card_declined", "stolen_card") == "The card was declined."


# customers and cards


def test_customer_create():
    customer = gateway.customer_create("admin@acme.example", "Acme sp. z o.o.", {"account_id": 7})

    assert customer.id.startswith("cus_")
    assert customer.email == "admin@acme.example"
    assert customer.metadata["account_id"] == "7"


def test_card_payment_succeeds_for_the_amount_in_minor_units_with_the_order_in_metadata():
    amount = gateway.minor_units(Decimal("1230.50"), "PLN")
    intent = create_intent(41, amount_minor=amount)
    assert intent.status == "requires_confirmation"

    confirmed = gateway.payment_intent_confirm(intent.id)

    assert confirmed.status == "succeeded"
    again = gateway.payment_intent_retrieve(intent.id)
    assert (again.status, again.amount, again.currency) == ("succeeded", 123050, "pln")
    assert again.metadata["order_id"] == "41"
    assert again.client_secret.startswith(intent.id)


def test_declined_card_raises_a_plain_reason_and_the_attempt_stays_on_record():
    customer, card = customer_with_card(DECLINED_WHEN_CHARGED)  # attaching it succeeds
    intent = create_intent(42, payment_method=card.id, customer=customer.id)

    with pytest.raises(GatewayError) as declined:
        gateway.payment_intent_confirm(intent.id)

    error = declined.value
    assert error.decline_reason == "The card was declined."
    assert str(error) == "The card was declined."
    assert (error.status, error.code, error.stripe_code) == (402, "payment_declined",
                                                             "card_declined")
    assert error.payment_intent_id == intent.id
    [on_record] = gateway.payment_intents_for_order(42)
    assert on_record.id == intent.id
    assert on_record.status == "requires_payment_method"
    assert gateway.decline_reason(on_record.last_payment_error.code) == "The card was declined."


def test_three_d_secure_card_requires_action():
    customer, card = customer_with_card(THREE_D_SECURE)
    intent = create_intent(43, payment_method=card.id, customer=customer.id)

    confirmed = gateway.payment_intent_confirm(intent.id)

    assert confirmed.status == "requires_action"
    assert confirmed.client_secret  # the page finishes it with Stripe.js


class _StripeStub(BaseHTTPRequestHandler):
    """Stands in for Stripe where localstripe cannot (BLIK, Przelewy24, idempotency keys): records
    the request and answers a PaymentIntent awaiting the page."""

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.requests.append((self.path, parse_qs(body), dict(self.headers)))
        answer = json.dumps({"id": "pi_stub", "object": "payment_intent",
                             "status": "requires_payment_method", "amount": 5000,
                             "currency": "pln", "metadata": {}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def stripe_stub(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StripeStub)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("method", "currency"), [("blik", "PLN"), ("p24", "EUR")])
def test_blik_and_p24_intents_ask_stripe_for_the_method(stripe_stub, method, currency):
    """localstripe knows only cards and SEPA: check the request the project sends Stripe."""
    intent = gateway.payment_intent_create(
        5000, currency, payment_method_types=(method,), metadata={"order_id": 44},
        idempotency_key="order-44-attempt-1")

    assert intent.id == "pi_stub"
    [(path, form, headers)] = stripe_stub.requests
    assert path == "/v1/payment_intents"
    assert form == {"amount": ["5000"], "currency": [currency.lower()],
                    "payment_method_types[0]": [method], "metadata[order_id]": ["44"]}
    assert headers["Idempotency-Key"] == "order-44-attempt-1"
    assert headers["Authorization"] == "Bearer sk_test_localstripe"


# lookup, refunds


def test_payment_intents_for_order_finds_its_intents_by_metadata_across_pages():
    first = create_intent(7)
    for other in range(105):  # more than one page of the list
        create_intent(1000 + other)
    second = create_intent(7)

    found = gateway.payment_intents_for_order(7)

    assert [intent.id for intent in found] == [first.id, second.id]
    assert gateway.payment_intents_for_order(8) == []


def test_part_of_a_charge_is_refunded():
    intent = create_intent(45, amount_minor=10000)
    gateway.payment_intent_confirm(intent.id)

    refund = gateway.refund_create(intent.id, 2500, idempotency_key="refund-45-1")

    assert refund.id.startswith("re_")
    assert (refund.amount, refund.currency, refund.status) == (2500, "pln", "succeeded")


def test_refund_of_a_declined_payment_is_a_gateway_error():
    customer, card = customer_with_card(DECLINED_WHEN_CHARGED)
    intent = create_intent(46, payment_method=card.id, customer=customer.id)
    with pytest.raises(GatewayError):
        gateway.payment_intent_confirm(intent.id)

    with pytest.raises(GatewayError) as refused:
        gateway.refund_create(intent.id, None, idempotency_key="refund-46-1")

    assert refused.value.decline_reason is None
    assert refused.value.status == 502


def test_unreachable_stripe_is_a_gateway_error(settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(GatewayError) as unreachable:
        gateway.payment_intent_retrieve("pi_missing")

    assert "cannot be reached" in str(unreachable.value)


# webhooks


def test_webhook_event_accepts_a_payload_signed_with_the_secret():
    payload = json.dumps({
        "id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_1", "object": "payment_intent"}},
    }).encode()

    event = gateway.webhook_event(payload, signature_header(payload))

    assert (event.id, event.type, event.data.object.id) == ("evt_1", "payment_intent.succeeded",
                                                            "pi_1")


@pytest.mark.parametrize("header", [
    pytest.param(lambda payload: signature_header(payload, secret="whsec_x"), id="other-secret"),
    pytest.param(lambda payload: signature_header(payload + b" "), id="other-payload"),
    pytest.param(lambda payload: signature_header(payload, timestamp=int(time.time()) - 3600),
                 id="an-hour-old"),
    pytest.param(lambda payload: "", id="missing"),
])
def test_webhook_event_rejects_a_bad_signature(header):
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "x"}).encode()

    with pytest.raises(WebhookSignatureError) as rejected:
        gateway.webhook_event(payload, header(payload))

    assert rejected.value.status == 400


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((body, self.headers.get("Stripe-Signature")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_receiver(localstripe_server):
    """A tiny local endpoint registered with localstripe, recording what it POSTs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe/"
    localstripe_server.register_webhook("test-receiver", url, STRIPE_WEBHOOK_SECRET)
    yield server
    localstripe_server.register_webhook("test-receiver", url, STRIPE_WEBHOOK_SECRET, events=[])
    server.shutdown()
    server.server_close()


def test_registered_webhook_receives_payment_intent_succeeded(webhook_receiver):
    intent = create_intent(47)
    gateway.payment_intent_confirm(intent.id)

    def events_of_this_intent():  # earlier tests' events may still arrive (sent after ~1 s)
        events = [gateway.webhook_event(body, header) for body, header in webhook_receiver.received]
        return [event for event in events if event.data.object.id == intent.id]

    deadline = time.monotonic() + 5
    while not events_of_this_intent() and time.monotonic() < deadline:
        time.sleep(0.05)

    [event] = events_of_this_intent()
    assert event.type == "payment_intent.succeeded"
    assert event.data.object.metadata["order_id"] == "47"
