"""Paying an order (SPEC §5, issue 9): `POST /api/v1/orders/{id}/payments/` by card against the
real localstripe over HTTP, BLIK/Przelewy24 currency rules, the pro-forma for a transfer, and the
order with its payments. Amounts: 2 never-paid seats to the end of December = 2 × 88.50 = 177.00
net, 217.71 gross (23 % VAT)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from invoices.models import DocumentKind
from invoices.tests import billing_profile
from payments import gateway
from payments.models import Payment, StripeCustomer
from plans import services as plan_services
from plans.models import Order, OrderStatus
from seats import services as seat_services
from seats.models import MemberRole, Seat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

AS_OF = date(2026, 11, 16)
DECLINED_WHEN_CHARGED = "4000000000000341"
THREE_D_SECURE = "4000002760003184"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 11, 16, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


def card(number):
    """What Stripe.js does on the page: a PaymentMethod from the card's details."""
    return gateway.client().v1.payment_methods.create(params={
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                                 "cvc": "123"}}).id


@pytest.fixture
def shop(catalogue, client):
    """An admin logged in, with a pending renewal of two seats to the end of December."""
    def _make(country="PL"):
        account = seat_services.account_create(name="Acme", package_code="base",
                                                country=country, trial=False, actor=None,
                                                as_of=AS_OF)
        admin = seat_services.member_invite(account=account, email="boss@acme.example",
                                            role=MemberRole.ADMIN, actor=None, as_of=AS_OF)
        seat_services.seats_add(account=account, count=1, actor=None, as_of=AS_OF)
        billing_profile(account)
        order = plan_services.renewal_order_create(account=account, until=(2026, 12),
                                                   actor=admin.user, as_of=AS_OF)
        client.force_login(admin.user)
        return order
    return _make


def pay(client, order, **body):
    return client.post(f"/api/v1/orders/{order.pk}/payments/", body,
                       content_type="application/json")


def test_a_card_payment_applies_the_order_and_issues_the_invoice(shop, client):
    order = shop()
    assert order.gross == Decimal("217.71")

    response = pay(client, order, method="card", payment_method="pm_card_visa")

    body = response.json()
    assert response.status_code == 201
    assert (body["status"], body["amount"], body["currency"]) == ("succeeded", "217.71", "PLN")
    intent = gateway.payment_intent_retrieve(body["stripe_payment_intent"])
    assert (intent.amount, intent.currency, intent.metadata["order_id"]) == (
        21771, "pln", str(order.pk))
    detail = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert detail["status"] == "paid" and detail["invoice"] is not None
    assert {(s.valid_until, s.paid_through) for s in Seat.objects.filter(
        account=order.account)} == {(date(2026, 12, 31), date(2026, 12, 31))}


def test_a_declined_card_says_why_and_applies_nothing(shop, client):
    order = shop()

    response = pay(client, order, method="card", payment_method=card(DECLINED_WHEN_CHARGED))

    body = response.json()
    assert response.status_code == 201
    assert body["status"] == "failed"
    assert body["decline_reason"] == "The card was declined."
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    assert not order.documents.filter(kind=DocumentKind.INVOICE).exists()
    assert Seat.objects.filter(account=order.account, paid_through__isnull=False).count() == 0
    # the next attempt may go ahead: a failed attempt is not in flight
    assert pay(client, order, method="card", payment_method="pm_card_visa").json()[
        "status"] == "succeeded"


def test_three_d_secure_waits_for_the_card_holder_and_a_second_post_reuses_the_attempt(shop,
                                                                                       client):
    order = shop()

    first = pay(client, order, method="card", payment_method=card(THREE_D_SECURE)).json()
    second = pay(client, order, method="card", payment_method="pm_card_visa").json()

    assert first["status"] == "requires_action" and first["client_secret"]
    assert second["id"] == first["id"]
    assert len(gateway.payment_intents_for_order(order.pk)) == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


