"""Recurring card payments at fixed dates against a private localstripe over HTTP (SPEC §6,
issue 11): a saved card is charged the day before the validity ends and the order applied; a
declined card is retried on +1, +3, +5 days, never beyond the grace window, with an e-mail each
time; a card that needs its holder gets an e-mail with a link to pay the same order."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from catalogue.models import BillingPolicy
from dunning.models import (
    Notice,
    NoticeKind,
    RecurringAttempt,
    RecurringCharge,
    RecurringChargeStatus,
)
from dunning.services.recurring import (
    account_valid_until,
    recurring_charges_run,
    recurring_next_charge_on,
    recurring_payments_set,
    retry_dates,
)
from dunning.tasks import charge_recurring
from invoices.models import Document, DocumentKind
from payments.models import OrderApplication, Payment, PaymentStatus, SavedCard
from plans.models import Order, OrderStatus
from seats.models import BillingPeriod, Seat
from seats.tests.helpers import seats_pay_through

from .recurring_helpers import (
    DECLINED_WHEN_CHARGED,
    THREE_D_SECURE,
    VALID_UNTIL,
    account_with_card,
    intents_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "catalogue")]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the job for a day (the clock set to that day too), sending its e-mails on commit."""
    def _run(day, **kwargs):
        with time_machine.travel(datetime(day.year, day.month, day.day, 6,
                                          tzinfo=ZoneInfo("Europe/Warsaw")), tick=False), \
                django_capture_on_commit_callbacks(execute=True):
            return recurring_charges_run(as_of=day, **kwargs)
    return _run


def days(first, last):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def test_the_saved_card_is_charged_the_day_before_the_validity_ends_and_the_order_applied(run):
    account = account_with_card("Acme")
    assert run(date(2026, 12, 29)).opened == 0  # two days before: not yet

    result = run(date(2026, 12, 30))

    assert (result.opened, result.succeeded) == (1, 1)
    charge = RecurringCharge.objects.get(account=account)
    assert (charge.status, charge.renews_from, charge.period_end, charge.attempts) == (
        RecurringChargeStatus.SUCCEEDED, VALID_UNTIL, date(2027, 1, 31), 1)
    order = Order.objects.get(pk=charge.order_id)
    assert order.status == OrderStatus.PAID
    assert account_valid_until(account.pk) == date(2027, 1, 31)
    application = OrderApplication.objects.get(order=order)
    assert Document.objects.filter(pk=application.invoice_id, kind=DocumentKind.INVOICE).exists()
    [intent] = intents_of(order.pk)
    assert intent.status == "succeeded" and intent.amount == int(order.gross * 100)
    # the same day again, and the next day: nothing more is charged
    assert run(date(2026, 12, 30)).succeeded == 0
    assert run(date(2026, 12, 31)).opened == 0
    assert len(intents_of(order.pk)) == 1
    assert Payment.objects.filter(order=order).count() == 1


def test_annual_billing_renews_twelve_months(run):
    account = account_with_card("Acme")
    account.billing_period = BillingPeriod.ANNUAL
    account.save(update_fields=["billing_period"])
    run(date(2026, 12, 30))
    charge = RecurringCharge.objects.get(account=account)
    assert charge.period_end == date(2027, 12, 31)
    assert account_valid_until(account.pk) == date(2027, 12, 31)


def test_dry_run_reports_and_changes_nothing(run):
    account = account_with_card("Acme")
    result = run(date(2026, 12, 30), dry_run=True)
    assert result.opened == 1
    assert f"account {account.pk}: would order the renewal of 2026-12-31 to 2027-01-31" in \
        result.report()
    assert not RecurringCharge.objects.exists() and not Order.objects.exists()


def test_a_declined_card_is_retried_on_days_1_3_5_with_an_email_each_time(run, mailoutbox):
    account = account_with_card("Acme", DECLINED_WHEN_CHARGED)

    attempted = [day for day in days(date(2026, 12, 28), date(2027, 1, 20))
                 if run(day).declined]

    assert attempted == [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 2),
                         date(2027, 1, 4)]
    charge = RecurringCharge.objects.get(account=account)
    assert (charge.status, charge.attempts, charge.next_attempt_on) == (
        RecurringChargeStatus.FAILED, 4, None)
    attempts = list(RecurringAttempt.objects.filter(charge=charge).order_by("number"))
    assert [a.next_attempt_on for a in attempts] == [
        date(2026, 12, 31), date(2027, 1, 2), date(2027, 1, 4), None]
    assert {a.decline_reason for a in attempts} == {"The card was declined."}
    # one intent per attempt, none succeeded; the order that expired at the month's end was
    # quoted again for the same period
    orders = Order.objects.filter(account=account).order_by("pk")
    intents = [i for order in orders for i in intents_of(order.pk)]
    assert len(intents) == 4 and all(i.status == "requires_payment_method" for i in intents)
    assert {o.quote["valid_until"] for o in orders} == {"2027-01-31"}
    assert account_valid_until(account.pk) == VALID_UNTIL
    notices = Notice.objects.filter(account=account, kind=NoticeKind.RECURRING_DECLINED)
    assert notices.count() == 4 and all(n.sent_at for n in notices)
    declined = [m for m in mailoutbox if "was declined" in m.subject]
    assert len(declined) == 4
    assert "The card was declined." in declined[0].body
    assert "We will try the card again on" in declined[0].body
    assert "This was the last attempt" in declined[-1].body
    assert f"/account/orders/{charge.order_id}/pay/" in declined[-1].body


