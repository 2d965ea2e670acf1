"""Refunds (SPEC §7, issue 9), each test named after its rule. Card payments go through the real
localstripe over HTTP. The order: 2 never-paid seats to the end of December = 177.00 net,
217.71 gross (23 % VAT); paid on 2026-11-16."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from billing_site.errors import DomainError
from invoices import selectors as document_selectors
from invoices.tests import billing_profile
from payments.models import PaymentMethod, PaymentStatus, Refund, RefundKind
from payments.services import (
    payment_online_start,
    payment_transfer_start,
    refund_create,
    transfer_book,
)
from plans import services as plan_services
from plans.models import Order, OrderStatus
from seats import services as seat_services
from seats.models import MemberRole, Seat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

PAID_ON = date(2026, 11, 16)
D = Decimal


@pytest.fixture
def account(catalogue):
    account = seat_services.account_create(name="Acme", package_code="base", country="PL",
                                            trial=False, actor=None, as_of=PAID_ON)
    seat_services.seats_add(account=account, count=2, actor=None, as_of=PAID_ON)
    billing_profile(account)
    return account


def seat_dates(account):
    return sorted(Seat.objects.filter(account=account).values_list("id", "valid_until",
                                                                   "paid_through"))


def card_payment(account, until=(2026, 12), as_of=PAID_ON):
    order = plan_services.renewal_order_create(account=account, until=until, actor=None,
                                               as_of=as_of)
    payment = payment_online_start(order=order, method=PaymentMethod.CARD,
                                   payment_method="pm_card_visa", actor=None, as_of=as_of)
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


def test_first_purchase_is_refunded_in_full_by_the_admin_within_15_days(account):
    before = seat_dates(account)
    payment = card_payment(account)
    assert payment.amount == D("217.71")

    refund = refund_create(payment=payment, reason="Changed our mind", by_finance=False,
                           actor=None, as_of=PAID_ON + timedelta(days=15))

    assert (refund.amount, refund.full, refund.kind) == (D("217.71"), True, RefundKind.STRIPE)
    assert refund.stripe_refund.startswith("re_")
    difference = document_selectors.document_difference(refund.correction)
    assert difference.gross == D("-217.71")
    assert seat_dates(account) == before  # the seats are back where they were
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.REFUNDED


def test_first_purchase_cannot_be_refunded_by_the_admin_after_15_days(account):
    payment = card_payment(account)
    with pytest.raises(DomainError, match="within 15 days of payment") as refused:
        refund_create(payment=payment, reason="Too late", by_finance=False, actor=None,
                      as_of=PAID_ON + timedelta(days=16))
    assert refused.value.status == 409
    assert not Refund.objects.exists()


def test_only_the_first_purchase_can_be_refunded_by_the_admin(account):
    card_payment(account)
    later = card_payment(account, until=(2027, 1))
    with pytest.raises(DomainError, match="Only the account's first purchase"):
        refund_create(payment=later, reason="Second thoughts", by_finance=False, actor=None,
                      as_of=PAID_ON)
    assert not Refund.objects.exists()


def test_the_admin_refunds_the_first_purchase_in_full_only(account):
    payment = card_payment(account)
    with pytest.raises(DomainError, match="in full only"):
        refund_create(payment=payment, amount="100.00", reason="Half", by_finance=False,
                      actor=None, as_of=PAID_ON)
    assert not Refund.objects.exists()


def test_finance_refunds_part_of_a_payment_with_a_correction_of_that_amount(account):
    payment = card_payment(account)
    paid_dates = seat_dates(account)

    refund = refund_create(payment=payment, amount="50.00", reason="Goodwill", by_finance=True,
                           actor=None, as_of=PAID_ON + timedelta(days=40))

    assert (refund.amount, refund.full) == (D("50.00"), False)
    assert document_selectors.document_difference(refund.correction).gross == D("-50.00")
    assert seat_dates(account) == paid_dates  # a part refund keeps the seats
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PARTLY_REFUNDED
    rest = refund_create(payment=payment, reason="The rest", by_finance=True, actor=None,
                         as_of=PAID_ON + timedelta(days=41))
    assert (rest.amount, rest.full) == (D("167.71"), True)
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.REFUNDED


def test_refunding_more_than_was_paid_is_refused(account):
    payment = card_payment(account)
    refund_create(payment=payment, amount="200.00", reason="Most", by_finance=True, actor=None,
                  as_of=PAID_ON)
    with pytest.raises(DomainError, match="At most 17.71 PLN of this payment can still be "
                                          "refunded.") as refused:
        refund_create(payment=payment, amount="17.72", reason="Too much", by_finance=True,
                      actor=None, as_of=PAID_ON)
    assert refused.value.field == "amount"
    assert Refund.objects.count() == 1


def test_refunding_a_payment_twice_in_full_is_refused(account):
    payment = card_payment(account)
    refund_create(payment=payment, reason="All", by_finance=True, actor=None, as_of=PAID_ON)
    with pytest.raises(DomainError, match="already been refunded in full") as refused:
        refund_create(payment=payment, reason="Again", by_finance=True, actor=None,
                      as_of=PAID_ON)
    assert refused.value.status == 409


def test_a_transfer_is_refunded_to_the_payers_bank_account(account):
    order = plan_services.renewal_order_create(account=account, until=(2026, 12), actor=None,
                                               as_of=PAID_ON)
    payment_transfer_start(order=order, actor=None, as_of=PAID_ON)
    booking = transfer_book(order=order, amount=order.gross, received_on=PAID_ON,
                            reference="PF/2026/11/0001", actor=None, as_of=PAID_ON)

    with pytest.raises(DomainError, match="Enter the bank account"):
        refund_create(payment=booking.payment, reason="Paid twice", by_finance=True,
                      actor=None, as_of=PAID_ON)
    refund = refund_create(payment=booking.payment, reason="Paid twice", by_finance=True,
                           bank_account="PL61109010140000071219812874", actor=None,
                           as_of=PAID_ON)

    assert (refund.kind, refund.bank_account, refund.full) == (
        RefundKind.BANK, "PL61109010140000071219812874", True)


def test_refund_api_scopes_the_payment_and_lets_only_finance_staff_refund_freely(account, client,
                                                                               make_account):
    payment = card_payment(account)
    admin = seat_services.member_invite(account=account, email="boss@acme.example",
                                        role=MemberRole.ADMIN, actor=None, as_of=PAID_ON)
    _other, stranger = make_account("Globex")
    staff = get_user_model().objects.create_user("ops@v.example", "ops@v.example", "pw",
                                                 is_staff=True)
    finance = get_user_model().objects.create_user("fin@v.example", "fin@v.example", "pw",
                                                   is_staff=True)
    finance.user_permissions.add(Permission.objects.get(codename="add_refund"))
    url = f"/api/v1/payments/{payment.pk}/refunds/"

    def post(user, **body):
        client.force_login(user)
        with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                                 tick=False):
            return client.post(url, {"reason": "test", **body}, content_type="application/json")

    assert post(stranger.user).status_code == 404
    assert post(staff).status_code == 403
    part = post(admin.user, amount="10.00")
    assert (part.status_code, part.json()["amount"]) == (400, ["The first purchase is refunded "
                                                               "in full only."])
    done = post(finance, amount="10.00")
    assert (done.status_code, done.json()["amount"], done.json()["order_status"]) == (
        201, "10.00", "partly_refunded")


def test_a_purchase_that_later_renewals_build_on_is_not_refunded_in_full(account):
    first = card_payment(account)
    card_payment(account, until=(2027, 3))
    extended = seat_dates(account)

    with pytest.raises(DomainError, match="refund the later purchases first") as refused:
        refund_create(payment=first, reason="Mistake", by_finance=True, actor=None,
                      as_of=PAID_ON)

    assert refused.value.status == 409
    assert seat_dates(account) == extended and not Refund.objects.exists()
    part = refund_create(payment=first, amount="10.00", reason="Goodwill", by_finance=True,
                         actor=None, as_of=PAID_ON)
    assert part.full is False and seat_dates(account) == extended


@pytest.mark.parametrize("amount", ["", "1e3", "-5", "12.345", "99999999999999999999"])
def test_a_refund_amount_that_is_not_an_amount_is_refused(account, amount):
    payment = card_payment(account)
    with pytest.raises(DomainError) as refused:
        refund_create(payment=payment, amount=amount, reason="x", by_finance=True, actor=None,
                      as_of=PAID_ON)
    assert refused.value.field == "amount"
    assert not Refund.objects.exists()
