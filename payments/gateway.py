"""The one place that talks to Stripe (SPEC §5, §7), through the official `stripe` client.

Configured from the settings on every call, so a test's `settings` fixture takes effect:
`STRIPE_SECRET_KEY`, and `STRIPE_API_BASE` when set (localstripe in tests and the demo; empty:
Stripe itself). `STRIPE_WEBHOOK_SECRET` verifies incoming webhooks.

Shapes. The functions return the `stripe` objects (attribute and key access). What callers may rely
on, on real Stripe and on localstripe alike:
- Customer: `id` ("cus_…"), `email`, `name`, `metadata`.
- PaymentMethod: `id` ("pm_…"), `type`, `customer`, `card.last4`.
- PaymentIntent: `id` ("pi_…"), `status` ("requires_payment_method", "requires_confirmation",
  "requires_action", "processing", "succeeded", "canceled"), `amount` (int, minor units),
  `currency` (lower case, e.g. "pln"), `client_secret` (for Stripe.js on the page), `customer`,
  `payment_method`, `metadata` (str values), `created` (Unix seconds), `last_payment_error`
  (`code`, `message`; see `decline_reason`), `latest_charge`.
- Refund: `id` ("re_…"), `amount` (minor units), `currency`, `status`, `payment_intent`.
Amounts cross this boundary in minor units (grosze, cents): convert with `minor_units` and
`from_minor_units`, never with floats.

Errors. Every failure of a call is a `GatewayError` (a `DomainError`): a card refused by the bank
carries `decline_reason` in plain words (HTTP 402); Stripe unreachable or refusing the request
says so (HTTP 502), with Stripe's own code and message kept for the logs. A webhook with a bad or
missing signature is a `WebhookSignatureError` (HTTP 400).

What localstripe does not do (../shared/localstripe.md): idempotency keys are ignored and there
is no search — the callers' own "one attempt per order, look up before creating" must hold without
them; refunds larger than the charge are accepted — callers refuse them first; events are sent
once, never redelivered.
"""

import logging
from decimal import Decimal
from functools import lru_cache

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from billing_site.errors import DomainError

logger = logging.getLogger(__name__)

# Decimal places of each currency's minor unit, as Stripe counts them (SPEC §2 currencies).
MINOR_UNIT_DIGITS = {"PLN": 2, "EUR": 2, "USD": 2, "CZK": 2}

# Stripe's card error codes (`decline_code` first, then `code`) in plain words. Codes that
# hint at fraud (lost, stolen, fraudulent) read as a plain decline, as Stripe advises.
DECLINE_REASONS = {
    "insufficient_funds": _("Insufficient funds."),
    "expired_card": _("The card has expired."),
    "incorrect_cvc": _("The card's security code is incorrect."),
    "invalid_cvc": _("The card's security code is incorrect."),
    "incorrect_number": _("The card number is incorrect."),
    "invalid_number": _("The card number is incorrect."),
    "invalid_expiry_month": _("The card's expiry date is incorrect."),
    "invalid_expiry_year": _("The card's expiry date is incorrect."),
    "card_velocity_exceeded": _("The card's limit was exceeded."),
    "withdrawal_count_limit_exceeded": _("The card's limit was exceeded."),
    "card_not_supported": _("The card does not support this kind of payment."),
    "currency_not_supported": _("The card does not support this currency."),
    "processing_error": _("The card could not be charged because of an error. Please try again."),
    "authentication_required": _("The bank asks the card holder to confirm the payment."),
    "payment_intent_authentication_failure": _("The card holder did not confirm the payment."),
    "card_declined": _("The card was declined."),
    "generic_decline": _("The card was declined."),
    "do_not_honor": _("The card was declined."),
}
CARD_DECLINED = _("The card was declined.")


def decline_reason_known(text: str):
    """The lazy (translatable) reason whose English or Polish wording is `text` — a reason
    stored as words in the language active when the charge was declined — so that an e-mail can
    give it in each of its languages; `text` itself when it is none of ours."""
    for reason in (*DECLINE_REASONS.values(), CARD_DECLINED):
        for language in ("en", "pl"):
            with translation.override(language):
                if str(reason) == text:
                    return reason
    return text


def decline_reason(code, decline_code=None):
    """A card error in plain words, from Stripe's `decline_code` and `code` (e.g. from a
    PaymentIntent's `last_payment_error`); any code we do not know reads "The card was
    declined."."""
    return DECLINE_REASONS.get(decline_code) or DECLINE_REASONS.get(code) or CARD_DECLINED


class GatewayError(DomainError):
    """A Stripe call failed.

    `decline_reason`: plain words when the card was refused (else None). `stripe_code` /
    `stripe_message`: what Stripe said (for logs and support, not for the person paying).
    `payment_intent_id`: the intent the failed call was about, when known (a declined intent
    stays on record at Stripe with status "requires_payment_method")."""

    def __init__(self, message, *, code="payment_provider_error", status=502, decline_reason=None,
                 stripe_code=None, stripe_message=None, payment_intent_id=None):
        super().__init__(message, code=code, status=status)
        self.decline_reason = decline_reason
        self.stripe_code = stripe_code
        self.stripe_message = stripe_message
        self.payment_intent_id = payment_intent_id