def test_the_decline_reason_is_given_in_each_language_of_the_email(run, mailoutbox):
    """QA: a charge declined while Polish was active wrote the Polish reason into the English
    half of the e-mail too."""
    from django.utils import translation

    account_with_card("Acme", DECLINED_WHEN_CHARGED)
    with translation.override("pl"):
        run(date(2026, 12, 30))
    [message] = [m for m in mailoutbox if "was declined" in m.subject]
    polish, english = message.body.split("-----", 1)
    assert "Karta została odrzucona." in polish
    assert "The card was declined." in english and "odrzucona" not in english


def test_retries_never_go_beyond_the_grace_window(run):
    """Recurring turned on late: the first attempt 3 days after the validity ended; the +5 retry
    would fall after the grace window (7 days) and is not made."""
    account = account_with_card("Acme", DECLINED_WHEN_CHARGED, recurring=False)
    SavedCard.objects.filter(account=account).update(recurring=True)

    attempted = [day for day in days(date(2027, 1, 3), date(2027, 1, 20)) if run(day).declined]

    assert attempted == [date(2027, 1, 3), date(2027, 1, 4), date(2027, 1, 6)]
    charge = RecurringCharge.objects.get(account=account)
    assert (charge.status, charge.attempts) == (RecurringChargeStatus.FAILED, 3)


def test_retry_dates_are_cut_at_the_end_of_the_grace_window():
    policy = BillingPolicy()  # defaults: retries +1, +3, +5; grace 7 days
    assert retry_dates(first_attempt_on=date(2026, 12, 30), renews_from=VALID_UNTIL,
                       policy=policy) == [date(2026, 12, 31), date(2027, 1, 2), date(2027, 1, 4)]
    assert retry_dates(first_attempt_on=date(2027, 1, 5), renews_from=VALID_UNTIL,
                       policy=policy) == [date(2027, 1, 6)]


def test_a_card_that_needs_its_holder_gets_an_email_with_a_link_to_pay_the_same_order(
        run, mailoutbox):
    account = account_with_card("Acme", THREE_D_SECURE)

    result = run(date(2026, 12, 30))

    assert result.needs_authentication == 1
    charge = RecurringCharge.objects.get(account=account)
    assert charge.status == RecurringChargeStatus.AUTHENTICATION
    payment = Payment.objects.get(order_id=charge.order_id)
    assert payment.status == PaymentStatus.REQUIRES_ACTION and payment.client_secret
    [mail] = [m for m in mailoutbox if "confirm the card payment" in m.subject]
    assert f"http://testserver/account/orders/{charge.order_id}/pay/" in mail.body or \
        f"/account/orders/{charge.order_id}/pay/" in mail.body
    assert mail.to == ["boss@acme.example"]
    # no further off-session attempt: the bank wants the card holder
    for day in days(date(2026, 12, 31), date(2027, 1, 10)):
        run(day)
    assert len(intents_of(charge.order_id)) == 1
    assert recurring_next_charge_on(account=account, as_of=date(2027, 1, 2)) is None


def test_no_charge_while_recurring_is_off(run):
    account = account_with_card("Acme", recurring=False)
    for day in days(date(2026, 12, 29), date(2027, 1, 8)):
        run(day)
    assert not RecurringCharge.objects.filter(account=account).exists()


def test_a_contract_account_is_invoiced_monthly_and_never_charged_by_card(run):
    """SPEC §3: a contract account gets its monthly invoice; charging its saved card as well
    would bill it twice."""
    from seats import services as seat_services
    from seats.services.contracts import contract_set

    account = account_with_card("Bigco")
    signed = VALID_UNTIL - timedelta(days=10)
    seat_services.seats_add(account=account, count=8, actor=None, as_of=signed)
    contract_set(account=account, starts_on=signed, ends_on=None, actor=None, as_of=signed)
    for day in days(VALID_UNTIL - timedelta(days=3), VALID_UNTIL + timedelta(days=8)):
        run(day)
    assert not RecurringCharge.objects.filter(account=account).exists()
    assert not Payment.objects.filter(account=account).exists()
    # nor does the page/API promise a charge, nor can it be turned on again, nor renewed by hand
    assert recurring_next_charge_on(account=account, as_of=VALID_UNTIL) is None
    from billing_site.errors import DomainError
    from plans.services import renewal_order_create

    recurring_payments_set(account=account, enabled=False, actor=None, as_of=VALID_UNTIL)
    with pytest.raises(DomainError) as refused:
        recurring_payments_set(account=account, enabled=True, actor=None, as_of=VALID_UNTIL)
    assert refused.value.code == "contract_account"
    with pytest.raises(DomainError) as refused:
        renewal_order_create(account=account, until=(2027, 1), actor=None, as_of=VALID_UNTIL)
    assert (refused.value.code, refused.value.status) == ("contract_account", 409)
    assert not Order.objects.filter(account=account).exists()


