"""Applying a paid order exactly once, and bank transfers booked by finance (SPEC §5, issue 9).

Amounts by hand: Base 59 PLN a seat a month, chatbot pack 20 PLN a month, 23 % VAT.
"""

import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import IntegrityError, connection, transaction

from billing_site.errors import DomainError
from invoices.models import Document, DocumentKind
from invoices.services.documents import proforma_issue_for_order
from invoices.tests import billing_profile
from payments import services
from payments.models import (
    OrderApplication,
    Payment,
    PaymentMethod,
    PaymentStatus,
    TransferBooking,
    TransferStatus,
)
from plans import services as plan_services
from plans.models import AccountAddOn, Order, OrderStatus
from seats import services as seat_services
from seats.models import Seat, SeatPeriod

D = Decimal
AS_OF = date(2026, 11, 16)
PAID_ON = date(2026, 11, 18)


def renewal(*, add_seats=1, add_ons=None):
    """An account with two never-paid seats (added 16 Nov, valid until 30 Nov) and invoice data,
    and a pending renewal to the end of December with `add_seats` new seats and `add_ons`."""
    account = seat_services.account_create(name="Acme", package_code="base", country="PL",
                                            trial=False, actor=None, as_of=AS_OF)
    seat_services.seats_add(account=account, count=2, actor=None, as_of=AS_OF)
    billing_profile(account)
    return plan_services.renewal_order_create(account=account, until=(2026, 12),
                                              add_seats=add_seats, add_ons=add_ons or {},
                                              actor=None, as_of=AS_OF)


def paid(order, method=PaymentMethod.CARD):
    return Payment.objects.create(account=order.account, order=order, method=method,
                                  status=PaymentStatus.SUCCEEDED, amount=order.gross,
                                  currency=order.currency)


@pytest.fixture
def finance(db):
    user = get_user_model().objects.create_user("finance@vendor.example", "finance@vendor.example",
                                                "pass-Word-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_transferbooking"))
    return user


# --- applying a paid order -----------------------------------------------------------------------


@pytest.mark.django_db
def test_applying_a_paid_order_extends_the_quoted_seats_adds_packs_and_issues_the_invoice(
        catalogue):
    order = renewal(add_seats=1, add_ons={"chatbot": 2})
    # each seat: 16–30 Nov (15/30) + December = 1.5 × 59 = 88.50; 3 seats 265.50;
    # 2 packs from today: 2 × 20 × 1.5 = 60.00; net 325.50, VAT 74.87, gross 400.37
    assert (order.net, order.gross) == (D("325.50"), D("400.37"))

    application = services.order_apply_paid(payment=paid(order), actor=None, as_of=PAID_ON)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    seats = Seat.objects.filter(account=order.account)
    assert seats.count() == 3
    assert {(s.valid_until, s.paid_through) for s in seats} == {
        (date(2026, 12, 31), date(2026, 12, 31))}
    assert SeatPeriod.objects.filter(order_id=order.pk).count() == 3
    assert AccountAddOn.objects.get(account=order.account).packs == 2
    invoice = application.invoice
    assert (invoice.kind, invoice.order, invoice.gross, invoice.vat_code) == (
        DocumentKind.INVOICE, order, order.gross, "23")


@pytest.mark.django_db
def test_applying_the_same_order_twice_changes_nothing_the_second_time(catalogue):
    order = renewal()
    payment = paid(order)
    first = services.order_apply_paid(payment=payment, actor=None, as_of=PAID_ON)
    periods = SeatPeriod.objects.count()

    second = services.order_apply_paid(payment=payment, actor=None, as_of=PAID_ON)

    assert second.pk == first.pk
    assert SeatPeriod.objects.count() == periods
    assert Document.objects.filter(order=order, kind=DocumentKind.INVOICE).count() == 1
    assert Seat.objects.filter(account=order.account).count() == 3


@pytest.mark.django_db
def test_one_application_per_order_is_backed_by_the_database(catalogue):
    order = renewal()
    application = services.order_apply_paid(payment=paid(order), actor=None, as_of=PAID_ON)
    other = Payment.objects.create(account=order.account, order=order,
                                   method=PaymentMethod.TRANSFER, status=PaymentStatus.FAILED,
                                   amount=order.gross, currency=order.currency)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderApplication.objects.create(order=order, payment=other, applied_on=PAID_ON)
    assert OrderApplication.objects.get(order=order) == application


