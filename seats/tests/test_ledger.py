"""The seat-period ledger, the one writer of seat validity (issue 8, item 3).

Every test checks the database: the rows appended, and that each seat's `valid_until` /
`paid_through` equal what `derive_validity` computes from its rows (the cache invariant)."""

import importlib
import threading
from datetime import date

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from billing_site.errors import DomainError
from plans import services as plan_services
from seats import services
from seats.models import ImmutableLedgerError, MemberRole, Seat, SeatPeriod, SeatPeriodCause
from seats.services import SeatValidityChange, seat_periods_append, seat_periods_reverse
from seats.tests.helpers import seats_pay_through, seats_set_validity
from seats.validity import (
    Period,
    Validity,
    ValidityChangeError,
    derive_validity,
    periods_for_change,
)

OPENED = date(2026, 11, 2)
CHANGE_DAY = date(2026, 11, 15)  # SPEC §4's checked examples
Cause = SeatPeriodCause


def d(text):
    return date.fromisoformat(text)


def dates(account):
    """{seat id: (valid_until, paid_through)} as the seats' cache says."""
    return {pk: (v, p) for pk, v, p in Seat.objects.filter(account=account).order_by("id")
            .values_list("pk", "valid_until", "paid_through")}


def assert_cache_is_derived(account):
    """The invariant: every seat's cached dates are what its ledger rows derive."""
    for seat in Seat.objects.filter(account=account):
        derived = derive_validity(SeatPeriod.objects.filter(seat=seat))
        assert (seat.valid_until, seat.paid_through) == (derived.valid_until,
                                                          derived.paid_through), seat.pk


def rows(seat):
    return list(SeatPeriod.objects.filter(seat=seat).order_by("id")
                .values_list("first_day", "last_day", "paid", "cause"))


@pytest.fixture
def account(make_account):
    account, _admin = make_account("Acme", as_of=OPENED)
    return account


# --- the rule, pure ------------------------------------------------------------------------------


def test_the_latest_effective_row_decides_and_reversed_rows_do_not_count():
    opening = Period(1, d("2026-11-30"), paid=False)
    order = Period(2, d("2026-12-31"), paid=True)
    change = Period(3, d("2026-12-07"), paid=True)
    assert derive_validity([opening]) == Validity(d("2026-11-30"), None)
    assert derive_validity([change, opening, order]) == Validity(d("2026-12-07"), d("2026-12-07"))
    undo_change = Period(4, d("2026-12-07"), paid=True, reverses_id=3)
    assert derive_validity([opening, order, change, undo_change]) == Validity(d("2026-12-31"),
                                                                              d("2026-12-31"))
    undo_order = Period(5, d("2026-12-31"), paid=True, reverses_id=2)
    assert derive_validity([opening, order, change, undo_change, undo_order]) == Validity(
        d("2026-11-30"), None)
    assert derive_validity([]) == Validity(None, None)


def test_an_unpaid_row_after_a_paid_one_moves_only_the_validity():
    rows_ = [Period(1, d("2026-12-31"), paid=True), Period(2, d("2027-01-10"), paid=False)]
    assert derive_validity(rows_) == Validity(d("2027-01-10"), d("2026-12-31"))


def test_rows_for_a_change_state_the_days_added_or_moved():
    created, as_of = d("2026-11-16"), d("2026-12-10")
    new_seat = periods_for_change(current=Validity(None, None),
                                  target=Validity(d("2026-11-30"), None), created_on=created,
                                  as_of=created)
    assert new_seat == [(d("2026-11-16"), d("2026-11-30"), False)]
    # a never-paid seat paid (billed from its creation day) through January
    assert periods_for_change(current=Validity(d("2026-11-30"), None),
                              target=Validity(d("2027-01-31"), d("2027-01-31")),
                              created_on=created, as_of=as_of) == [
        (d("2026-11-16"), d("2027-01-31"), True)]
    # both dates moved earlier (a dearer package), validity beyond the paid time
    assert periods_for_change(current=Validity(d("2027-01-10"), d("2026-12-31")),
                              target=Validity(d("2026-12-24"), d("2026-12-20")),
                              created_on=created, as_of=as_of) == [
        (d("2026-12-10"), d("2026-12-20"), True), (d("2026-12-21"), d("2026-12-24"), False)]
    assert periods_for_change(current=Validity(d("2026-11-30"), None),
                              target=Validity(d("2026-11-30"), None), created_on=created,
                              as_of=as_of) == []


