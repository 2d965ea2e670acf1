"""The dunning sweep (SPEC §6; issue 10 "The sweep"): transitions at the exact boundary days,
each e-mail once, automations paused and resumed, the dry run, and agreement between the SQL that
picks candidates and the pure phase functions that decide."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from catalogue.models import BillingPolicy
from dunning.models import (
    Notice,
    NoticeKind,
    PhaseTransition,
    RecordedPhase,
    SeatRecordedPhase,
    SweepRun,
)
from dunning.services.sweep import candidate_account_ids, dunning_sweep
from seats.access import access_decision, standing_of
from seats.models import Seat
from seats.phases import Phase, PhasePolicy
from seats.services.contracts import contract_set
from seats.tests.helpers import seats_pay_through

pytestmark = pytest.mark.django_db

D = date.fromisoformat
CREATED = D("2026-10-25")  # seats added today are valid until 2026-10-31


@pytest.fixture
def acme(make_account, make_member):
    account, admin = make_account("Acme", as_of=CREATED)
    user = make_member(account, "user@acme.example", as_of=CREATED)
    assert set(Seat.objects.filter(account=account).values_list("valid_until", flat=True)) == {
        D("2026-10-31")}
    return account, admin, user


def account_transitions(account):
    return list(PhaseTransition.objects.filter(account=account, seat__isnull=True)
                .order_by("effective_on", "id")
                .values_list("from_phase", "to_phase", "effective_on"))


def kinds(account):
    return sorted(Notice.objects.filter(account=account).values_list("kind", flat=True))


# --- the boundaries, day by day -----------------------------------------------------------------


def test_sweep_records_each_phase_on_its_first_day_and_mails_admins_once(acme):
    account, admin, _user = acme
    expected = {
        "2026-10-23": (Phase.ACTIVE, []),                                      # d = -8
        "2026-10-24": (Phase.ACTIVE, [NoticeKind.EXPIRES_IN_7_DAYS]),          # d = -7
        "2026-10-30": (Phase.ACTIVE, [NoticeKind.EXPIRES_IN_1_DAY]),           # d = -1
        "2026-10-31": (Phase.ACTIVE, []),                                      # d = 0
        "2026-11-01": (Phase.GRACE, [NoticeKind.GRACE]),                       # d = 1
        "2026-11-07": (Phase.GRACE, []),                                       # d = 7
        "2026-11-08": (Phase.BLOCKED, [NoticeKind.BLOCKED]),                   # d = 8
        "2026-11-14": (Phase.BLOCKED, []),                                     # d = 14
        "2026-11-15": (Phase.SUSPENDED, [NoticeKind.SUSPENDED]),               # d = 15
        "2026-11-20": (Phase.SUSPENDED, []),
    }
    for day, (phase, new_kinds) in expected.items():
        before = set(Notice.objects.values_list("pk", flat=True))
        sent_before = len(mail.outbox)
        dunning_sweep(as_of=D(day))
        recorded = RecordedPhase.objects.filter(account=account).first()
        assert (recorded.phase if recorded else Phase.ACTIVE) == phase, day
        new = list(Notice.objects.exclude(pk__in=before).values_list("kind", flat=True))
        assert new == new_kinds, day
        assert len(mail.outbox) - sent_before == len(new_kinds), day
        for message in mail.outbox[sent_before:]:
            assert message.to == [admin.user.email]  # admins only, not the user
    assert account_transitions(account) == [
        ("active", "grace", D("2026-11-01")),
        ("grace", "blocked", D("2026-11-08")),
        ("blocked", "suspended", D("2026-11-15")),
    ]
    assert RecordedPhase.objects.get(account=account).automations_paused is True
    # the seats: grace then blocked, never suspended
    seat_rows = PhaseTransition.objects.filter(account=account, seat__isnull=False)
    assert sorted(seat_rows.order_by().values_list("to_phase", "effective_on").distinct()) == [
        ("blocked", D("2026-11-08")), ("grace", D("2026-11-01"))]
    assert seat_rows.count() == 4  # two seats × two changes


def test_sweep_at_a_february_month_end(make_account):
    account, _admin = make_account("Feb", as_of=D("2027-02-10"))  # valid until 2027-02-28
    dunning_sweep(as_of=D("2027-02-28"))
    assert not RecordedPhase.objects.filter(account=account).exists()
    dunning_sweep(as_of=D("2027-03-01"))
    assert RecordedPhase.objects.get(account=account).phase == Phase.GRACE
    dunning_sweep(as_of=D("2027-03-07"))
    assert RecordedPhase.objects.get(account=account).phase == Phase.GRACE
    dunning_sweep(as_of=D("2027-03-08"))
    assert RecordedPhase.objects.get(account=account).phase == Phase.BLOCKED
    dunning_sweep(as_of=D("2027-03-15"))
    assert RecordedPhase.objects.get(account=account).phase == Phase.SUSPENDED
    assert account_transitions(account)[-1] == ("blocked", "suspended", D("2027-03-15"))


def test_sweep_in_a_leap_year_february(make_account):
    account, _admin = make_account("Leap", as_of=D("2028-02-10"))  # valid until 2028-02-29
    dunning_sweep(as_of=D("2028-02-29"))
    assert not RecordedPhase.objects.filter(account=account).exists()
    dunning_sweep(as_of=D("2028-03-01"))
    assert account_transitions(account) == [("active", "grace", D("2028-03-01"))]


def test_a_sweep_that_missed_days_records_one_jump_and_mails_only_the_current_phase(acme):
    account, _admin, _user = acme
    dunning_sweep(as_of=D("2026-11-16"))  # first run: d = 16, never swept before
    assert account_transitions(account) == [("active", "suspended", D("2026-11-15"))]
    assert kinds(account) == [NoticeKind.SUSPENDED]


def test_long_stale_phases_are_recorded_without_mail(acme):
    account, _admin, _user = acme
    dunning_sweep(as_of=D("2027-03-01"))
    assert RecordedPhase.objects.get(account=account).phase == Phase.SUSPENDED
    assert kinds(account) == []
    assert mail.outbox == []


# --- idempotency ---------------------------------------------------------------------------------


def test_running_the_sweep_twice_changes_nothing_the_second_time(acme):
    account, _admin, _user = acme
    first = dunning_sweep(as_of=D("2026-11-08"))
    rows = (PhaseTransition.objects.count(), Notice.objects.count(), len(mail.outbox))
    second = dunning_sweep(as_of=D("2026-11-08"))
    assert (PhaseTransition.objects.count(), Notice.objects.count(), len(mail.outbox)) == rows
    assert first.run.accounts_changed == 1 and second.run.accounts_changed == 0
    assert second.run.notices_created == 0 and second.lines == []


def test_unsent_notices_of_a_run_that_died_are_sent_by_the_next(acme):
    account, _admin, _user = acme
    dunning_sweep(as_of=D("2026-11-01"))
    # as if the process died after committing the batch and before sending
    Notice.objects.update(sent_at=None)
    mail.outbox.clear()
    dunning_sweep(as_of=D("2026-11-02"))
    assert len(mail.outbox) == 1
    assert Notice.objects.filter(sent_at__isnull=True).count() == 0


# --- paying ---------------------------------------------------------------------------------------


def test_paying_restores_access_at_once_and_the_sweep_resumes_automations(acme):
    account, admin, user = acme
    dunning_sweep(as_of=D("2026-11-15"))
    assert access_decision(user.user, as_of=D("2026-11-15")).code == "blocked"
    seats_pay_through(Seat.objects.filter(account=account), D("2026-12-31"),
                      as_of=D("2026-11-15"))
    # no sweep needed: the decision is computed from the dates
    assert access_decision(user.user, as_of=D("2026-11-15")).allowed
    assert standing_of(account, D("2026-11-15")).automations_paused is False
    result = dunning_sweep(as_of=D("2026-11-15"))
    recorded = RecordedPhase.objects.get(account=account)
    assert (recorded.phase, recorded.automations_paused) == (Phase.ACTIVE, False)
    assert account_transitions(account)[-1] == ("suspended", "active", D("2026-11-15"))
    assert any(line.change == "automations resumed" for line in result.lines)
    assert not SeatRecordedPhase.objects.filter(account=account).exists()


# --- trials and contracts ----------------------------------------------------------------------


def test_trial_ending_notice_three_days_before_then_trial_ended(make_account):
    account, _admin = make_account("Trial", trial=True, as_of=CREATED)
    ends = account.trial_ends_on
    assert ends == CREATED + timedelta(days=13)
    dunning_sweep(as_of=ends - timedelta(days=4))
    assert kinds(account) == []
    dunning_sweep(as_of=ends - timedelta(days=3))
    assert kinds(account) == [NoticeKind.TRIAL_ENDING]
    dunning_sweep(as_of=ends)
    assert RecordedPhase.objects.filter(account=account).exists() is False
    dunning_sweep(as_of=ends + timedelta(days=1))
    assert account_transitions(account) == [("active", "blocked", ends + timedelta(days=1))]
    assert kinds(account) == [NoticeKind.TRIAL_ENDED, NoticeKind.TRIAL_ENDING]
    # a trial never goes on to suspended
    dunning_sweep(as_of=ends + timedelta(days=20))
    assert RecordedPhase.objects.get(account=account).phase == Phase.BLOCKED


def test_contract_accounts_are_never_blocked_by_expiry(make_account):
    account, _admin = make_account("Big", extra_seats=9, as_of=CREATED)
    contract_set(account=account, starts_on=CREATED, ends_on=None, actor=None, as_of=CREATED)
    dunning_sweep(as_of=D("2026-11-20"))
    assert not RecordedPhase.objects.filter(account=account).exists()
    assert not PhaseTransition.objects.filter(account=account).exists()
    assert kinds(account) == []


# --- the dry run and the command ---------------------------------------------------------------


def test_dry_run_reports_what_it_would_do_and_changes_nothing(acme, capsys):
    account, _admin, _user = acme
    call_command("dunning_sweep", "--as-of", "2026-11-08", "--dry-run")
    out = capsys.readouterr().out
    assert "active → blocked" in out and "e-mail: blocked" in out
    assert "Dry run for 2026-11-08: 1 account(s) and 2 seat(s) changed phase" in out
    assert not RecordedPhase.objects.exists() and not Notice.objects.exists()
    assert not PhaseTransition.objects.exists() and not SweepRun.objects.exists()
    assert mail.outbox == []
    # the real run then does what the dry run said
    call_command("dunning_sweep", "--as-of", "2026-11-08")
    assert RecordedPhase.objects.get(account=account).phase == Phase.BLOCKED
    assert SweepRun.objects.get().accounts_changed == 1


def test_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="--as-of must be a date"):
        call_command("dunning_sweep", "--as-of", "2026-13-01")


# --- candidates: the SQL agrees with the pure functions ------------------------------------------


@pytest.mark.parametrize("grace,blocked_through", [(7, 14), (3, 5)])
def test_candidate_sql_agrees_with_the_phase_functions_on_every_day(
        make_account, grace, blocked_through):
    BillingPolicy.objects.update_or_create(
        pk=BillingPolicy.SINGLETON_ID,
        defaults={"grace_days": grace, "blocked_through_day": blocked_through,
                  "renewal_paid_grace_days": max(14, grace), "charge_retry_1_days": 1,
                  "charge_retry_2_days": 2, "charge_retry_3_days": 3})
    policy = PhasePolicy.from_model(BillingPolicy.current())
    account, _admin = make_account("Sql", as_of=CREATED)
    trial, _ = make_account("SqlTrial", trial=True, as_of=CREATED)
    for offset in range(-9, blocked_through + 4):
        day = D("2026-10-31") + timedelta(days=offset)
        for subject in (account, trial):
            candidates = set(candidate_account_ids(day, policy))
            recorded = RecordedPhase.objects.filter(account=subject).first()
            live = standing_of(subject, day).phase
            changed = live != (recorded.phase if recorded else Phase.ACTIVE)
            if changed:
                assert subject.pk in candidates, (day, subject.name)
        dunning_sweep(as_of=day)
        for subject in (account, trial):
            recorded = RecordedPhase.objects.filter(account=subject).first()
            assert (recorded.phase if recorded else Phase.ACTIVE) == standing_of(
                subject, day).phase, (day, subject.name)
    # once everything is recorded nothing is a candidate any more
    assert candidate_account_ids(day, policy) == []


# --- cost: queries grow with the changes, not with the accounts -----------------------------------


def sweep_queries(as_of):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        dunning_sweep(as_of=as_of)
    return len(queries)


def test_sweep_queries_do_not_grow_with_steady_accounts(make_account):
    day = D("2026-11-08")
    for i in range(2):  # two accounts that become blocked on `day`
        make_account(f"Changing {i}", as_of=CREATED)
    dunning_sweep(as_of=day - timedelta(days=1))  # record the steady state (grace)
    few_steady = sweep_queries(day)

    PhaseTransition.objects.all().delete()
    RecordedPhase.objects.update(phase=Phase.GRACE, since=D("2026-11-01"))
    Notice.objects.filter(kind=NoticeKind.BLOCKED).delete()
    for i in range(25):  # many accounts that do not change on `day`
        account, _admin = make_account(f"Steady {i}", as_of=CREATED)
        seats_pay_through(Seat.objects.filter(account=account), D("2027-03-31"), as_of=CREATED)
    dunning_sweep(as_of=day - timedelta(days=1))
    many_steady = sweep_queries(day)
    assert RecordedPhase.objects.filter(phase=Phase.BLOCKED).count() == 2
    assert many_steady == few_steady


def test_the_early_notice_names_the_real_date_when_the_first_sweep_is_late(acme):
    """A sweep that first sees the seats 3 days before expiry (not 7) sends the early notice;
    its subject gives the real last valid day, never "in 7 days"."""
    account, _admin, _user = acme
    dunning_sweep(as_of=D("2026-10-28"))  # 3 days left
    assert kinds(account) == [NoticeKind.EXPIRES_IN_7_DAYS]
    [message] = mail.outbox
    assert "Oct. 31, 2026" in message.subject and "31 października 2026" in message.subject
    assert "7 days" not in message.subject and "7 dni" not in message.subject
