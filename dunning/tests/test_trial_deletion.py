"""Deleting an unpaid trial account with its data on its deletion day, keeping a tombstone (SPEC §6:
"30 days later it and its data are deleted"; `dunning.services.trials`), and the database triggers
that let only that purge delete the append-only seat periods and issued pro-formas.

The trial account is built through the services: created on 1 Oct 2026 (trial through 14 Oct),
three members (one of them a vendor staff login), a staff correction of a seat's dates and its
reversal, a package change, an access hold, invoice data, and after the trial — blocked, paying
is the only action — a renewal order with its pro-forma (a pending transfer) and a card payment
waiting for 3-D Secure (localstripe) with the card saved (a Stripe customer) and its webhook
event. Its deletion day is 14 Oct + 30 days = 13 Nov 2026. A paying account stands beside it and
must not lose a row."""

import threading
from datetime import date, timedelta

import pytest
import stripe
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from billing_site.errors import DomainError
from catalogue.models import BillingPolicy
from dunning.models import (
    AccountTombstone,
    Notice,
    NoticeKind,
    PhaseTransition,
    RecordedPhase,
    SeatRecordedPhase,
)
from dunning.services.notices import notice_create
from dunning.services.trials import trial_account_delete, trial_accounts_due_for_deletion
from invoices.models import BillingProfile, Document, DocumentKind, DocumentLine, DocumentVatTotal
from invoices.services.order_documents import invoice_issue_for_order
from invoices.services.purge import account_documents_purge
from invoices.services.rendering import document_render_and_send
from invoices.tests import billing_profile
from payments import gateway
from payments.models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    StripeCustomer,
    StripeEvent,
    TransferBooking,
)
from payments.services import (
    payment_online_start,
    payment_transfer_start,
    transfer_book,
    transfer_record_unmatched,
)
from payments.services.events import event_receive
from payments.services.purge import account_payments_purge
from payments.tests.conftest import localstripe_server, stripe_settings
from plans.models import AccountAddOn, Order, PackageChange
from plans.services import renewal_order_create
from plans.services.package_change import package_change
from plans.services.purge import account_orders_purge
from seats.models import (
    AccessHold,
    Account,
    AuditEntry,
    Contract,
    Member,
    PurgePermit,
    Seat,
    SeatPeriod,
    SeatPeriodCause,
)
from seats.phases import Phase
from seats.services import seat_periods_reverse
from seats.services.contracts import account_hold_place, contract_set
from seats.tests.helpers import seats_set_validity

__all__ = ["localstripe_server", "stripe_settings"]  # fixtures: the payments tests' localstripe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

D = date.fromisoformat
CREATED = D("2026-10-01")
TRIAL_END = D("2026-10-14")  # 14 days, 1–14 Oct
ORDERED_ON = D("2026-10-20")  # blocked: the admin tries to pay
DUE = D("2026-11-13")  # 14 Oct + 30 days
THREE_D_SECURE = "4000002760003184"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Rendered PDFs go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def card(number):
    """What Stripe.js does on the page: a PaymentMethod from the card's details."""
    return gateway.client().v1.payment_methods.create(params={
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                                 "cvc": "123"}}).id


def webhook(event_id, event_type, intent_id):
    """A verified Stripe event as the webhook view hands it on (stored once, then processed)."""
    return stripe.Event.construct_from({
        "id": event_id, "object": "event", "type": event_type,
        "data": {"object": {"id": intent_id, "object": "payment_intent"}},
    }, "sk_test_localstripe")