def test_saving_the_card_creates_the_accounts_customer_once(shop, client):
    order = shop()
    response = pay(client, order, method="card", payment_method=card("4242424242424242"),
                   save_card=True)
    assert response.json()["status"] == "succeeded"
    customer = StripeCustomer.objects.get(account=order.account)
    intent = gateway.payment_intent_retrieve(response.json()["stripe_payment_intent"])
    assert intent.customer == customer.customer_id


@pytest.mark.parametrize(("country", "method", "message"), [
    ("DE", "blik", "BLIK is not available for payments in EUR."),
    ("US", "p24", "Przelewy24 is not available for payments in USD."),
])
def test_a_method_not_offered_in_the_orders_currency_is_refused(shop, client, country, method,
                                                                 message):
    order = shop(country)
    response = pay(client, order, method=method)
    assert (response.status_code, response.json()["method"]) == (400, [message])
    assert not Payment.objects.exists()


def test_a_card_payment_needs_the_card(shop, client):
    response = pay(client, shop(), method="card")
    assert (response.status_code, response.json()["payment_method"]) == (
        400, ["Enter the card details."])


def test_paying_by_transfer_gives_the_proforma_once(shop, client):
    order = shop()

    first = pay(client, order, method="transfer").json()
    second = pay(client, order, method="transfer").json()

    assert first["id"] == second["id"] and first["status"] == "pending"
    proforma = order.documents.get(kind=DocumentKind.PROFORMA)
    assert first["proforma"] == proforma.pk
    assert client.get(f"/api/v1/orders/{order.pk}/").json()["proforma"] == proforma.pk


def test_paying_a_paid_or_void_order_is_refused(shop, client):
    order = shop()
    assert pay(client, order, method="card", payment_method="pm_card_visa").status_code == 201
    again = pay(client, order, method="card", payment_method="pm_card_visa")
    assert (again.status_code, again.json()["code"]) == (409, "order_paid")

    other = plan_services.renewal_order_create(account=order.account, until=(2027, 2),
                                               actor=None, as_of=AS_OF)
    seat_services.seats_add(account=order.account, count=1, actor=None, as_of=AS_OF)
    void = pay(client, other, method="transfer")
    assert (void.status_code, void.json()["code"]) == (409, "order_not_payable")
    assert "the seats or their validity have changed" in void.json()["detail"]


def test_another_tenants_order_is_not_found(shop, client, make_account):
    order = shop()
    _account, stranger = make_account("Globex")
    client.force_login(stranger.user)
    assert pay(client, order, method="transfer").status_code == 404
    assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 404
    assert not Payment.objects.filter(order=order).exists()


@pytest.mark.django_db(transaction=True)
def test_two_pay_clicks_at_once_charge_the_card_once(shop):
    """Two tabs (or a double click) starting a card payment of one order at the same moment:
    the order row serialises them, the second gets the first attempt, Stripe sees one intent."""
    import threading

    from django.db import connection

    from payments.services import payment_online_start

    order = shop()
    barrier, results, errors = threading.Barrier(2), [], []

    def start():
        try:
            barrier.wait()
            results.append(payment_online_start(order=order, method="card",
                                                payment_method="pm_card_visa", actor=None,
                                                as_of=AS_OF).pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and len(set(results)) == 1
    assert len(gateway.payment_intents_for_order(order.pk)) == 1
    assert Payment.objects.filter(order=order).count() == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_the_invoice_of_a_card_payment_says_it_is_paid_and_asks_for_nothing(shop, client):
    from invoices.pdf import document_pdf_data

    order = shop()
    pay(client, order, method="card", payment_method="pm_card_visa")
    invoice = order.documents.get(kind=DocumentKind.INVOICE)

    data = document_pdf_data(invoice)

    assert (invoice.paid_by, invoice.due_date) == ("card", None)
    assert data["paid"] == {"pl": "kartą płatniczą", "en": "by card"}
    assert (data["amount_due"], data["bank"]) == ("0,00", None)


def test_a_proforma_is_due_when_its_order_stops_being_payable(shop, client):
    order = shop()  # quoted 2026-11-16: payable through 2026-11-23
    pay(client, order, method="transfer")
    proforma = order.documents.get(kind=DocumentKind.PROFORMA)
    assert proforma.due_date == order.valid_through == date(2026, 11, 23)