@pytest.mark.parametrize("current, target", [
    (Validity(d("2026-11-30"), d("2026-11-30")), Validity(d("2026-12-31"), None)),
    (Validity(d("2026-11-30"), None), Validity(d("2026-11-30"), d("2026-12-01"))),
    (Validity(d("2026-11-30"), None), Validity(None, None)),
])
def test_rows_for_a_change_refuse_what_only_a_reversal_or_nothing_can_do(current, target):
    with pytest.raises(ValidityChangeError):
        periods_for_change(current=current, target=target, created_on=OPENED, as_of=OPENED)


days = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def validities(draw):
    valid_until = draw(days)
    paid = draw(st.one_of(st.none(), st.dates(min_value=date(2026, 1, 1),
                                             max_value=valid_until)))
    return Validity(valid_until, paid)


@given(start=validities(), steps=st.lists(validities(), min_size=1, max_size=6), as_of=days,
       undo=st.integers(min_value=0, max_value=5))
def test_any_sequence_of_changes_derives_each_target_and_reversing_the_last_restores(
        start, steps, as_of, undo):
    """Appending the rows for a change always derives the target; reverting the rows of the
    latest change gives back the dates before it exactly."""
    ledger, history, next_id = [], [], 1
    for target in [start, *steps]:
        current = derive_validity(ledger)
        if current.paid_through is not None and target.paid_through is None:
            continue  # paid time goes only by a reversal
        added = []
        for first, last, paid in periods_for_change(current=current, target=target,
                                                    created_on=date(2026, 1, 1), as_of=as_of):
            assert first <= last
            added.append(Period(next_id, last, paid))
            next_id += 1
        ledger += added
        history.append((current, added))
        assert derive_validity(ledger) == target
    for before, added in reversed(history[-1 - undo % len(history):]):
        for row in added:
            ledger.append(Period(next_id, row.last_day, row.paid, reverses_id=row.id))
            next_id += 1
        if before.valid_until is not None:
            assert derive_validity(ledger) == before


# --- the first period of every seat -------------------------------------------------------------


@pytest.mark.django_db
def test_sign_up_gives_the_first_seat_a_trial_period(catalogue):
    account, member = services.signup(organisation="Newco", email="boss@newco.example",
                                      password="pass-Word-123", country="PL", as_of=OPENED)
    seat = Seat.objects.get(member=member)
    assert rows(seat) == [(OPENED, account.trial_ends_on, False, Cause.TRIAL)]
    assert (seat.valid_until, seat.paid_through) == (d("2026-11-15"), None)
    period = SeatPeriod.objects.get(seat=seat)
    assert (period.account_id, period.actor, period.actor_label) == (account.pk, member.user,
                                                                     "boss@newco.example")
    assert_cache_is_derived(account)


@pytest.mark.django_db
def test_seats_added_in_the_trial_run_with_it_and_later_to_the_month_end(make_account):
    account, admin = make_account("Trialco", trial=True, as_of=OPENED)
    [in_trial] = services.seats_add(account=account, count=1, actor=admin.user, as_of=OPENED)
    # after the trial the account is blocked: a seat comes only with a renewal
    [after] = services.seats_add(account=account, count=1, actor=None, as_of=d("2026-12-03"),
                                 for_order=True)
    assert rows(in_trial) == [(OPENED, d("2026-11-15"), False, Cause.TRIAL)]
    assert rows(after) == [(d("2026-12-03"), d("2026-12-31"), False, Cause.SEAT_ADDED)]
    assert SeatPeriod.objects.get(seat=after).actor_label == "system"
    assert_cache_is_derived(account)