@pytest.fixture
def trial(make_account, make_member, staff):
    """The unpaid trial account described in the module docstring: (account, admin, user,
    helper), `helper` being a member whose login is a vendor staff user."""
    account, admin = make_account("Trial Co", trial=True, as_of=CREATED, extra_seats=1)
    assert account.trial_ends_on == TRIAL_END
    user = make_member(account, "user@trial.example", as_of=CREATED)
    helper = make_member(account, "helper@vendor.example", as_of=D("2026-10-02"))
    get_user_model().objects.filter(pk=helper.user_id).update(is_staff=True)
    # staff corrected a seat's dates, then took the correction back (a reversal row)
    seat = Seat.objects.filter(account=account).order_by("id").first()
    seats_set_validity([seat], valid_until=D("2026-10-31"), as_of=D("2026-10-03"), actor=staff)
    correction = SeatPeriod.objects.filter(seat=seat).latest("id")
    seat_periods_reverse(account=account, periods=[correction],
                         cause=SeatPeriodCause.STAFF_CORRECTION, actor=staff,
                         as_of=D("2026-10-03"))
    package_change(account=account, package_code="automation", dry_run=False, actor=admin.user,
                   as_of=D("2026-10-05"))
    account_hold_place(account=account, reason="Checking the sign-up", actor=staff)
    billing_profile(account)
    # after the trial: blocked, the admin asks for a pro-forma and tries a card
    order = renewal_order_create(account=account, until=(2026, 11), actor=admin.user,
                                 as_of=ORDERED_ON)
    transfer = payment_transfer_start(order=order, actor=admin.user, as_of=ORDERED_ON)
    document_render_and_send(transfer.proforma_id)  # its PDF, as the render job stores it
    pending_card = payment_online_start(order=order, method=PaymentMethod.CARD,
                                        payment_method=card(THREE_D_SECURE), save_card=True,
                                        actor=admin.user, as_of=ORDERED_ON)
    assert pending_card.status == PaymentStatus.REQUIRES_ACTION
    event_receive(event=webhook("evt_trial_3ds", "payment_intent.requires_action",
                                pending_card.stripe_payment_intent), as_of=ORDERED_ON)
    # what the sweep recorded about it (its phases and the trial-ended notice)
    RecordedPhase.objects.create(account=account, phase=Phase.BLOCKED,
                                 since=TRIAL_END + timedelta(days=1))
    PhaseTransition.objects.create(account=account, from_phase=Phase.ACTIVE,
                                   to_phase=Phase.BLOCKED, effective_on=TRIAL_END + timedelta(1),
                                   recorded_on=TRIAL_END + timedelta(days=1))
    for each in Seat.objects.filter(account=account):
        SeatRecordedPhase.objects.create(seat=each, account=account, phase=Phase.BLOCKED,
                                         since=TRIAL_END + timedelta(days=1))
    notice_create(account_id=account.pk, kind=NoticeKind.TRIAL_ENDED,
                  reference=TRIAL_END.isoformat(), about_date=TRIAL_END,
                  as_of=TRIAL_END + timedelta(days=1))
    return account, admin, user, helper


@pytest.fixture
def other(make_account, make_member, staff):
    """A paying account beside it: an order paid by a booked transfer (pro-forma, VAT invoice,
    paid seat periods), a pending order with its pro-forma, and a stored event of its own."""
    account, admin = make_account("Other Ltd", as_of=CREATED)
    make_member(account, "user@other.example", as_of=CREATED)
    billing_profile(account)
    paid = renewal_order_create(account=account, until=(2026, 11), actor=admin.user,
                                as_of=CREATED)
    payment_transfer_start(order=paid, actor=admin.user, as_of=CREATED)
    transfer_book(order=paid, amount=paid.gross, received_on=CREATED, reference="Other Ltd",
                  actor=staff, as_of=CREATED)
    pending = renewal_order_create(account=account, until=(2026, 12), actor=admin.user,
                                   as_of=ORDERED_ON)
    payment_transfer_start(order=pending, actor=admin.user, as_of=ORDERED_ON)
    StripeEvent.objects.create(event_id="evt_other", type="customer.created",
                               payload={"data": {"object": {"id": "cus_other"}}})
    notice_create(account_id=account.pk, kind=NoticeKind.EXPIRES_IN_7_DAYS,
                  reference="2026-11-30", about_date=D("2026-11-30"), as_of=D("2026-11-23"))
    return account


ACCOUNT_ROWS = [Seat, SeatPeriod, Member, AccessHold, Contract, Order, AccountAddOn,
                PackageChange, Document, BillingProfile, Payment, StripeCustomer, TransferBooking,
                RecordedPhase, SeatRecordedPhase, PhaseTransition, Notice]


def rows_of(account_id):
    """How many rows each table holds for the account (and its documents' lines and totals)."""
    counts = {model._meta.label: model.objects.filter(account_id=account_id).count()
              for model in ACCOUNT_ROWS}
    counts["lines"] = DocumentLine.objects.filter(document__account_id=account_id).count()
    counts["totals"] = DocumentVatTotal.objects.filter(document__account_id=account_id).count()
    return counts