class WebhookSignatureError(GatewayError):
    """An incoming webhook whose signature (or payload) does not check out: refuse it, store
    nothing."""

    def __init__(self, message, *, stripe_message=None):
        super().__init__(message, code="bad_webhook_signature", status=400,
                         stripe_message=stripe_message)


def _gateway_error(error, payment_intent_id=None):
    """A `stripe.StripeError` as a `GatewayError`."""
    body = getattr(error, "error", None)  # Stripe's error object, when it sent one
    # (Stripe objects are not dicts: no `.get`; getattr with a default reads a missing field)
    intent = payment_intent_id or getattr(getattr(body, "payment_intent", None), "id", None)
    stripe_message = getattr(error, "user_message", None) or str(error)
    if isinstance(error, stripe.CardError):
        reason = decline_reason(error.code, getattr(body, "decline_code", None))
        return GatewayError(reason, code="payment_declined", status=402, decline_reason=reason,
                            stripe_code=error.code, stripe_message=stripe_message,
                            payment_intent_id=intent)
    logger.warning("Stripe call failed: %s (%s)", stripe_message, type(error).__name__)
    if isinstance(error, stripe.APIConnectionError):
        message = _("The payment service cannot be reached. Please try again in a moment.")
    else:
        message = _("The payment service refused the request. Please try again later.")
    return GatewayError(message, stripe_code=getattr(error, "code", None),
                        stripe_message=stripe_message, payment_intent_id=intent)


@lru_cache(maxsize=4)
def _client(api_key, api_base):
    base_addresses = {"api": api_base} if api_base else None
    return stripe.StripeClient(api_key, base_addresses=base_addresses)


def client():
    """The `stripe.StripeClient` for the current settings (one per key and base URL)."""
    if not settings.STRIPE_SECRET_KEY:
        raise ImproperlyConfigured(
            "STRIPE_SECRET_KEY is not set (make run starts localstripe when it is empty).")
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE.rstrip("/") or None)


def _currency_digits(currency):
    code = str(currency).upper()
    try:
        return code, MINOR_UNIT_DIGITS[code]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def minor_units(amount: Decimal, currency) -> int:
    """`Decimal("123.45")` PLN → 12345. Refuses (ValueError) an amount with more places than the
    currency has, rather than rounding money silently."""
    _code, digits = _currency_digits(currency)
    scaled = Decimal(amount).scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more than {digits} decimal places")
    return int(scaled)