@pytest.mark.django_db
def test_an_invitation_that_adds_a_seat_opens_its_period(account):
    member = services.member_invite(account=account, email="jane@acme.example",
                                    role=MemberRole.USER, actor=None, as_of=d("2026-11-20"))
    assert rows(Seat.objects.get(member=member)) == [
        (d("2026-11-20"), d("2026-11-30"), False, Cause.SEAT_ADDED)]
    assert_cache_is_derived(account)


# --- append-only ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_a_period(account):
    period = SeatPeriod.objects.get(account=account)
    attempts = [
        lambda: SeatPeriod.objects.filter(pk=period.pk).update(last_day=d("2027-12-31")),
        lambda: SeatPeriod.objects.filter(pk=period.pk).update(paid=True),
        lambda: SeatPeriod.objects.filter(pk=period.pk).update(actor_label="someone"),
        lambda: SeatPeriod.objects.filter(pk=period.pk)._raw_delete(using="default"),
        lambda: connection.cursor().execute("DELETE FROM seats_seatperiod WHERE id = %s",
                                            [period.pk]),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert SeatPeriod.objects.get(pk=period.pk).last_day == d("2026-11-30")


@pytest.mark.django_db
def test_the_model_refuses_to_save_or_delete_a_stored_period(account):
    period = SeatPeriod.objects.get(account=account)
    period.last_day = d("2027-12-31")
    with pytest.raises(ImmutableLedgerError):
        period.save()
    with pytest.raises(ImmutableLedgerError):
        period.delete()
    with pytest.raises(ImmutableLedgerError):
        period.seat.periods.get().delete()


@pytest.mark.django_db
def test_deleting_the_acting_user_keeps_the_period_and_who_it_was(account):
    staff = get_user_model().objects.create_user(username="ops@vendor.example",
                                                 email="ops@vendor.example", is_staff=True)
    seat = account.seats.get()
    seats_pay_through([seat], d("2026-12-31"), actor=staff)
    staff.delete()
    period = SeatPeriod.objects.filter(seat=seat).latest("id")
    assert (period.actor, period.actor_label, period.last_day) == (None, "ops@vendor.example",
                                                                   d("2026-12-31"))


# --- appending ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_order_appends_paid_periods_and_refreshes_the_cache(account):
    [spare] = services.seats_add(account=account, count=1, actor=None, as_of=d("2026-11-20"))
    admin_seat = account.seats.exclude(pk=spare.pk).get()
    appended = seat_periods_append(
        account=account, cause=Cause.ORDER, order_id=4711, actor=None, as_of=d("2026-11-25"),
        changes=[SeatValidityChange(admin_seat, d("2027-01-31"), d("2027-01-31")),
                 (spare.pk, d("2027-01-31"), d("2027-01-31"))],
    )
    assert [(p.seat_id, p.first_day, p.last_day, p.paid, p.order_id) for p in appended] == [
        (admin_seat.pk, OPENED, d("2027-01-31"), True, 4711),  # billed from its creation day
        (spare.pk, d("2026-11-20"), d("2027-01-31"), True, 4711),
    ]
    assert (admin_seat.valid_until, admin_seat.paid_through) == (d("2027-01-31"),) * 2
    assert set(dates(account).values()) == {(d("2027-01-31"), d("2027-01-31"))}
    assert_cache_is_derived(account)
    entry = account.audit_entries.get(action="seat.validity")
    assert entry.after["cause"] == "order" and entry.after["order_id"] == 4711
    assert entry.before["seats"][str(spare.pk)] == ["2026-11-30", None]
    assert entry.after["seats"][str(spare.pk)] == ["2027-01-31", "2027-01-31"]


@pytest.mark.django_db
def test_an_append_that_changes_nothing_appends_nothing(account):
    seat = account.seats.get()
    before = SeatPeriod.objects.count()
    assert seat_periods_append(account=account, cause=Cause.STAFF_CORRECTION, actor=None,
                               as_of=OPENED,
                               changes=[(seat, seat.valid_until, seat.paid_through)]) == []
    assert SeatPeriod.objects.count() == before
    assert not account.audit_entries.filter(action="seat.validity").exists()


@pytest.mark.django_db
def test_append_refuses_bad_dates_and_other_accounts_seats(account, make_account):
    seat = account.seats.get()
    other, _ = make_account("Other", as_of=OPENED)
    foreign = other.seats.get()
    seats_pay_through([seat], d("2026-12-31"))
    before = (dates(account), dates(other), SeatPeriod.objects.count())
    refused = [
        ([(seat, d("2026-12-31"), d("2027-01-31"))], "seat_validity_invalid"),  # paid > valid
        ([(seat, d("2027-01-31"), None)], "seat_validity_invalid"),  # paid time taken back
        ([(foreign, d("2027-01-31"), d("2027-01-31"))], "seat_unknown"),
    ]
    for changes, code in refused:
        with pytest.raises(DomainError) as exc:
            seat_periods_append(account=account, changes=changes, cause=Cause.STAFF_CORRECTION,
                                actor=None, as_of=OPENED)
        assert exc.value.code == code
    assert (dates(account), dates(other), SeatPeriod.objects.count()) == before


# --- package change and reversal ---------------------------------------------------------------


@pytest.fixture
def mixed_seats(account):
    """Seats in every state a package change meets on 2026-11-15: paid through 2026-12-31,
    paid through 2026-12-31 and valid to 2027-01-10, never paid, and expired."""
    admin_seat = account.seats.get()
    paid, part_paid, expired = services.seats_add(account=account, count=3, actor=None,
                                                  as_of=OPENED)
    seats_pay_through([admin_seat, paid, part_paid], d("2026-12-31"))
    seats_set_validity([part_paid], valid_until=d("2027-01-10"))
    services.seats_add(account=account, count=1, actor=None, as_of=d("2026-11-10"))  # unpaid
    seats_pay_through([expired], d("2026-11-10"))
    return account


def package_change_periods(account):
    return SeatPeriod.objects.filter(account=account, cause=Cause.PACKAGE_CHANGE,
                                     reversed_by__isnull=True)


@pytest.mark.django_db
@pytest.mark.parametrize("package, expected", [("automation", d("2026-12-07")),
                                               ("professional", d("2026-11-30"))])
def test_a_package_change_and_its_reversal_reproduce_the_seat_dates_exactly(
        mixed_seats, package, expected):
    account = mixed_seats
    before = dates(account)

    plan_services.package_change(account=account, package_code=package, dry_run=False,
                                 actor=None, as_of=CHANGE_DAY)

    changed = dates(account)
    assert changed != before
    assert changed[account.seats.order_by("id").first().pk] == (expected, expected)  # SPEC §4
    assert_cache_is_derived(account)
    reversals = seat_periods_reverse(account=account, periods=package_change_periods(account),
                                     cause=Cause.STAFF_CORRECTION, actor=None, as_of=CHANGE_DAY)
    assert reversals and {r.cause for r in reversals} == {Cause.STAFF_CORRECTION}
    assert dates(account) == before
    assert_cache_is_derived(account)


@pytest.mark.django_db
def test_a_downgrade_and_its_reversal_reproduce_the_seat_dates_exactly(catalogue):
    account = services.account_create(name="Acme", package_code="automation", country="PL",
                                      trial=False, actor=None, as_of=OPENED)
    seats = services.seats_add(account=account, count=2, actor=None, as_of=OPENED)
    seats_pay_through(seats, d("2026-12-31"))
    before = dates(account)

    plan_services.package_change(account=account, package_code="base", dry_run=False,
                                 actor=None, as_of=CHANGE_DAY)

    assert set(dates(account).values()) == {(d("2027-02-15"), d("2027-02-15"))}  # SPEC §4
    seat_periods_reverse(account=account, periods=package_change_periods(account),
                         cause=Cause.STAFF_CORRECTION, actor=None, as_of=CHANGE_DAY)
    assert dates(account) == before
    assert_cache_is_derived(account)


@pytest.mark.django_db
def test_the_periods_of_an_order_are_reverted_exactly_by_the_order(account):
    [spare] = services.seats_add(account=account, count=1, actor=None, as_of=d("2026-11-20"))
    first = plan_services.renewal_order_create(account=account, until=(2026, 12), actor=None,
                                               as_of=d("2026-11-20"))
    seat_periods_append(account=account, cause=Cause.ORDER, order_id=first.pk, actor=None,
                        as_of=d("2026-11-21"),
                        changes=[(s, d("2026-12-31"), d("2026-12-31"))
                                 for s in account.seats.all()])
    after_first = dates(account)
    second = plan_services.renewal_order_create(account=account, until=(2027, 3), actor=None,
                                                as_of=d("2026-11-25"))
    seat_periods_append(account=account, cause=Cause.ORDER, order_id=second.pk, actor=None,
                        as_of=d("2026-11-26"),
                        changes=[(s, d("2027-03-31"), d("2027-03-31"))
                                 for s in account.seats.all()])

    reversals = seat_periods_reverse(account=account, order_id=second.pk, actor=None,
                                     as_of=d("2026-11-30"))

    assert dates(account) == after_first
    assert {(r.cause, r.order_id) for r in reversals} == {(Cause.REFUND_REVERSAL, second.pk)}
    assert [r.reverses.order_id for r in reversals] == [second.pk, second.pk]
    seat_periods_reverse(account=account, order_id=first.pk, actor=None, as_of=d("2026-11-30"))
    assert set(dates(account).values()) == {(d("2026-11-30"), None)}  # as never paid
    assert_cache_is_derived(account)
    with pytest.raises(DomainError) as exc:  # nothing of that order is left to revert
        seat_periods_reverse(account=account, order_id=first.pk, actor=None,
                             as_of=d("2026-11-30"))
    assert exc.value.code == "nothing_to_reverse"
    assert account.audit_entries.filter(action="seat.validity").count() == 4


@pytest.mark.django_db
def test_reversal_refuses_reversals_repeats_first_periods_and_other_accounts(account,
                                                                          make_account):
    seat = account.seats.get()
    [order_row] = seat_periods_append(account=account, cause=Cause.ORDER, order_id=1, actor=None,
                                      as_of=OPENED,
                                      changes=[(seat, d("2026-12-31"), d("2026-12-31"))])
    [undo] = seat_periods_reverse(account=account, periods=[order_row], actor=None, as_of=OPENED)
    other, _ = make_account("Other", as_of=OPENED)
    before = (dates(account), SeatPeriod.objects.count())
    cases = [
        ({"periods": [order_row]}, "period_reversed"),
        ({"periods": [undo]}, "period_is_reversal"),
        ({"periods": SeatPeriod.objects.filter(seat=seat, cause=Cause.SEAT_ADDED)},
         "seat_first_period"),
        ({"periods": SeatPeriod.objects.filter(account=other)}, "period_unknown"),
        ({"order_id": 999}, "nothing_to_reverse"),
    ]
    for kwargs, code in cases:
        with pytest.raises(DomainError) as exc:
            seat_periods_reverse(account=account, actor=None, as_of=OPENED, **kwargs)
        assert exc.value.code == code
    assert (dates(account), SeatPeriod.objects.count()) == before


@pytest.mark.django_db
def test_reverting_an_earlier_event_keeps_the_later_ones(account):
    """The rows as if the reverted ones had never been appended: an order under a later staff
    correction goes, the correction's dates stay."""
    seat = account.seats.get()
    seat_periods_append(account=account, cause=Cause.ORDER, order_id=7, actor=None,
                        as_of=OPENED, changes=[(seat, d("2026-12-31"), d("2026-12-31"))])
    seats_set_validity([seat], valid_until=d("2027-01-15"))
    seat_periods_reverse(account=account, order_id=7, actor=None, as_of=OPENED)
    assert dates(account)[seat.pk] == (d("2027-01-15"), None)
    assert_cache_is_derived(account)


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_to_one_account_are_serialised(make_account):
    """Two connections append to the same account at once: the second waits for the first's
    account lock, so their rows never interleave and the cache ends with the later one's dates,
    derived from the rows."""
    account, _ = make_account("Acme", as_of=OPENED)
    seat_ids = [s.pk for s in services.seats_add(account=account, count=3, actor=None,
                                                 as_of=OPENED)]
    first_holds_lock, first_may_commit = threading.Event(), threading.Event()
    second_done = threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = seat_periods_append(
                    account=account, cause=Cause.STAFF_CORRECTION, actor=None, as_of=OPENED,
                    changes=[(pk, d("2026-12-31"), d("2026-12-31")) for pk in seat_ids])
                first_holds_lock.set()
                first_may_commit.wait(10)
        finally:
            connection.close()

    def second():
        try:
            first_holds_lock.wait(10)
            results["second"] = seat_periods_append(
                account=account, cause=Cause.STAFF_CORRECTION, actor=None, as_of=OPENED,
                changes=[(pk, d("2027-02-28"), d("2027-01-31")) for pk in reversed(seat_ids)])
            second_done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_holds_lock.wait(10)
    assert not second_done.wait(0.5)  # blocked on the account lock
    first_may_commit.set()
    for thread in threads:
        thread.join(20)
    assert not any(thread.is_alive() for thread in threads)

    assert max(p.pk for p in results["first"]) < min(p.pk for p in results["second"])
    stored = dates(account)
    assert {stored[pk] for pk in seat_ids} == {(d("2027-02-28"), d("2027-01-31"))}
    assert_cache_is_derived(account)


# --- the seats that were there before the ledger -----------------------------------------------


@pytest.mark.django_db
def test_the_migration_opens_the_ledger_with_every_seats_dates(account):
    Seat.objects.bulk_create([  # seats as they were before the ledger: no rows
        Seat(account=account, valid_until=d("2026-12-31"), paid_through=d("2026-12-31"),
             created_on=d("2026-10-01")),
        Seat(account=account, valid_until=d("2027-01-10"), paid_through=d("2026-12-31"),
             created_on=d("2026-10-01")),
        Seat(account=account, valid_until=d("2026-11-30"), created_on=d("2026-11-03")),
    ])
    migration = importlib.import_module(
        "seats.migrations.0005_seat_periods_opening_and_append_only")
    before = SeatPeriod.objects.count()
    migration.opening_rows(apps, None)
    migration.opening_rows(apps, None)  # seats with rows get none
    assert SeatPeriod.objects.count() == before + 4
    assert set(SeatPeriod.objects.filter(cause=Cause.OPENING)
               .values_list("first_day", "last_day", "paid")) == {
        (d("2026-10-01"), d("2026-12-31"), True),
        (d("2027-01-01"), d("2027-01-10"), False),
        (d("2026-11-03"), d("2026-11-30"), False),
    }
    assert_cache_is_derived(account)


# --- admin ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_seat_admin_shows_validity_and_its_periods_read_only(client, account):
    root = get_user_model().objects.create_superuser("root@x.example", "root@x.example", "pw")
    client.force_login(root)
    seat = account.seats.get()
    url = reverse("admin:seats_seat_change", args=[seat.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "seat_added" in page.content.decode() or "seat added" in page.content.decode()
    client.post(url, {"valid_until": "2030-01-01", "paid_through": "2030-01-01",
                      "periods-TOTAL_FORMS": "0", "periods-INITIAL_FORMS": "0"})
    seat.refresh_from_db()
    assert (seat.valid_until, seat.paid_through) == (d("2026-11-30"), None)
    assert client.get(reverse("admin:seats_seat_add")).status_code == 403
    assert client.get(reverse("admin:seats_seatperiod_changelist")).status_code == 200
