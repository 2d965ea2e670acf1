"""Who may use the product (seats.access.access_decision, SPEC §3), at fixed business dates."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from seats import services
from seats.access import access_decision
from seats.models import Member, MemberRole, MemberState, Seat

AS_OF = date(2026, 10, 25)  # Europe/Warsaw leaves summer time that night
LATER = date(2026, 10, 31)


@pytest.fixture(autouse=True)
def _english_and_fast(settings):
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def acme(make_account):
    return make_account("Acme Widgets", as_of=AS_OF)


def release(account, admin, member, state, *, remove_seat=False, effective=AS_OF):
    services.member_release(account=account, member=member, state=state, effective=effective,
                            remove_seat=remove_seat, actor=admin.user, as_of=AS_OF)
    member.refresh_from_db()
    member.user.refresh_from_db()
    return member


@pytest.mark.django_db
@pytest.mark.parametrize("role", [MemberRole.USER, MemberRole.MANAGER, MemberRole.ADMIN])
def test_access_active_member_with_seat_allowed(acme, make_member, role):
    account, _ = acme
    member = make_member(account, "jane@acme.example", role=role, as_of=AS_OF)
    decision = access_decision(member.user, as_of=AS_OF)
    assert decision.allowed is True
    assert decision.code == "ok"
    assert decision.billing_only is False


@pytest.mark.django_db
@pytest.mark.parametrize("remove_seat", [False, True])
def test_access_suspended_member_refused_naming_suspension_seat_and_account(
    acme, make_member, remove_seat
):
    account, admin = acme
    member = make_member(account, "jane@acme.example", as_of=AS_OF)
    release(account, admin, member, MemberState.SUSPENDED, remove_seat=remove_seat)
    decision = access_decision(member.user, as_of=AS_OF)
    assert decision.allowed is False
    assert decision.code == "suspended"
    assert "suspended" in decision.message
    assert "seat" in decision.message
    assert "Acme Widgets" in decision.message


@pytest.mark.django_db
def test_access_deleted_member_refused(acme, make_member):
    account, admin = acme
    member = make_member(account, "jane@acme.example", as_of=AS_OF)
    release(account, admin, member, MemberState.DELETED)
    assert member.user.is_active is False
    decision = access_decision(member.user, as_of=AS_OF)
    assert decision.allowed is False
    assert decision.code == "deleted"
    assert "deleted" in decision.message
    assert "Acme Widgets" in decision.message


@pytest.mark.django_db
def test_access_scheduled_suspension_refuses_only_once_applied(acme, make_member):
    account, admin = acme
    member = make_member(account, "jane@acme.example", as_of=AS_OF)
    release(account, admin, member, MemberState.SUSPENDED, effective=LATER)
    assert access_decision(member.user, as_of=AS_OF).allowed is True
    services.members_apply_scheduled(as_of=date(2026, 10, 30))
    assert access_decision(member.user, as_of=date(2026, 10, 30)).allowed is True
    services.members_apply_scheduled(as_of=LATER)
    decision = access_decision(member.user, as_of=LATER)
    assert decision.allowed is False
    assert decision.code == "suspended"


@pytest.mark.django_db
def test_access_restored_member_allowed_again(acme, make_member):
    account, admin = acme
    member = make_member(account, "jane@acme.example", as_of=AS_OF)
    release(account, admin, member, MemberState.SUSPENDED)
    services.member_restore(account=account, member=member, actor=admin.user, as_of=AS_OF)
    decision = access_decision(member.user, as_of=AS_OF)
    assert decision.allowed is True
    assert decision.code == "ok"


@pytest.mark.django_db
@pytest.mark.parametrize("with_membership", [False, True])
def test_access_staff_allowed(acme, with_membership):
    account, _ = acme
    user = get_user_model().objects.create_user(
        username="ops@vendor.example", email="ops@vendor.example", is_staff=True
    )
    if with_membership:  # staff are allowed even without a seat of their own
        Member.objects.create(account=account, user=user, role=MemberRole.USER)
    decision = access_decision(user, as_of=AS_OF)
    assert decision.allowed is True
    assert decision.code == "staff"


@pytest.mark.django_db
def test_access_deactivated_staff_refused(acme):
    user = get_user_model().objects.create_user(
        username="ex-ops@vendor.example", email="ex-ops@vendor.example", is_staff=True,
        is_active=False,
    )
    decision = access_decision(user, as_of=AS_OF)
    assert decision.allowed is False
    assert decision.code == "inactive"
    assert decision.message


@pytest.mark.django_db
def test_access_deactivated_login_refused_even_with_active_member_and_seat(acme, make_member):
    account, _ = acme
    member = make_member(account, "jane@acme.example", as_of=AS_OF)
    # as staff would do in the Django admin; the login backend lets inactive users through
    # (settings.AUTHENTICATION_BACKENDS), so the access decision has to refuse them
    get_user_model().objects.filter(pk=member.user.pk).update(is_active=False)
    member.user.refresh_from_db()
    decision = access_decision(member.user, as_of=AS_OF)
    assert decision.allowed is False
    assert decision.code == "inactive"
    assert "Acme Widgets" in decision.message


@pytest.mark.django_db
def test_access_member_without_seat_refused_no_seat(acme):
    account, _ = acme
    # setup only: an active member without a seat, which the services never leave behind
    user = get_user_model().objects.create_user(username="lone@acme.example",
                                                email="lone@acme.example")
    Member.objects.create(account=account, user=user, role=MemberRole.USER)
    decision = access_decision(user, as_of=AS_OF)
    assert decision.allowed is False
    assert decision.code == "no_seat"
    assert "seat" in decision.message
    assert "Acme Widgets" in decision.message


@pytest.mark.django_db
def test_access_member_whose_seat_was_removed_refused_no_seat(acme, make_member):
    account, _ = acme
    member = make_member(account, "jane@acme.example", as_of=AS_OF)
    # setup only: the seat is taken away and removed behind the services' back
    Seat.objects.filter(member=member).update(member=None, removed_on=AS_OF)
    decision = access_decision(member.user, as_of=AS_OF)
    assert decision.allowed is False
    assert decision.code == "no_seat"
    assert "Acme Widgets" in decision.message


@pytest.mark.django_db
def test_access_login_without_membership_refused(acme):
    user = get_user_model().objects.create_user(username="stray@else.example",
                                                email="stray@else.example")
    decision = access_decision(user, as_of=AS_OF)
    assert decision.allowed is False
    assert decision.code == "no_member"


@pytest.mark.django_db
@pytest.mark.parametrize("user", [None, AnonymousUser()])
def test_access_anonymous_refused(user):
    decision = access_decision(user, as_of=AS_OF)
    assert decision.allowed is False
    assert decision.code == "anonymous"
    assert decision.message


@pytest.mark.django_db
def test_access_decision_looks_only_at_the_persons_own_membership(make_account, make_member):
    acme, acme_admin = make_account("Acme Widgets", as_of=AS_OF)
    other, other_admin = make_account("Other Corp", as_of=AS_OF)
    jane = make_member(acme, "jane@acme.example", as_of=AS_OF)
    john = make_member(other, "john@other.example", as_of=AS_OF)
    release(other, other_admin, john, MemberState.SUSPENDED)
    assert access_decision(jane.user, as_of=AS_OF).allowed is True
    decision = access_decision(john.user, as_of=AS_OF)
    assert decision.allowed is False
    assert "Other Corp" in decision.message
    assert "Acme Widgets" not in decision.message