def from_minor_units(amount_minor: int, currency) -> Decimal:
    """12345 PLN → `Decimal("123.45")` (as many places as the currency has)."""
    _code, digits = _currency_digits(currency)
    return Decimal(int(amount_minor)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def customer_create(email, name, metadata=None):
    """A Stripe Customer (to save cards for off-session payments). Create it once per account
    and keep its `id`: this call is not idempotent."""
    try:
        return client().v1.customers.create(params={
            "email": email, "name": name, "metadata": _str_values(metadata)})
    except stripe.StripeError as e:
        raise _gateway_error(e) from e


def payment_method_attach(pm_id, customer_id):
    """Attach a PaymentMethod ("pm_…", made by Stripe.js on the page) to a Customer so it can be
    charged later. A card the bank refuses to save raises `GatewayError` with `decline_reason`."""
    try:
        return client().v1.payment_methods.attach(pm_id, params={"customer": customer_id})
    except stripe.StripeError as e:
        raise _gateway_error(e) from e


def payment_intent_create(amount_minor, currency, *, payment_method=None, customer=None,
                          payment_method_types=("card",), metadata, idempotency_key):
    """A PaymentIntent for `amount_minor` (int, minor units) in `currency` ("PLN"…), not yet
    confirmed: create first, then `payment_intent_confirm`, so that a declined attempt is on
    record with its id (a decline answered to a create-and-confirm carries no intent).

    `metadata` must identify what is paid (e.g. `{"order_id": 7}`; values become strings):
    `payment_intents_for_order` finds intents by it. `payment_method_types`: ("card",),
    ("blik",) or ("p24",); BLIK and Przelewy24 are confirmed by Stripe.js on the page with the
    intent's `client_secret`. `idempotency_key`: derived from what is paid and the attempt, so a
    retried request does not charge twice on Stripe (localstripe ignores it)."""
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValueError(f"amount_minor must be a positive int, not {amount_minor!r}")
    code, _digits = _currency_digits(currency)
    params = {
        "amount": amount_minor,
        "currency": code.lower(),
        "payment_method_types": list(payment_method_types),
        "metadata": _str_values(metadata),
    }
    if payment_method:
        params["payment_method"] = payment_method
    if customer:
        params["customer"] = customer
    try:
        return client().v1.payment_intents.create(
            params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as e:
        raise _gateway_error(e) from e


def payment_intent_charge_off_session(amount_minor, currency, *, customer, payment_method,
                                      metadata, idempotency_key):
    """Charge a saved card without the card holder (a recurring renewal, SPEC §6): one
    PaymentIntent created with `off_session=true, confirm=true` for `amount_minor` (int, minor
    units) in `currency` ("PLN"…), on `payment_method` ("pm_…") attached to `customer`
    ("cus_…"). Stripe: https://docs.stripe.com/payments/save-and-reuse#charge-saved-payment-method

    Returns the intent: "succeeded" (charged), "processing", or "requires_action" (the bank
    wants the card holder: localstripe answers so even off-session). Raises `GatewayError`: a
    declined card with `decline_reason` (402; Stripe's off-session 3-D Secure refusal has
    stripe_code "authentication_required" and means the same as "requires_action"); the
    decline's intent stays on record at Stripe, but the error may not name it (localstripe
    never does): find it with `payment_intents_for_order` by `metadata`. `idempotency_key`
    makes a retried request one charge on Stripe; localstripe ignores it, so the caller looks
    up before charging again."""
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValueError(f"amount_minor must be a positive int, not {amount_minor!r}")
    code, _digits = _currency_digits(currency)
    params = {
        "amount": amount_minor, "currency": code.lower(), "payment_method_types": ["card"],
        "customer": customer, "payment_method": payment_method, "off_session": True,
        "confirm": True, "metadata": _str_values(metadata),
    }
    try:
        return client().v1.payment_intents.create(
            params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as e:
        raise _gateway_error(e) from e


def payment_intent_confirm(intent_id):
    """Confirm (charge) a PaymentIntent created with its payment method; returns the intent:
    "succeeded", "processing", or "requires_action" (3-D Secure: the page finishes it with
    Stripe.js and the `client_secret`). A declined card raises `GatewayError` with
    `decline_reason` and `payment_intent_id`; the intent stays on record at Stripe
    ("requires_payment_method", `last_payment_error`). Stripe's off-session "authentication
    required" decline (stripe_code "authentication_required") means the same as
    "requires_action": the card holder has to confirm."""
    try:
        return client().v1.payment_intents.confirm(intent_id)
    except stripe.StripeError as e:
        raise _gateway_error(e, payment_intent_id=intent_id) from e


def payment_intent_retrieve(intent_id):
    """The PaymentIntent as Stripe has it now (webhook handlers re-read it rather than trust the
    event's copy)."""
    try:
        return client().v1.payment_intents.retrieve(intent_id)
    except stripe.StripeError as e:
        raise _gateway_error(e, payment_intent_id=intent_id) from e


def payment_intents_for_order(order_id):
    """Every PaymentIntent whose `metadata.order_id` is `order_id`, oldest first — to find the
    attempt made before a crash, so it is not made twice. Lists all intents and filters, since
    localstripe has neither search nor a metadata filter (Stripe's search would lag by up to a
    minute, which is what this lookup must not do)."""
    wanted = str(order_id)
    try:
        found = [
            intent
            for intent in client().v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
            if getattr(intent.metadata, "order_id", None) == wanted
        ]
    except stripe.StripeError as e:
        raise _gateway_error(e) from e
    return sorted(found, key=lambda intent: intent.created)


def refund_create(payment_intent, amount_minor, idempotency_key):
    """Refund `amount_minor` (int, minor units; None: the whole charge) of a succeeded
    PaymentIntent. The caller refuses more than was paid and not yet refunded first: localstripe
    accepts any amount."""
    if amount_minor is not None and (not isinstance(amount_minor, int) or amount_minor <= 0):
        raise ValueError(f"amount_minor must be a positive int or None, not {amount_minor!r}")
    params = {"payment_intent": payment_intent}
    if amount_minor is not None:
        params["amount"] = amount_minor
    try:
        return client().v1.refunds.create(
            params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as e:
        raise _gateway_error(e, payment_intent_id=payment_intent) from e


def webhook_event(payload: bytes, signature_header: str):
    """The `stripe.Event` of an incoming webhook, once its `Stripe-Signature` header is checked
    against STRIPE_WEBHOOK_SECRET (and its time stamp is at most 5 minutes old). Raises
    `WebhookSignatureError` for a missing or bad signature or a payload that is not an event.
    Shape: `id` ("evt_…", unique: store events by it), `type` ("payment_intent.succeeded"…),
    `data.object` (the object as it was when the event was made; re-read it with
    `payment_intent_retrieve`)."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:  # an empty secret would accept anything anyone signs with it
        raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET is not set.")
    try:
        return stripe.Webhook.construct_event(
            payload, signature_header, secret, api_key=settings.STRIPE_SECRET_KEY or None)
    except stripe.SignatureVerificationError as e:
        raise WebhookSignatureError(_("The webhook signature is not valid."),
                                    stripe_message=str(e)) from e
    except (ValueError, AttributeError, TypeError, KeyError) as e:  # not JSON, not an event
        raise WebhookSignatureError(_("The webhook payload is not a Stripe event."),
                                    stripe_message=str(e)) from e


def _str_values(metadata):
    return {str(key): str(value) for key, value in (metadata or {}).items()}
