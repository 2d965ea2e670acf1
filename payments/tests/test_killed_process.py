"""A process paying an order is killed (SIGKILL) at some moment after Stripe heard of the
attempt; the next reconciliation leaves the order paid exactly once, or unpaid with nothing
charged and a new attempt possible — never two charges, never two invoices (issue 9).

The paying process is a real separate Python process with its own database connection, started
on the test database and the test's localstripe; it is killed as soon as its PaymentIntent
appears at Stripe, after a different delay each round, so the kill lands before the confirmation,
between the confirmation and the commit, or after it.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from invoices.models import DocumentKind
from invoices.tests import billing_profile
from payments import gateway
from payments.models import Payment, PaymentMethod, PaymentStatus
from payments.services import payment_online_start
from payments.services.events import payments_reconcile
from plans import services as plan_services
from plans.models import Order, OrderStatus
from seats import services as seat_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stripe_settings")]

AS_OF = date.today()

PAYER = """
import os, sys, django
from datetime import date
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
django.setup()
from plans.models import Order
from payments.services import payment_online_start
order = Order.objects.get(pk=int(sys.argv[1]))
payment_online_start(order=order, method="card", payment_method="pm_card_visa", actor=None,
                     as_of=date.fromisoformat(sys.argv[2]))
"""


def database_url():
    db = connection.settings_dict
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


def pay_and_kill(order, delay):
    env = {**os.environ, "DATABASE_URL": database_url(),
           "STRIPE_API_BASE": settings.STRIPE_API_BASE,
           "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
           "STRIPE_PUBLISHABLE_KEY": settings.STRIPE_PUBLISHABLE_KEY,
           "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET}
    payer = subprocess.Popen([sys.executable, "-c", PAYER, str(order.pk), AS_OF.isoformat()],
                             cwd=settings.BASE_DIR, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and payer.poll() is None:
        if gateway.payment_intents_for_order(order.pk):
            time.sleep(delay)
            break
        time.sleep(0.005)
    if payer.poll() is None:
        payer.send_signal(signal.SIGKILL)
    payer.wait(timeout=10)


@pytest.fixture
def new_order(catalogue):
    def _make(name):
        account = seat_services.account_create(name=name, package_code="base", country="PL",
                                                trial=False, actor=None, as_of=AS_OF)
        seat_services.seats_add(account=account, count=1, actor=None, as_of=AS_OF)
        billing_profile(account)
        return plan_services.renewal_order_create(account=account,
                                                  until=(AS_OF.year, AS_OF.month), actor=None,
                                                  as_of=AS_OF)
    return _make


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.03, 0.08, 0.3])
def test_a_payer_killed_at_any_moment_is_reconciled_without_a_second_charge(new_order, delay):
    order = new_order(f"Killed {delay}")

    pay_and_kill(order, delay)
    Payment.objects.filter(order=order).update(created_at=timezone.now() - timedelta(hours=1))
    payments_reconcile(as_of=AS_OF)
    payments_reconcile(as_of=AS_OF)  # a second run changes nothing more

    order.refresh_from_db()
    if order.status != OrderStatus.PAID:  # the kill came before Stripe took the money
        assert not [i for i in gateway.payment_intents_for_order(order.pk)
                    if i.status == "succeeded"]
        assert not Payment.objects.filter(order=order, status__in=[
            PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION]).exists()
        retry = payment_online_start(order=order, method=PaymentMethod.CARD,
                                     payment_method="pm_card_visa", actor=None, as_of=AS_OF)
        assert retry.status == PaymentStatus.SUCCEEDED
        order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    succeeded = [i for i in gateway.payment_intents_for_order(order.pk)
                 if i.status == "succeeded"]
    assert len(succeeded) == 1
    assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 1
    assert order.documents.filter(kind=DocumentKind.INVOICE).count() == 1
    assert Order.objects.get(pk=order.pk).application.payment.stripe_payment_intent == \
        succeeded[0].id