def test_the_trial_account_is_deleted_on_its_day_with_a_tombstone_and_nothing_else_goes(
        trial, other, staff, django_capture_on_commit_callbacks):
    account, admin, user, helper = trial
    other_before = rows_of(other.pk)
    events_before = set(StripeEvent.objects.values_list("event_id", flat=True))
    proforma = Document.objects.get(account=account)
    assert proforma.kind == DocumentKind.PROFORMA and proforma.pdf
    pdf_storage, pdf_name = proforma.pdf.storage, proforma.pdf.name
    assert pdf_storage.exists(pdf_name)
    assert SeatPeriod.objects.filter(account=account).count() == 5  # 3 opened, a correction
    lines = DocumentLine.objects.filter(document=proforma).count()  # and its reversal
    assert lines >= 1
    assert list(trial_accounts_due_for_deletion(DUE)) == [account.pk]

    with django_capture_on_commit_callbacks(execute=True):
        tombstone = trial_account_delete(account_id=account.pk, as_of=DUE)

    assert tombstone == AccountTombstone.objects.get()
    assert (tombstone.account_id_was, tombstone.name, tombstone.created_at_was,
            tombstone.trial_ended_on, tombstone.deleted_on) == (
        account.pk, "Trial Co", account.created_at, TRIAL_END, DUE)
    assert tombstone.removed == {
        "recurring_charges": 0, "notices": 1, "phase_transitions": 1, "seat_recorded_phases": 3,
        "recorded_phases": 1,
        "payments": 2, "stripe_customers": 1, "stripe_events": 1,
        "proformas": 1, "document_lines": lines, "document_vat_totals": 1,
        "billing_profiles": 1,
        "orders": 1, "account_addons": 0, "package_changes": 1,
        "seat_periods": 5, "seats": 3, "members": 3, "users": 2, "contracts": 0,
        "access_holds": 1, "accounts": 1,
    }
    assert not Account.objects.filter(pk=account.pk).exists()
    assert all(count == 0 for count in rows_of(account.pk).values())
    # logins: the admin's and the user's are gone; the staff member's login stays (without the
    # membership), and so does the staff user who corrected the seats
    users = get_user_model().objects
    assert not users.filter(pk__in=[admin.user_id, user.user_id]).exists()
    assert users.filter(pk__in=[helper.user_id, staff.pk]).count() == 2
    # the PDF file went after the commit; the audit trail stays, without the account
    assert not pdf_storage.exists(pdf_name)
    assert AuditEntry.objects.filter(account__isnull=True, action="account.create",
                                     target_id=account.pk).exists()
    deleted = AuditEntry.objects.get(action="account.trial_deleted")
    assert (deleted.target_type, deleted.target_id, deleted.account_id) == (
        "seats.account", account.pk, None)
    assert deleted.after["removed"] == tombstone.removed
    # the other account, and the events that are not the trial's, are untouched
    assert rows_of(other.pk) == other_before
    assert set(StripeEvent.objects.values_list("event_id", flat=True)) == (
        events_before - {"evt_trial_3ds"})
    assert not PurgePermit.objects.exists()
    # the Stripe customer stays at Stripe: the purge does not call it
    customers = gateway.client().v1.customers.list().data
    assert len(customers) == 1


def test_the_day_before_and_again_after_deleting_nothing_happens(trial):
    account = trial[0]
    before = rows_of(account.pk)
    assert list(trial_accounts_due_for_deletion(DUE - timedelta(days=1))) == []

    assert trial_account_delete(account_id=account.pk, as_of=DUE - timedelta(days=1)) is None

    assert rows_of(account.pk) == before
    assert not AccountTombstone.objects.exists()
    assert trial_account_delete(account_id=account.pk, as_of=DUE) is not None
    assert trial_account_delete(account_id=account.pk, as_of=DUE) is None  # gone: a no-op
    assert AccountTombstone.objects.count() == 1


def test_the_deletion_day_follows_the_policy(trial):
    account = trial[0]
    policy = BillingPolicy.current()
    policy.trial_deletion_days = 45
    policy.save()

    assert list(trial_accounts_due_for_deletion(DUE)) == []
    assert trial_account_delete(account_id=account.pk, as_of=DUE) is None
    later = TRIAL_END + timedelta(days=45)
    assert list(trial_accounts_due_for_deletion(later)) == [account.pk]
    assert trial_account_delete(account_id=account.pk, as_of=later).deleted_on == later


def test_a_trial_that_paid_is_kept_with_all_its_data(make_account, staff):
    account, admin = make_account("Paid Co", trial=True, as_of=CREATED)
    billing_profile(account)
    order = renewal_order_create(account=account, until=(2026, 11), actor=admin.user,
                                 as_of=ORDERED_ON)
    payment_transfer_start(order=order, actor=admin.user, as_of=ORDERED_ON)
    transfer_book(order=order, amount=order.gross, received_on=ORDERED_ON, reference="Paid Co",
                  actor=staff, as_of=ORDERED_ON)
    account.refresh_from_db()
    assert account.trial is False  # paying ended the trial
    before = rows_of(account.pk)

    assert list(trial_accounts_due_for_deletion(DUE)) == []
    assert trial_account_delete(account_id=account.pk, as_of=DUE) is None

    assert rows_of(account.pk) == before
    assert not AccountTombstone.objects.exists()