def test_next_charge_on_is_the_lead_day_before_the_validity_end():
    account = account_with_card("Acme")
    assert recurring_next_charge_on(account=account, as_of=date(2026, 12, 1)) == \
        date(2026, 12, 30)


def test_the_command_and_the_task_run_the_job_for_a_date(django_capture_on_commit_callbacks):
    account_with_card("Acme")
    out = StringIO()
    call_command("charge_recurring", "--as-of", "2026-12-30", "--dry-run", stdout=out)
    assert "Dry run for 2026-12-30: 1 renewal(s) would be ordered" in out.getvalue()
    assert not RecurringCharge.objects.exists()
    with time_machine.travel(datetime(2026, 12, 30, 6, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            result = charge_recurring.delay(as_of="2026-12-30").get()
        assert (result["opened"], result["succeeded"]) == (1, 1)
        out = StringIO()
        call_command("charge_recurring", "--as-of", "2026-12-30", stdout=out)
    assert "0 renewal(s) ordered, 0 paid" in out.getvalue()


def test_a_future_date_is_only_a_dry_run_charging_takes_money_now():
    """QA: `--as-of` a month ahead charged cards at once and issued invoices dated then."""
    from django.core.management import CommandError

    account = account_with_card("Acme")
    with time_machine.travel(datetime(2026, 12, 4, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        with pytest.raises(CommandError, match="in the future"):
            call_command("charge_recurring", "--as-of", "2026-12-30", stdout=StringIO())
        with pytest.raises(ValueError, match="in the future"):
            charge_recurring.delay(as_of="2026-12-30").get()
        out = StringIO()
        call_command("charge_recurring", "--as-of", "2026-12-30", "--dry-run", stdout=out)
    assert "1 renewal(s) would be ordered" in out.getvalue()
    assert not RecurringCharge.objects.filter(account=account).exists()
    assert not Payment.objects.filter(account=account).exists()


def test_the_admin_lists_recurring_charges_and_saved_cards(run, admin_client):
    account = account_with_card("Acme", DECLINED_WHEN_CHARGED)
    run(date(2026, 12, 30))
    charge = RecurringCharge.objects.get(account=account)
    page = admin_client.get(f"/admin/dunning/recurringcharge/{charge.pk}/change/")
    assert page.status_code == 200 and "The card was declined." in page.content.decode()
    assert admin_client.get("/admin/payments/savedcard/").status_code == 200


def test_a_period_renewed_on_the_page_meanwhile_is_not_charged_again(run):
    account = account_with_card("Acme", DECLINED_WHEN_CHARGED)
    run(date(2026, 12, 30))  # declined, retry planned for the 31st
    charge = RecurringCharge.objects.get(account=account)
    seats_pay_through(Seat.objects.filter(account=account), date(2027, 1, 31),
                      as_of=date(2026, 12, 30))  # as a renewal paid by hand leaves them

    run(date(2026, 12, 31))

    charge.refresh_from_db()
    assert (charge.status, charge.attempts) == (RecurringChargeStatus.CANCELLED, 1)
    assert len(intents_of(charge.order_id)) == 1


def test_off_during_the_retries_stops_them_and_on_again_resumes(
        run, django_capture_on_commit_callbacks):
    account = account_with_card("Acme", DECLINED_WHEN_CHARGED)
    run(date(2026, 12, 30))
    with django_capture_on_commit_callbacks(execute=True):
        recurring_payments_set(account=account, enabled=False, actor=None,
                               as_of=date(2026, 12, 30))
    assert run(date(2026, 12, 31)).declined == 0
    charge = RecurringCharge.objects.get(account=account)
    assert charge.status == RecurringChargeStatus.CANCELLED

    recurring_payments_set(account=account, enabled=True, actor=None, as_of=date(2027, 1, 1))
    assert run(date(2027, 1, 1)).declined == 1
    charge.refresh_from_db()
    assert (charge.status, charge.attempts, charge.next_attempt_on) == (
        RecurringChargeStatus.DUE, 2, date(2027, 1, 2))
