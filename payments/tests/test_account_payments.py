"""The account's payments and refunds page (SPEC §7, issue 9): the admin sees payments and
refunds, and refunds the first purchase in full within 15 days behind a confirmation."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from invoices.tests import billing_profile
from payments.models import PaymentMethod, Refund
from payments.services import payment_online_start
from plans import services as plan_services
from plans.models import Order, OrderStatus
from seats import services as seat_services
from seats.models import MemberRole

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

PAID_ON = date(2026, 11, 16)


def at(day):
    return time_machine.travel(datetime(day.year, day.month, day.day, 12,
                                        tzinfo=ZoneInfo("Europe/Warsaw")), tick=False)


@pytest.fixture
def paid(catalogue, client):
    account = seat_services.account_create(name="Acme", package_code="base", country="PL",
                                            trial=False, actor=None, as_of=PAID_ON)
    admin = seat_services.member_invite(account=account, email="boss@acme.example",
                                        role=MemberRole.ADMIN, actor=None, as_of=PAID_ON)
    billing_profile(account)
    order = plan_services.renewal_order_create(account=account, until=(2026, 12), actor=None,
                                               as_of=PAID_ON)
    payment = payment_online_start(order=order, method=PaymentMethod.CARD,
                                   payment_method="pm_card_visa", actor=None, as_of=PAID_ON)
    client.force_login(admin.user)
    return payment


def test_the_admin_refunds_the_first_purchase_after_confirming(paid, client):
    with at(date(2026, 11, 30)):
        page = client.get("/account/payments/").content.decode()
        unconfirmed = client.post(f"/account/payments/{paid.pk}/refund/", {"reason": "No"})
        done = client.post(f"/account/payments/{paid.pk}/refund/",
                           {"reason": "We chose another tool", "confirm": "on"}, follow=True)

    assert 'data-testid="refund-button"' in page and "108.86 PLN" in page
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm the refund." in unconfirmed.content.decode()
    assert "108.86 PLN will be refunded" in done.content.decode()
    refund = Refund.objects.get(payment=paid)
    assert (refund.amount, refund.full) == (Decimal("108.86"), True)
    assert Order.objects.get(pk=paid.order_id).status == OrderStatus.REFUNDED


def test_after_15_days_there_is_no_refund_button_and_a_post_is_refused(paid, client):
    with at(date(2026, 12, 2)):
        page = client.get("/account/payments/").content.decode()
        refused = client.post(f"/account/payments/{paid.pk}/refund/",
                              {"reason": "Late", "confirm": "on"}, follow=True)
    assert 'data-testid="refund-button"' not in page
    assert "within 15 days of payment (until Dec. 1, 2026)" in refused.content.decode()
    assert not Refund.objects.exists()


def test_another_tenants_payment_is_not_found_and_members_are_refused(paid, client,
                                                                      make_account,
                                                                      make_member):
    _other, stranger = make_account("Globex")
    client.force_login(stranger.user)
    with at(date(2026, 11, 20)):
        assert client.post(f"/account/payments/{paid.pk}/refund/",
                           {"reason": "x", "confirm": "on"}).status_code == 404
        user = make_member(paid.account, "user@acme.example", MemberRole.USER)
        client.force_login(user.user)
        assert client.get("/account/payments/").status_code == 403
    assert not Refund.objects.exists()
