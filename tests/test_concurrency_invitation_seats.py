"""Invitations holding seats (issue 13 item 3) under real concurrency: parallel threads, each
with its own database connection, released together by a barrier (`run_together` of
`test_concurrency_seats`). Two invitations — whoever owns the addresses — never hold the same
seat, and a held seat is never given to someone else at the same moment."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from billing_site.errors import DomainError
from seats import services
from seats.models import Invitation, InvitationStatus, MemberRole, Seat
from tests.test_concurrency_seats import errors, run_together, seatless_member, successes

AS_OF = date(2026, 1, 31)
concurrent = pytest.mark.django_db(transaction=True)

# an address without a login, another organisation's member's, a vendor staff login's
PAIRS = [("new@acme.example", "boss@globex.example"),
         ("boss@globex.example", "ops@vendor.example"),
         ("new@acme.example", "other@acme.example")]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def logins_elsewhere(make_account):
    make_account("Globex", country="DE", as_of=AS_OF, admin_email="boss@globex.example")
    get_user_model().objects.create_user("ops@vendor.example", "ops@vendor.example",
                                         "pass-Word-123", is_staff=True)


def invite(account, admin, email):
    return lambda: services.member_invite(account=account, email=email, role=MemberRole.USER,
                                          actor=admin.user, as_of=AS_OF)


@concurrent
@pytest.mark.parametrize("round_", range(3))  # a lost race shows only sometimes
@pytest.mark.parametrize("pair", PAIRS, ids=["new+member", "member+staff", "new+new"])
def test_two_concurrent_invitations_hold_two_different_seats(
        make_account, logins_elsewhere, pair, round_):
    account, admin = make_account(f"Acme {round_}", extra_seats=1, as_of=AS_OF)
    [free] = Seat.objects.filter(account=account, member__isnull=True)

    results = run_together(*(invite(account, admin, email) for email in pair))

    assert errors(results) == []
    held = list(Invitation.objects.filter(account=account, email__in=pair,
                                          status=InvitationStatus.PENDING)
                .values_list("seat_id", flat=True))
    assert len(held) == 2 and len(set(held)) == 2, "two invitations hold one seat"
    assert free.pk in held  # one took the free seat, the other a new one
    seats = Seat.objects.filter(account=account, removed_on__isnull=True)
    assert seats.count() == 3 and not seats.free().exists()
    for invitation in Invitation.objects.filter(account=account, email__in=pair):
        occupant = Seat.objects.get(pk=invitation.seat_id).member_id
        assert occupant == invitation.member_id  # the new address's member sits on it, or nobody


@concurrent
@pytest.mark.parametrize("round_", range(3))
@pytest.mark.parametrize("email", ["new@acme.example", "boss@globex.example"])
def test_an_invitation_and_an_assignment_of_the_last_free_seat_do_not_share_it(
        make_account, logins_elsewhere, email, round_):
    account, admin = make_account(f"Acme {round_}", extra_seats=1, as_of=AS_OF)
    [free] = Seat.objects.filter(account=account, member__isnull=True)
    lone = seatless_member(account, "lone@acme.example")

    results = run_together(
        invite(account, admin, email),
        lambda: services.seat_assign(account=account, seat=free, member=lone, actor=admin.user,
                                     as_of=AS_OF),
    )

    invitation = Invitation.objects.get(account=account, email=email)
    free.refresh_from_db()
    if results[1][0] == "ok":  # the assignment first: the invitation added a seat to hold
        assert free.member_id == lone.pk
        assert invitation.seat_id != free.pk
    else:  # the invitation first: the assignment was refused, the seat is held
        [refusal] = errors(results)
        assert isinstance(refusal, DomainError) and refusal.code == "seat_reserved"
        assert invitation.seat_id == free.pk
        assert free.member_id == invitation.member_id
    assert len(successes(results)) >= 1
    assert not Seat.objects.filter(account=account).free().exists()
