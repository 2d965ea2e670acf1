"""Building accounts with a saved card in localstripe for the recurring payment tests."""

from datetime import date

from invoices.tests import billing_profile
from payments import gateway
from payments.models import StripeCustomer
from payments.services.cards import saved_card_store
from seats import services as seat_services
from seats.models import MemberRole, Seat
from seats.tests.helpers import seats_pay_through

CREATED = date(2026, 11, 2)
VALID_UNTIL = date(2026, 12, 31)
VISA = "4242424242424242"
DECLINED_WHEN_CHARGED = "4000000000000341"
THREE_D_SECURE = "4000002760003184"


def save_card(account, number, *, recurring=True, as_of=CREATED):
    """What paying with "enable recurring payments" leaves: a Stripe Customer with the card
    attached, kept as the account's saved card."""
    customer = gateway.customer_create("admin@example.com", account.name,
                                       {"account_id": account.pk})
    stored = StripeCustomer.objects.create(account=account, customer_id=customer.id)
    method = gateway.client().v1.payment_methods.create(params={
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                                 "cvc": "123"}})
    attached = gateway.payment_method_attach(method.id, customer.id)
    return saved_card_store(account=account, customer=stored, payment_method=attached,
                            recurring=recurring, actor=None, as_of=as_of)


def account_with_card(name, number=VISA, *, recurring=True, valid_until=VALID_UNTIL):
    """An account (PL, invoice data) with its admin and one more seat, all paid through
    `valid_until`, and a saved card."""
    account = seat_services.account_create(name=name, package_code="base", country="PL",
                                           trial=False, actor=None, as_of=CREATED)
    seat_services.member_invite(account=account, email=f"boss@{name.lower()}.example",
                                role=MemberRole.ADMIN, actor=None, as_of=CREATED)
    seat_services.seats_add(account=account, count=1, actor=None, as_of=CREATED)
    billing_profile(account)
    seats_pay_through(Seat.objects.filter(account=account), valid_until, as_of=CREATED)
    save_card(account, number, recurring=recurring)
    return account


def intents_of(order_id):
    return gateway.payment_intents_for_order(order_id)