def test_a_trial_account_with_a_vat_invoice_is_refused_and_keeps_everything(trial, staff):
    """A VAT invoice (which an unpaid trial should never have) is an accounting document: the
    purge refuses and the whole deletion rolls back, the layers that already ran included."""
    account = trial[0]
    order = Order.objects.get(account=account)
    invoice = invoice_issue_for_order(order=order, actor=staff, as_of=ORDERED_ON)
    before = rows_of(account.pk)
    users_before = get_user_model().objects.count()

    with pytest.raises(DomainError) as refused:
        trial_account_delete(account_id=account.pk, as_of=DUE)

    assert refused.value.code == "account_has_invoices"
    assert invoice.number in str(refused.value)
    assert rows_of(account.pk) == before
    assert get_user_model().objects.count() == users_before
    assert not AccountTombstone.objects.exists()
    assert not PurgePermit.objects.exists()


def test_a_received_but_unmatched_transfer_keeps_the_account(trial, staff):
    """Someone tried to pay (a wrong amount): finance follows it up first, nothing is deleted."""
    account = trial[0]
    order = Order.objects.get(account=account)
    transfer_record_unmatched(order=order, amount="10.00", received_on=ORDERED_ON,
                              reference="Trial Co", note="too little", actor=staff,
                              as_of=ORDERED_ON)
    before = rows_of(account.pk)

    with pytest.raises(DomainError) as refused:
        trial_account_delete(account_id=account.pk, as_of=DUE)

    assert refused.value.code == "account_has_money"
    assert "(1 booked bank transfer)" in refused.value.message
    assert rows_of(account.pk) == before


def test_a_trial_account_under_a_running_contract_is_refused(make_account, staff):
    account, _admin = make_account("Big Co", trial=True, as_of=CREATED, extra_seats=9)
    contract_set(account=account, starts_on=CREATED, ends_on=None, actor=staff, as_of=CREATED)

    with pytest.raises(DomainError) as refused:
        trial_account_delete(account_id=account.pk, as_of=DUE)

    assert refused.value.code == "trial_account_has_contract"
    assert Account.objects.filter(pk=account.pk).exists()


def test_each_layer_refuses_to_delete_what_it_keeps(other):
    """A paying account: money received, a paid order, a VAT invoice. Each layer refuses on its
    own, before deleting anything (the orchestrator never gets this far: `trial` is False)."""
    before = rows_of(other.pk)
    for purge, code in ((account_payments_purge, "account_has_money"),
                        (account_documents_purge, "account_has_invoices"),
                        (account_orders_purge, "account_has_paid_orders")):
        with pytest.raises(DomainError) as refused, transaction.atomic():
            purge(account=other)
        assert refused.value.code == code
    assert rows_of(other.pk) == before


# --- at the same time as others -----------------------------------------------------------------


def in_thread(call):
    """Start `call` in a thread with its own database connection; returns (thread, results)."""
    results = []

    def runner():
        try:
            results.append(("ok", call()))
        except Exception as exc:  # reported to the test
            results.append(("error", exc))
        finally:
            connection.close()

    thread = threading.Thread(target=runner)
    thread.start()
    return thread, results