@pytest.mark.django_db
def test_an_order_that_can_no_longer_be_paid_is_not_applied(catalogue):
    order = renewal()
    seat_services.seats_add(account=order.account, count=1, actor=None, as_of=AS_OF)

    with pytest.raises(DomainError, match="can no longer be paid") as refused:
        services.order_apply_paid(payment=paid(order), actor=None, as_of=PAID_ON)

    assert refused.value.status == 409
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    assert not OrderApplication.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_connections_applying_one_order_apply_it_once(catalogue):
    order = renewal()
    payment = paid(order)
    barrier, outcomes, errors = threading.Barrier(2), [], []

    def apply():
        try:
            barrier.wait()
            outcomes.append(services.order_apply_paid(payment=payment, actor=None,
                                                      as_of=PAID_ON).pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=apply) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(outcomes)) == 1 and len(outcomes) == 2
    assert OrderApplication.objects.count() == 1
    assert Document.objects.filter(order=order, kind=DocumentKind.INVOICE).count() == 1
    assert SeatPeriod.objects.filter(order_id=order.pk).count() == 3


# --- transfers -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_transfer_of_the_exact_gross_books_and_applies_the_order(catalogue, finance):
    order = renewal()
    proforma = proforma_issue_for_order(order=order, actor=None, as_of=AS_OF)

    booking = services.transfer_book(order=order, amount="326.57", received_on=PAID_ON,
                                     reference=f"Zapłata za {proforma.number}", actor=finance,
                                     as_of=PAID_ON)

    assert order.gross == D("326.57")  # 3 seats × 88.50 = 265.50 + 23 % VAT (61.07)
    assert booking.status == TransferStatus.MATCHED
    assert (booking.payment.method, booking.payment.proforma) == (PaymentMethod.TRANSFER,
                                                                   proforma)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert OrderApplication.objects.get(order=order).payment == booking.payment


@pytest.mark.parametrize(("amount", "message"), [
    ("325.50", "The transfer is 1.07 PLN less than the order's 326.57 PLN; nothing was applied."),
    ("400.00", "The transfer is 73.43 PLN more than the order's 326.57 PLN; nothing was applied."),
])
@pytest.mark.django_db
def test_a_transfer_that_does_not_match_the_gross_says_the_difference_and_applies_nothing(
        catalogue, finance, amount, message):
    order = renewal()

    with pytest.raises(DomainError, match=message) as refused:
        services.transfer_book(order=order, amount=amount, received_on=PAID_ON,
                               reference="PF/2026/11/0001", actor=finance, as_of=PAID_ON)

    assert refused.value.field == "amount"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    assert not Payment.objects.exists() and not TransferBooking.objects.exists()
    unmatched = services.transfer_record_unmatched(
        order=order, amount=amount, received_on=PAID_ON, reference="PF/2026/11/0001",
        note="wrong amount", actor=finance, as_of=PAID_ON)
    assert (unmatched.status, unmatched.payment) == (TransferStatus.UNMATCHED, None)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


@pytest.mark.django_db
def test_booking_a_transfer_for_a_paid_order_is_refused(catalogue, finance):
    order = renewal()
    services.transfer_book(order=order, amount=order.gross, received_on=PAID_ON,
                           reference="first", actor=finance, as_of=PAID_ON)
    with pytest.raises(DomainError, match="already paid") as refused:
        services.transfer_book(order=order, amount=order.gross, received_on=PAID_ON,
                               reference="second", actor=finance, as_of=PAID_ON)
    assert refused.value.status == 409
    assert TransferBooking.objects.count() == 1


@pytest.mark.django_db
def test_transfers_api_is_for_finance_staff_and_returns_clear_errors(catalogue, finance, client,
                                                                     staff):
    order = renewal()
    url = f"/api/v1/orders/{order.pk}/transfers/"
    body = {"amount": "326.57", "received_on": "2026-11-18", "reference": "PF/2026/11/0001"}

    with time_machine.travel(datetime(2026, 11, 18, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        client.force_login(staff)  # staff without the booking permission
        assert client.post(url, body, content_type="application/json").status_code == 403
        client.force_login(finance)
        wrong = client.post(url, {**body, "amount": "12.3x"}, content_type="application/json")
        short = client.post(url, {**body, "amount": "325.00"}, content_type="application/json")
        future = client.post(url, {**body, "received_on": "2026-11-19"},
                             content_type="application/json")
        missing = client.post("/api/v1/orders/999999/transfers/", body,
                              content_type="application/json")
        booked = client.post(url, body, content_type="application/json")
        again = client.post(url, body, content_type="application/json")

    assert (wrong.status_code, wrong.json()["amount"]) == (
        400, ["Enter the amount as a number, e.g. 123.45."])
    assert short.status_code == 400 and "1.57 PLN less than" in short.json()["detail"]
    assert future.status_code == 400 and future.json()["received_on"]
    assert missing.status_code == 404
    assert booked.status_code == 201
    assert (booked.json()["status"], booked.json()["order_status"]) == ("matched", "paid")
    assert again.status_code == 409
