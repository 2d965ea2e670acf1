"""Recurring charges from real separate processes against the test's localstripe (issue 11):
the job run twice at once charges every card once; a worker SIGKILLed after Stripe confirmed the
charge and before its commit is reconciled by the next run without a second charge."""

import email
import os
import subprocess
import sys
from datetime import date
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.conf import settings

from dunning.models import RecurringCharge, RecurringChargeStatus
from dunning.services.recurring import account_valid_until, recurring_charges_run
from invoices.models import DocumentKind
from payments import gateway
from payments.models import OrderApplication, Payment, PaymentStatus
from plans.models import OrderStatus

from .recurring_helpers import DECLINED_WHEN_CHARGED, VISA, account_with_card
from .test_sweep_parallel import database_url

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("stripe_settings", "catalogue")]

AS_OF = date(2026, 12, 30)

# a worker that dies (SIGKILL) right after Stripe answered the off-session charge, before its
# transaction commits: the charge is made at Stripe, nothing of it is in the database
KILLED_AFTER_CHARGE = """
import os, signal, sys, django
from datetime import date
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
django.setup()
from payments import gateway
real = gateway.payment_intent_charge_off_session
def charge_then_die(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
gateway.payment_intent_charge_off_session = charge_then_die
from dunning.services.recurring import recurring_charges_run
recurring_charges_run(as_of=date.fromisoformat(sys.argv[1]))
"""


def environment(mail_dir: Path):
    return {**os.environ, "DATABASE_URL": database_url(),
            "EMAIL_URL": f"filemail:///{mail_dir}",
            "STRIPE_API_BASE": settings.STRIPE_API_BASE,
            "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": settings.STRIPE_PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET}


# the real command, in a process whose clock reads the morning of AS_OF (the command refuses
# to charge for a day still to come)
JOB_ON_AS_OF = """
import os, sys, time_machine
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
from datetime import datetime
from zoneinfo import ZoneInfo
day = datetime.fromisoformat(sys.argv[1]).replace(hour=6, tzinfo=ZoneInfo("Europe/Warsaw"))
with time_machine.travel(day, tick=True):
    from django.core.management import execute_from_command_line
    execute_from_command_line(["manage.py", "charge_recurring", "--as-of", sys.argv[1]])
"""


def start_job(mail_dir: Path):
    return subprocess.Popen(
        [sys.executable, "-c", JOB_ON_AS_OF, AS_OF.isoformat()],
        cwd=settings.BASE_DIR, env=environment(mail_dir), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)


def subjects(mail_dir: Path) -> list[str]:
    """The decoded subjects of every message the file backend wrote (a Polish subject is
    MIME-encoded and may be folded over lines)."""
    found = []
    for path in mail_dir.glob("*.log"):
        for raw in path.read_text().split("-" * 79):
            if raw.strip():
                message = email.message_from_string(raw.strip() + "\n")
                found.append(str(make_header(decode_header(message["Subject"] or ""))))
    return found


def succeeded_charges() -> list:
    """Every charge localstripe made that took money."""
    return [charge for charge in gateway.client().v1.charges.list(
        params={"limit": 100}).auto_paging_iter() if charge.status == "succeeded"]


def test_two_jobs_at_once_charge_every_card_once(tmp_path):
    paying = [account_with_card(f"Paying{i}", VISA) for i in range(6)]
    declined = [account_with_card(f"Declined{i}", DECLINED_WHEN_CHARGED) for i in range(2)]

    first, second = start_job(tmp_path), start_job(tmp_path)
    for process in (first, second):
        _out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err.decode()

    charges = RecurringCharge.objects.all()
    assert charges.count() == 8
    for charge in charges:
        assert len(gateway.payment_intents_for_order(charge.order_id)) == 1, charge
        assert Payment.objects.filter(order_id=charge.order_id).count() == 1
        assert charge.attempts == 1
    assert len(succeeded_charges()) == 6
    for account in paying:
        charge = RecurringCharge.objects.get(account=account)
        assert charge.status == RecurringChargeStatus.SUCCEEDED
        assert account_valid_until(account.pk) == date(2027, 1, 31)
    for account in declined:
        assert RecurringCharge.objects.get(account=account).next_attempt_on == date(2026, 12, 31)
    # each decline e-mailed once (in Polish, then English)
    assert len([s for s in subjects(tmp_path) if "was declined" in s]) == 2
    # and a third run the same day changes nothing
    again = recurring_charges_run(as_of=AS_OF)
    assert (again.opened, again.succeeded, again.declined) == (0, 0, 0)
    assert len(succeeded_charges()) == 6


def test_a_worker_killed_after_stripe_charged_is_reconciled_without_a_second_charge(tmp_path):
    account = account_with_card("Acme", VISA)

    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_CHARGE, AS_OF.isoformat()],
                            cwd=settings.BASE_DIR, env=environment(tmp_path),
                            capture_output=True, timeout=120, check=False)

    assert killed.returncode == -9, killed.stderr.decode()
    charge = RecurringCharge.objects.get(account=account)  # committed before the charge
    assert (charge.status, charge.attempts) == (RecurringChargeStatus.DUE, 0)
    assert not Payment.objects.exists()  # rolled back with the worker's transaction
    [intent] = gateway.payment_intents_for_order(charge.order_id)
    assert intent.status == "succeeded"
    assert len(succeeded_charges()) == 1

    result = recurring_charges_run(as_of=AS_OF)

    assert result.succeeded == 1
    charge.refresh_from_db()
    assert (charge.status, charge.attempts) == (RecurringChargeStatus.SUCCEEDED, 1)
    [payment] = Payment.objects.filter(order_id=charge.order_id)
    assert (payment.status, payment.stripe_payment_intent) == (PaymentStatus.SUCCEEDED,
                                                                intent.id)
    application = OrderApplication.objects.get(order_id=charge.order_id)
    assert application.order.status == OrderStatus.PAID
    assert application.invoice.kind == DocumentKind.INVOICE
    assert account_valid_until(account.pk) == date(2027, 1, 31)
    assert len(gateway.payment_intents_for_order(charge.order_id)) == 1
    assert len(succeeded_charges()) == 1
    # the next days change nothing either
    recurring_charges_run(as_of=date(2026, 12, 31))
    assert len(succeeded_charges()) == 1