@pytest.mark.django_db(transaction=True)
def test_two_deletions_at_once_delete_once(make_account):
    account, admin = make_account("Trial Co", trial=True, as_of=CREATED, extra_seats=2)
    billing_profile(account)
    order = renewal_order_create(account=account, until=(2026, 11), actor=admin.user,
                                 as_of=ORDERED_ON)
    payment_transfer_start(order=order, actor=admin.user, as_of=ORDERED_ON)
    barrier = threading.Barrier(2)

    def delete():
        connection.ensure_connection()
        barrier.wait(timeout=30)
        return trial_account_delete(account_id=account.pk, as_of=DUE)

    started = [in_thread(delete) for _ in range(2)]
    for thread, _results in started:
        thread.join(60)
    outcomes = [results[0] for _thread, results in started]

    assert [kind for kind, _value in outcomes] == ["ok", "ok"]
    assert sorted(value is None for _kind, value in outcomes) == [False, True]
    assert AccountTombstone.objects.count() == 1
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not PurgePermit.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_payment_being_booked_right_now_keeps_the_account(make_account):
    """Booking a transfer locks the order, then the account; the purge locks the account, then
    the order. The purge gives way (no deadlock) and the account stays for the payment."""
    account, admin = make_account("Trial Co", trial=True, as_of=CREATED)
    billing_profile(account)
    order = renewal_order_create(account=account, until=(2026, 11), actor=admin.user,
                                 as_of=ORDERED_ON)
    locked, release = threading.Event(), threading.Event()

    def hold_the_order():
        with transaction.atomic():
            Order.objects.select_for_update().get(pk=order.pk)
            locked.set()
            release.wait(30)

    thread, results = in_thread(hold_the_order)
    try:
        assert locked.wait(30)
        with pytest.raises(DomainError) as refused:
            trial_account_delete(account_id=account.pk, as_of=DUE)
    finally:
        release.set()
        thread.join(30)
    assert results == [("ok", None)]
    assert refused.value.code == "trial_account_busy"
    assert Account.objects.filter(pk=account.pk).exists()
    assert Order.objects.filter(pk=order.pk).exists()
    assert not PurgePermit.objects.exists()


# --- the triggers outside a purge ----------------------------------------------------------------


def raw(sql, params):
    """One statement in its own savepoint (a refused one leaves the test's transaction usable)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def test_outside_a_purge_the_database_refuses_deleting_periods_and_issued_documents(trial):
    account = trial[0]
    proforma = Document.objects.get(account=account)

    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM seats_seatperiod WHERE account_id = %s", [account.pk])
    with pytest.raises(DatabaseError, match="immutable"):
        raw("DELETE FROM invoices_document WHERE id = %s", [proforma.pk])
    with pytest.raises(DatabaseError, match="immutable"):
        raw("DELETE FROM invoices_documentline WHERE document_id = %s", [proforma.pk])
    with pytest.raises(DatabaseError, match="immutable"):
        raw("DELETE FROM invoices_documentvattotal WHERE document_id = %s", [proforma.pk])


def test_a_permit_allows_deleting_only_its_accounts_proformas_and_periods_never_updates(
        trial, other):
    account = trial[0]
    proforma = Document.objects.get(account=account)
    invoice = Document.objects.get(account=other, kind=DocumentKind.INVOICE)
    with transaction.atomic():
        PurgePermit.objects.create(account_id=account.pk)
        # UPDATE stays refused under a permit
        with pytest.raises(DatabaseError, match="append-only"):
            raw("UPDATE seats_seatperiod SET last_day = last_day WHERE account_id = %s",
                [account.pk])
        with pytest.raises(DatabaseError, match="immutable"):
            raw("UPDATE invoices_document SET gross = gross + 1 WHERE id = %s", [proforma.pk])
        with pytest.raises(DatabaseError, match="immutable"):
            raw("UPDATE invoices_documentline SET net = net + 1 WHERE document_id = %s",
                [proforma.pk])
        # another account's rows stay protected: its periods, its VAT invoice
        with pytest.raises(DatabaseError, match="append-only"):
            raw("DELETE FROM seats_seatperiod WHERE account_id = %s", [other.pk])
        with pytest.raises(DatabaseError, match="immutable"):
            raw("DELETE FROM invoices_document WHERE id = %s", [invoice.pk])
        PurgePermit.objects.create(account_id=other.pk)
        # a VAT invoice (and its lines) stays, even with its account's permit
        with pytest.raises(DatabaseError, match="immutable"):
            raw("DELETE FROM invoices_documentline WHERE document_id = %s", [invoice.pk])
        with pytest.raises(DatabaseError, match="immutable"):
            raw("DELETE FROM invoices_document WHERE id = %s", [invoice.pk])
        # the permitted account's pro-forma and periods can go
        assert raw("DELETE FROM invoices_documentline WHERE document_id = %s",
                   [proforma.pk]) >= 1
        assert raw("DELETE FROM seats_seatperiod WHERE account_id = %s", [account.pk]) == 5
        PurgePermit.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_a_permit_can_never_be_committed(catalogue):
    """PostgreSQL refuses, at commit, a transaction that would leave a permit behind."""
    with pytest.raises(DatabaseError, match="purge permit"), transaction.atomic():
        PurgePermit.objects.create(account_id=12345)
    assert not PurgePermit.objects.exists()
    with transaction.atomic():  # inserted and deleted in one transaction: fine
        PurgePermit.objects.create(account_id=12345)
        PurgePermit.objects.filter(account_id=12345).delete()
    assert not PurgePermit.objects.exists()
