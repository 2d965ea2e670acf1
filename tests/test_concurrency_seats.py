"""Seat services under real concurrency: parallel threads, each with its own database connection,
released together by a barrier. The services serialise on the account row; these tests check the
outcome in the database (seats, occupants, audit rows), not just the return values.

The packages wiped by the flush of transactional tests come back through the `catalogue` fixture
(requested by `make_account`).
"""

import threading
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from billing_site.errors import DomainError
from seats import services
from seats.models import Account, AuditEntry, Invitation, Member, MemberRole, MemberState, Seat

AS_OF = date(2026, 1, 31)  # a month end: new seats are valid for this one day only
EFFECTIVE = date(2026, 2, 28)

concurrent = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_together(*calls, timeout=60):
    """Run each call in its own thread with its own connection, all released at once.
    Returns [("ok", value) | ("error", exception)] in the order of `calls`."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def runner(index, call):
        try:
            connection.ensure_connection()  # connect first, so the barrier releases real work
            barrier.wait(timeout=timeout)
            results[index] = ("ok", call())
        except Exception as exc:  # reported to the test, which decides
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


def successes(results):
    return [value for kind, value in results if kind == "ok"]


def errors(results):
    return [value for kind, value in results if kind == "error"]


def seatless_member(account, email):
    """Setup only: an active member without a seat, a state the services never leave behind."""
    user = get_user_model().objects.create_user(username=email, email=email, password=None)
    return Member.objects.create(account=account, user=user, role=MemberRole.USER)


def assert_one_seat_per_occupant(account):
    occupied = list(
        Seat.objects.filter(account=account, member__isnull=False).values_list("member_id",
                                                                               flat=True)
    )
    assert len(occupied) == len(set(occupied))
    active = set(Member.objects.filter(account=account, state=MemberState.ACTIVE)
                 .values_list("pk", flat=True))
    assert set(occupied) <= active


@concurrent
@pytest.mark.parametrize("round_", range(6))  # a lost race shows only sometimes: try it 6 times
def test_concurrent_invites_one_takes_free_seat_other_gets_new_seat(
    make_account, mailoutbox, round_
):
    account, admin = make_account(f"Acme {round_}", extra_seats=1, as_of=AS_OF,
                                  admin_email="admin@acme.example")
    [free] = Seat.objects.filter(account=account, member__isnull=True)
    before = set(Seat.objects.filter(account=account).values_list("pk", flat=True))

    results = run_together(
        lambda: services.member_invite(account=account, email="anna@acme.example",
                                       role=MemberRole.USER, actor=admin.user, as_of=AS_OF),
        lambda: services.member_invite(account=account, email="bartek@acme.example",
                                       role=MemberRole.USER, actor=admin.user, as_of=AS_OF),
    )

    assert errors(results) == []
    invited = successes(results)
    assert len(invited) == 2
    seats = {m.pk: Seat.objects.filter(member_id=m.pk).first() for m in invited}
    assert None not in seats.values(), "an invited member lost their seat to the other"
    assert len({s.pk for s in seats.values()}) == 2
    free.refresh_from_db()
    assert free.member_id in seats  # one of them took the free seat
    [new_seat] = [s for s in seats.values() if s.pk not in before]
    assert new_seat.valid_until == AS_OF
    assert new_seat.created_on == AS_OF
    assert new_seat.paid_through is None
    assert Seat.objects.filter(account=account).count() == 3  # 2 + the admin's
    assert not Seat.objects.filter(account=account, member__isnull=True).exists()
    assert_one_seat_per_occupant(account)
    assert AuditEntry.objects.filter(account=account, action="member.invite").count() == 3
    assert AuditEntry.objects.filter(account=account, action="seat.add").count() == 3
    assert AuditEntry.objects.filter(account=account, action="seat.assign").count() == 3
    recipients = sorted(m.to[0] for m in mailoutbox if m.to[0] != admin.email)
    assert recipients == ["anna@acme.example", "bartek@acme.example"]


@concurrent
def test_concurrent_invites_of_the_same_email_create_one_member(make_account):
    account, admin = make_account("Acme", extra_seats=1, as_of=AS_OF)
    results = run_together(*[
        (lambda: services.member_invite(account=account, email="anna@acme.example",
                                        role=MemberRole.USER, actor=admin.user, as_of=AS_OF))
        for _ in range(4)
    ])
    assert len(successes(results)) == 1
    assert len(errors(results)) == 3
    assert all(isinstance(e, DomainError) and e.field == "email" for e in errors(results))
    assert Member.objects.filter(user__username="anna@acme.example").count() == 1
    assert Seat.objects.filter(account=account).count() == 2  # the free one was taken, no more
    assert_one_seat_per_occupant(account)


@concurrent
def test_concurrent_assigns_of_one_free_seat_exactly_one_succeeds(make_account):
    account, admin = make_account("Acme", extra_seats=1, as_of=AS_OF)
    [seat] = Seat.objects.filter(account=account, member__isnull=True)
    members = [seatless_member(account, f"user{i}@acme.example") for i in range(10)]

    def assign(member):
        return lambda: services.seat_assign(account=account, seat=seat, member=member,
                                            actor=admin.user, as_of=AS_OF)

    results = run_together(*[assign(m) for m in members])

    assert len(successes(results)) == 1
    assert len(errors(results)) == 9
    assert all(isinstance(e, DomainError) and e.code == "seat_occupied"
               for e in errors(results))
    seat.refresh_from_db()
    assert seat.member_id in {m.pk for m in members}
    winner = [m for (kind, _), m in zip(results, members, strict=True) if kind == "ok"][0]
    assert seat.member_id == winner.pk
    assert Seat.objects.filter(member__in=members).count() == 1
    assert AuditEntry.objects.filter(action="seat.assign", target_id=seat.pk).count() == 1
    assert_one_seat_per_occupant(account)


@concurrent
def test_concurrent_scheduled_runs_apply_each_change_once(make_account, make_member):
    acme, acme_admin = make_account("Acme", as_of=AS_OF)
    other, other_admin = make_account("Other", as_of=AS_OF)
    scheduled = []
    for account, admin in ((acme, acme_admin), (other, other_admin)):
        for i in range(4):
            member = make_member(account, f"u{i}@{account.name.lower()}.example", as_of=AS_OF)
            services.member_release(
                account=account, member=member,
                state=MemberState.SUSPENDED if i % 2 else MemberState.DELETED,
                effective=EFFECTIVE, remove_seat=bool(i % 2), actor=admin.user, as_of=AS_OF,
            )
            scheduled.append(member)

    results = run_together(
        lambda: services.members_apply_scheduled(as_of=EFFECTIVE, batch_size=3),
        lambda: services.members_apply_scheduled(as_of=EFFECTIVE, batch_size=3),
    )

    assert errors(results) == []
    assert sum(successes(results)) == len(scheduled) == 8
    member_pks = [m.pk for m in scheduled]
    applied = AuditEntry.objects.filter(
        action__in=["member.suspended", "member.deleted"], target_id__in=member_pks
    )
    assert applied.count() == 8
    assert sorted(applied.values_list("target_id", flat=True)) == sorted(member_pks)
    seat_rows = AuditEntry.objects.filter(action__in=["seat.release", "seat.remove"],
                                          actor_label="system")
    assert seat_rows.count() == 8
    assert Member.objects.filter(pk__in=member_pks).exclude(pending_state="").count() == 0
    assert Member.objects.filter(pk__in=member_pks, state=MemberState.ACTIVE).count() == 0
    assert not Seat.objects.filter(member_id__in=member_pks).exists()
    assert Seat.objects.filter(removed_on=EFFECTIVE).count() == 4
    assert services.members_apply_scheduled(as_of=EFFECTIVE) == 0


@concurrent
def test_concurrent_removals_of_one_free_seat_exactly_one_succeeds(make_account):
    account, admin = make_account("Acme", extra_seats=1, as_of=AS_OF)
    [seat] = Seat.objects.filter(account=account, member__isnull=True)

    results = run_together(*[
        (lambda: services.seat_remove(account=account, seat=seat, actor=admin.user, as_of=AS_OF))
        for _ in range(2)
    ])

    assert len(successes(results)) == 1
    [error] = errors(results)
    assert isinstance(error, DomainError)
    assert error.code == "seat_removed"
    seat.refresh_from_db()
    assert seat.removed_on == AS_OF
    assert AuditEntry.objects.filter(action="seat.remove", target_id=seat.pk).count() == 1


@concurrent
def test_concurrent_seat_adds_all_land(make_account):
    account, admin = make_account("Acme", as_of=AS_OF)
    audit_before = AuditEntry.objects.filter(account=account, action="seat.add").count()

    results = run_together(*[
        (lambda: services.seats_add(account=account, count=3, actor=admin.user, as_of=AS_OF))
        for _ in range(5)
    ])

    assert errors(results) == []
    added = [seat.pk for batch in successes(results) for seat in batch]
    assert len(added) == len(set(added)) == 15
    new_seats = Seat.objects.filter(account=account, member__isnull=True)
    assert new_seats.count() == 15
    assert set(new_seats.values_list("pk", flat=True)) == set(added)
    assert set(new_seats.values_list("valid_until", flat=True)) == {AS_OF}
    assert Seat.objects.filter(account=account).count() == 16
    audit_after = AuditEntry.objects.filter(account=account, action="seat.add").count()
    assert audit_after - audit_before == 15


@concurrent
def test_concurrent_restores_onto_one_free_seat_exactly_one_succeeds(make_account, make_member):
    account, admin = make_account("Acme", as_of=AS_OF)
    members = [make_member(account, f"u{i}@acme.example", as_of=AS_OF) for i in range(2)]
    for member in members:
        services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                                effective=AS_OF, remove_seat=True, actor=admin.user, as_of=AS_OF)
    [seat] = services.seats_add(account=account, count=1, actor=admin.user, as_of=AS_OF)

    results = run_together(*[
        (lambda m=m: services.member_restore(account=account, member=m, actor=admin.user,
                                             as_of=AS_OF))
        for m in members
    ])

    assert len(successes(results)) == 1
    [error] = errors(results)
    assert isinstance(error, DomainError)
    assert error.code == "no_free_seat"
    seat.refresh_from_db()
    assert seat.member_id in {m.pk for m in members}
    assert Member.objects.filter(pk__in=[m.pk for m in members],
                                 state=MemberState.ACTIVE).count() == 1
    assert_one_seat_per_occupant(account)


@concurrent
def test_concurrent_invites_of_one_email_into_two_accounts_add_it_to_one(make_account):
    acme, acme_admin = make_account("Acme", as_of=AS_OF)
    other, other_admin = make_account("Other", as_of=AS_OF)
    results = run_together(
        lambda: services.member_invite(account=acme, email="anna@example.com",
                                       role=MemberRole.USER, actor=acme_admin.user, as_of=AS_OF),
        lambda: services.member_invite(account=other, email="anna@example.com",
                                       role=MemberRole.USER, actor=other_admin.user,
                                       as_of=AS_OF),
    )
    # issue 13: the loser is not refused (that would tell one tenant about another's member):
    # it adds nobody and answers None, as for any address with a login elsewhere
    assert errors(results) == []
    [member] = [r for r in successes(results) if r is not None]
    assert None in successes(results)
    assert Member.objects.get(user__username="anna@example.com").pk == member.pk
    loser = other if member.account_id == acme.pk else acme
    # nobody added; its invitation holds a seat (a new one) as any invitation does (issue 13
    # item 3), so the loser's seats look like the winner's
    assert Seat.objects.filter(account=loser).count() == 2
    [invitation] = Invitation.objects.filter(account=loser, email="anna@example.com")
    assert invitation.member_id is None and invitation.seat.member_id is None
    assert not Member.objects.filter(account=loser, user__username="anna@example.com").exists()


@concurrent
def test_concurrent_signups_with_one_email_create_one_account(catalogue):
    results = run_together(*[
        (lambda i=i: services.signup(organisation=f"Firma {i}", email="owner@firma.example",
                                     password="pass-Word-123", country="PL", as_of=AS_OF))
        for i in range(3)
    ])
    # issue 13: no refusal that would tell the address is taken; two add nothing
    assert errors(results) == []
    assert sorted(successes(results), key=lambda r: r[0] is None)[1:] == [(None, None)] * 2
    assert Account.objects.count() == 1
    assert get_user_model().objects.filter(username="owner@firma.example").count() == 1


# --- the last active admin (issue 7, item 12) ---------------------------------------------------


def two_admins(make_account, make_member, round_):
    account, first = make_account(f"Admins {round_}", as_of=AS_OF)
    second = make_member(account, f"second@admins-{round_}.example", MemberRole.ADMIN,
                         as_of=AS_OF)
    return account, first, second


def active_admins(account):
    return list(Member.objects.filter(account=account, role=MemberRole.ADMIN,
                                      state=MemberState.ACTIVE).values_list("pk", flat=True))


def release_each_other(account, first, second, state, effective):
    """`first` releases `second` and `second` releases `first`, from two connections at once.
    Returns {actor pk: ("ok", member) | ("error", exception)}."""

    def release(member, actor):
        return lambda: services.member_release(
            account=account, member=member, state=state, effective=effective, remove_seat=False,
            actor=actor.user, as_of=AS_OF,
        )

    results = run_together(release(second, first), release(first, second))
    return dict(zip((first.pk, second.pk), results, strict=True))


@concurrent
@pytest.mark.parametrize("state", [MemberState.SUSPENDED, MemberState.DELETED])
@pytest.mark.parametrize("round_", range(4))  # a lost race shows only sometimes: try it 4 times
def test_two_admins_releasing_each_other_at_once_leave_one_active_admin(
    make_account, make_member, state, round_
):
    account, first, second = two_admins(make_account, make_member, round_)

    results = release_each_other(account, first, second, state, effective=AS_OF)

    outcomes = list(results.values())
    assert len(successes(outcomes)) == 1, outcomes
    [error] = errors(outcomes)
    assert isinstance(error, DomainError), repr(error)
    assert error.code == "last_admin"
    # the admin whose own call went through is the one left
    [winner] = [actor for actor, (kind, _value) in results.items() if kind == "ok"]
    assert active_admins(account) == [winner]
    loser = Member.objects.get(pk=(second.pk if winner == first.pk else first.pk))
    assert loser.state == state
    assert AuditEntry.objects.filter(account=account, action=f"member.{state}").count() == 1


@concurrent
@pytest.mark.parametrize("state", [MemberState.SUSPENDED, MemberState.DELETED])
@pytest.mark.parametrize("round_", range(3))
def test_two_admins_scheduling_each_others_release_at_once_leave_one_active_admin(
    make_account, make_member, state, round_
):
    account, first, second = two_admins(make_account, make_member, round_)

    results = release_each_other(account, first, second, state, effective=EFFECTIVE)

    outcomes = list(results.values())
    assert len(successes(outcomes)) == 1, outcomes
    [error] = errors(outcomes)
    assert isinstance(error, DomainError) and error.code == "last_admin", repr(error)
    assert Member.objects.filter(account=account).exclude(pending_state="").count() == 1
    assert services.members_apply_scheduled(as_of=EFFECTIVE) == 1
    assert len(active_admins(account)) == 1


@concurrent
@pytest.mark.parametrize("round_", range(3))
def test_scheduled_releases_of_every_admin_leave_the_last_admin_active(
    make_account, make_member, round_
):
    """Both admins' suspensions scheduled for one day: the services refuse the second one, but
    staff can set pending changes in the Django admin (done here with an update). The daily job,
    two runs at once, applies the first and refuses the one that would leave no admin."""
    account, first, second = two_admins(make_account, make_member, round_)
    Member.objects.filter(pk__in=[first.pk, second.pk]).update(
        pending_state=MemberState.SUSPENDED, pending_on=EFFECTIVE, pending_remove_seat=True
    )

    results = run_together(
        lambda: services.members_apply_scheduled(as_of=EFFECTIVE),
        lambda: services.members_apply_scheduled(as_of=EFFECTIVE),
    )

    assert errors(results) == []
    assert sum(successes(results)) == 1
    [kept] = active_admins(account)
    kept = Member.objects.get(pk=kept)
    assert kept.pending_state == "" and kept.pending_on is None
    assert Seat.objects.filter(member=kept, removed_on__isnull=True).exists()
    [refused] = AuditEntry.objects.filter(account=account, action="member.schedule_refused")
    assert refused.target_id == kept.pk and refused.actor_label == "system"
    assert refused.before["pending_state"] == MemberState.SUSPENDED
    assert refused.after["pending_state"] == ""
    assert AuditEntry.objects.filter(account=account, action="member.suspended").count() == 1
    assert Member.objects.filter(account=account).exclude(pending_state="").count() == 0
    assert services.members_apply_scheduled(as_of=EFFECTIVE) == 0
