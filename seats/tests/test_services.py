"""Service-level tests of the seat rules (SPEC §3), each at fixed, explicit business dates.

State is built through the services; the few rows the services never produce on their own (an
active member without a seat, a seat already paid for) are set up directly and say so.
"""

import re
from datetime import date, timedelta
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.urls import resolve
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from billing_site.errors import DomainError
from catalogue.models import Package
from seats import selectors, services
from seats.models import Account, AuditEntry, Member, MemberRole, MemberState, Seat

# Dates the rules are most likely to get wrong: month ends, a leap day, the year end, and the two
# days Europe/Warsaw changes clocks (dates must not shift with the UTC offset).
JAN_31 = date(2026, 1, 31)
LEAP_DAY = date(2028, 2, 29)
YEAR_END = date(2026, 12, 31)
DST_AUTUMN = date(2026, 10, 25)
DST_SPRING = date(2026, 3, 29)
MID_NOV = date(2026, 11, 16)


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english_and_fast(settings):
    settings.LANGUAGE_CODE = "en"  # messages are asserted in English
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seatless_member(account, email, role=MemberRole.USER):
    """Setup only: an active member without a seat, a state the services never leave behind."""
    user = get_user_model().objects.create_user(username=email, email=email, password=None)
    return Member.objects.create(account=account, user=user, role=role)


def free_seats(account):
    return list(
        Seat.objects.filter(account=account, removed_on__isnull=True, member__isnull=True)
        .order_by("id")
    )


def audit_actions(account):
    return list(AuditEntry.objects.filter(account=account).order_by("id")
                .values_list("action", flat=True))


def refresh(*objs):
    for obj in objs:
        obj.refresh_from_db()


# --- account_create -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("country", "currency"),
    [("PL", "PLN"), ("CZ", "CZK"), ("DE", "EUR"), ("NO", "EUR"), ("US", "USD"), ("GB", "USD"),
     ("pl", "PLN"), (" cz ", "CZK")],
)
def test_account_create_currency_follows_country(country, currency):
    account = services.account_create(
        name="Acme", package_code="base", country=country, trial=False, actor=None, as_of=MID_NOV
    )
    account.refresh_from_db()
    assert account.currency == currency
    assert account.country == country.strip().upper()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("as_of", "trial_ends_on"),
    [
        (JAN_31, date(2026, 2, 13)),
        (date(2028, 2, 16), LEAP_DAY),
        (LEAP_DAY, date(2028, 3, 13)),
        (date(2026, 2, 16), date(2026, 3, 1)),
        (YEAR_END, date(2027, 1, 13)),
        (DST_AUTUMN, date(2026, 11, 7)),
        (DST_SPRING, date(2026, 4, 11)),
    ],
)
def test_account_create_trial_lasts_14_days_inclusive(as_of, trial_ends_on):
    account = services.account_create(
        name="Trialco", package_code="base", country="PL", trial=True, actor=None, as_of=as_of
    )
    account.refresh_from_db()
    assert account.trial is True
    assert account.trial_ends_on == trial_ends_on
    assert (account.trial_ends_on - as_of).days + 1 == 14


@pytest.mark.django_db
def test_account_create_without_trial_has_no_trial_end():
    account = services.account_create(
        name="Paying", package_code="base", country="DE", trial=False, actor=None, as_of=MID_NOV
    )
    account.refresh_from_db()
    assert account.trial is False
    assert account.trial_ends_on is None
    entry = AuditEntry.objects.get(account=account, action="account.create")
    assert entry.after["currency"] == "EUR"
    assert entry.after["trial_ends_on"] is None


@pytest.mark.django_db
def test_account_create_refuses_unknown_package():
    with pytest.raises(DomainError) as exc:
        services.account_create(name="Acme", package_code="platinum", country="PL", trial=False,
                                actor=None, as_of=MID_NOV)
    assert exc.value.field == "package"
    assert not Account.objects.exists()


@pytest.mark.django_db
def test_account_create_refuses_inactive_package():
    Package.objects.filter(code="professional").update(active=False)
    with pytest.raises(DomainError) as exc:
        services.account_create(name="Acme", package_code="professional", country="PL",
                                trial=False, actor=None, as_of=MID_NOV)
    assert exc.value.field == "package"
    assert not Account.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("country", ["", None, "P", "POL", "P1", "12"])
def test_account_create_refuses_bad_country(country):
    with pytest.raises(DomainError) as exc:
        services.account_create(name="Acme", package_code="base", country=country, trial=False,
                                actor=None, as_of=MID_NOV)
    assert exc.value.field == "country"
    assert not Account.objects.exists()


@pytest.mark.django_db
def test_account_create_refuses_empty_name():
    with pytest.raises(DomainError) as exc:
        services.account_create(name="  ", package_code="base", country="PL", trial=False,
                                actor=None, as_of=MID_NOV)
    assert exc.value.field == "name"


# --- signup -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signup_creates_trial_account_with_admin_on_first_seat():
    account, member = services.signup(
        organisation="Nowa Firma", email=" Owner@Nowa-Firma.Example ", password="pass-Word-123",
        country="PL", as_of=DST_AUTUMN,
    )
    account.refresh_from_db()
    member.refresh_from_db()
    assert account.trial is True
    assert account.trial_ends_on == date(2026, 11, 7)
    assert account.currency == "PLN"
    assert member.account == account
    assert member.role == MemberRole.ADMIN
    assert member.state == MemberState.ACTIVE
    assert member.user.username == member.user.email == "owner@nowa-firma.example"
    assert member.user.check_password("pass-Word-123")
    seats = list(Seat.objects.filter(account=account))
    assert len(seats) == 1
    seat = seats[0]
    assert seat.member_id == member.pk
    # the trial runs past the end of October: the first seat runs with the trial
    assert seat.valid_until == date(2026, 11, 7)
    assert seat.created_on == DST_AUTUMN
    assert seat.paid_through is None
    assert seat.removed_on is None
    assert audit_actions(account) == ["account.create", "member.create", "seat.add"]


@pytest.mark.django_db
def test_signup_with_an_existing_email_creates_nothing_and_says_nothing(make_account):
    # issue 13: no refusal that would tell the address has a login; its owner is e-mailed
    make_account("Acme", admin_email="boss@acme.example")
    result = services.signup(organisation="Other", email="BOSS@acme.example",
                             password="pass-Word-123", country="PL", as_of=MID_NOV)
    assert result == (None, None)
    assert list(Account.objects.values_list("name", flat=True)) == ["Acme"]


# --- seats_add ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("as_of", "valid_until"),
    [
        (JAN_31, JAN_31),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2028, 2, 1), LEAP_DAY),
        (LEAP_DAY, LEAP_DAY),
        (YEAR_END, YEAR_END),
        (DST_AUTUMN, date(2026, 10, 31)),
        (DST_SPRING, date(2026, 3, 31)),
    ],
)
def test_seats_add_free_unpaid_valid_until_end_of_month(make_account, as_of, valid_until):
    account, admin = make_account("Acme", as_of=as_of)
    seats = services.seats_add(account=account, count=3, actor=admin.user, as_of=as_of)
    assert len(seats) == 3
    stored = free_seats(account)
    assert [s.pk for s in stored] == [s.pk for s in seats]
    for seat in stored:
        assert seat.valid_until == valid_until
        assert seat.paid_through is None
        assert seat.created_on == as_of
        assert seat.member_id is None
        assert seat.removed_on is None
    assert Seat.objects.filter(account=account).count() == 4  # with the admin's


@pytest.mark.django_db
def test_seats_add_during_trial_valid_until_trial_end(make_account):
    # trial 2026-12-20 .. 2027-01-02: runs past the year end
    account, admin = make_account("Trialco", trial=True, as_of=date(2026, 12, 20))
    assert account.trial_ends_on == date(2027, 1, 2)
    on_year_end = services.seats_add(account=account, count=2, actor=admin.user, as_of=YEAR_END)
    on_last_day = services.seats_add(account=account, count=1, actor=admin.user,
                                     as_of=date(2027, 1, 2))
    for seat in on_year_end + on_last_day:
        seat.refresh_from_db()
        assert seat.valid_until == date(2027, 1, 2)
        assert seat.paid_through is None
    assert {s.created_on for s in on_year_end} == {YEAR_END}


@pytest.mark.django_db
def test_seats_add_during_trial_ending_before_month_end_valid_until_trial_end(make_account):
    account, admin = make_account("Trialco", trial=True, as_of=date(2028, 2, 1))
    assert account.trial_ends_on == date(2028, 2, 14)
    [seat] = services.seats_add(account=account, count=1, actor=admin.user,
                                as_of=date(2028, 2, 10))
    seat.refresh_from_db()
    assert seat.valid_until == date(2028, 2, 14)


@pytest.mark.django_db
def test_seats_add_after_trial_end_valid_until_end_of_month(make_account):
    account, admin = make_account("Trialco", trial=True, as_of=date(2026, 12, 20))
    # once the trial has ended the account is blocked: a seat comes only with a renewal
    [seat] = services.seats_add(account=account, count=1, actor=admin.user,
                                as_of=date(2027, 1, 3), for_order=True)
    seat.refresh_from_db()
    assert seat.valid_until == date(2027, 1, 31)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [0, -1, 501, "3", 2.0, None, True])
def test_seats_add_refuses_bad_count(make_account, count):
    account, admin = make_account("Acme")
    with pytest.raises(DomainError) as exc:
        services.seats_add(account=account, count=count, actor=admin.user, as_of=MID_NOV)
    assert exc.value.field == "count"
    assert Seat.objects.filter(account=account).count() == 1
    assert audit_actions(account).count("seat.add") == 1  # only the admin's seat


@pytest.mark.django_db
def test_seats_add_accepts_500_at_once(make_account):
    account, admin = make_account("Acme")
    services.seats_add(account=account, count=500, actor=admin.user, as_of=MID_NOV)
    assert len(free_seats(account)) == 500


# --- seat_remove --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seat_remove_free_seat_is_kept_but_not_listed(make_account):
    account, admin = make_account("Acme", extra_seats=2, as_of=JAN_31)
    seat, other = free_seats(account)
    services.seat_remove(account=account, seat=seat, actor=admin.user, as_of=JAN_31)
    seat.refresh_from_db()
    assert seat.removed_on == JAN_31
    assert seat.member_id is None
    assert seat.valid_until == JAN_31  # validity is left as it was, nothing refunded
    listed = list(selectors.account_seats(account))
    assert seat not in listed
    assert other in listed
    assert seat in list(selectors.account_seats(account, include_removed=True))
    assert selectors.account_seat_counts(account) == {"total": 2, "free": 1}


@pytest.mark.django_db
def test_seat_remove_refuses_occupied_seat_naming_occupant(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "jan.kowalski@acme.example")
    seat = Seat.objects.get(member=member)
    with pytest.raises(DomainError) as exc:
        services.seat_remove(account=account, seat=seat, actor=admin.user, as_of=MID_NOV)
    assert exc.value.code == "seat_occupied"
    assert "jan.kowalski@acme.example" in str(exc.value)
    seat.refresh_from_db()
    assert seat.removed_on is None
    assert seat.member_id == member.pk


@pytest.mark.django_db
def test_seat_remove_twice_refused(make_account):
    account, admin = make_account("Acme", extra_seats=1, as_of=YEAR_END)
    [seat] = free_seats(account)
    services.seat_remove(account=account, seat=seat, actor=admin.user, as_of=YEAR_END)
    with pytest.raises(DomainError) as exc:
        services.seat_remove(account=account, seat=seat, actor=admin.user,
                             as_of=date(2027, 1, 1))
    assert exc.value.code == "seat_removed"
    seat.refresh_from_db()
    assert seat.removed_on == YEAR_END
    assert audit_actions(account).count("seat.remove") == 1


@pytest.mark.django_db
def test_seat_remove_another_accounts_seat_does_not_exist(make_account):
    account, admin = make_account("Acme")
    other, _ = make_account("Other", extra_seats=1)
    [foreign] = free_seats(other)
    with pytest.raises(Seat.DoesNotExist):
        services.seat_remove(account=account, seat=foreign, actor=admin.user, as_of=MID_NOV)
    foreign.refresh_from_db()
    assert foreign.removed_on is None


# --- seat_assign --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seat_assign_gives_free_seat_to_seatless_active_member(make_account):
    account, admin = make_account("Acme", extra_seats=1, as_of=LEAP_DAY)
    [seat] = free_seats(account)
    member = seatless_member(account, "new@acme.example")
    services.seat_assign(account=account, seat=seat, member=member, actor=admin.user,
                         as_of=LEAP_DAY)
    seat.refresh_from_db()
    assert seat.member_id == member.pk
    assert seat.valid_until == LEAP_DAY
    assert seat.paid_through is None
    assert free_seats(account) == []


@pytest.mark.django_db
def test_seat_assign_refuses_occupied_seat(make_account, make_member):
    account, admin = make_account("Acme")
    occupant = make_member(account, "first@acme.example")
    seat = Seat.objects.get(member=occupant)
    newcomer = seatless_member(account, "second@acme.example")
    with pytest.raises(DomainError) as exc:
        services.seat_assign(account=account, seat=seat, member=newcomer, actor=admin.user,
                             as_of=MID_NOV)
    assert exc.value.code == "seat_occupied"
    seat.refresh_from_db()
    assert seat.member_id == occupant.pk
    assert not Seat.objects.filter(member=newcomer).exists()


@pytest.mark.django_db
def test_seat_assign_refuses_removed_seat(make_account):
    account, admin = make_account("Acme", extra_seats=1)
    [seat] = free_seats(account)
    services.seat_remove(account=account, seat=seat, actor=admin.user, as_of=MID_NOV)
    member = seatless_member(account, "new@acme.example")
    with pytest.raises(DomainError) as exc:
        services.seat_assign(account=account, seat=seat, member=member, actor=admin.user,
                             as_of=MID_NOV)
    assert exc.value.code == "seat_removed"
    seat.refresh_from_db()
    assert seat.member_id is None


@pytest.mark.django_db
def test_seat_assign_refuses_member_already_seated(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "seated@acme.example")
    own_seat = Seat.objects.get(member=member)
    [seat] = services.seats_add(account=account, count=1, actor=admin.user, as_of=MID_NOV)
    with pytest.raises(DomainError) as exc:
        services.seat_assign(account=account, seat=seat, member=member, actor=admin.user,
                             as_of=MID_NOV)
    assert exc.value.code == "member_seated"
    seat.refresh_from_db()
    assert seat.member_id is None
    assert Seat.objects.get(member=member) == own_seat


@pytest.mark.django_db
def test_seat_assign_refuses_suspended_member(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "away@acme.example")
    services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                            effective=MID_NOV, remove_seat=True, actor=admin.user, as_of=MID_NOV)
    [seat] = services.seats_add(account=account, count=1, actor=admin.user, as_of=MID_NOV)
    with pytest.raises(DomainError) as exc:
        services.seat_assign(account=account, seat=seat, member=member, actor=admin.user,
                             as_of=MID_NOV)
    assert exc.value.code == "member_not_active"
    assert "restore" in str(exc.value)
    seat.refresh_from_db()
    assert seat.member_id is None


@pytest.mark.django_db
def test_seat_assign_refuses_deleted_member(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "gone@acme.example")
    services.member_release(account=account, member=member, state=MemberState.DELETED,
                            effective=None, remove_seat=True, actor=admin.user, as_of=MID_NOV)
    [seat] = services.seats_add(account=account, count=1, actor=admin.user, as_of=MID_NOV)
    with pytest.raises(DomainError) as exc:
        services.seat_assign(account=account, seat=seat, member=member, actor=admin.user,
                             as_of=MID_NOV)
    assert exc.value.code == "member_not_active"
    assert not Seat.objects.filter(member=member).exists()


@pytest.mark.django_db
def test_seat_assign_another_accounts_seat_or_member_does_not_exist(make_account):
    account, admin = make_account("Acme", extra_seats=1)
    other, _ = make_account("Other", extra_seats=1)
    [own_seat] = free_seats(account)
    [foreign_seat] = free_seats(other)
    own_member = seatless_member(account, "own@acme.example")
    foreign_member = seatless_member(other, "foreign@other.example")
    with pytest.raises(Seat.DoesNotExist):
        services.seat_assign(account=account, seat=foreign_seat, member=own_member,
                             actor=admin.user, as_of=MID_NOV)
    with pytest.raises(Member.DoesNotExist):
        services.seat_assign(account=account, seat=own_seat, member=foreign_member,
                             actor=admin.user, as_of=MID_NOV)
    refresh(own_seat, foreign_seat)
    assert own_seat.member_id is None
    assert foreign_seat.member_id is None


# --- member_invite ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_invite_takes_free_seat_valid_longest(make_account):
    account, admin = make_account("Acme", extra_seats=3, as_of=MID_NOV)
    short, longest, tied = free_seats(account)
    # setup only: seats renewed to different dates (what a renewal would leave behind)
    Seat.objects.filter(pk=short.pk).update(valid_until=date(2026, 11, 30))
    Seat.objects.filter(pk__in=[longest.pk, tied.pk]).update(valid_until=date(2027, 1, 31))
    member = services.member_invite(account=account, email="new@acme.example",
                                    role=MemberRole.USER, actor=admin.user, as_of=MID_NOV)
    assert Seat.objects.get(member=member).pk == longest.pk  # longest, then oldest
    assert Seat.objects.filter(account=account).count() == 4  # nothing added
    assert audit_actions(account).count("seat.add") == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("as_of", "valid_until"),
    [(YEAR_END, YEAR_END), (LEAP_DAY, LEAP_DAY), (DST_SPRING, date(2026, 3, 31))],
)
def test_member_invite_adds_seat_when_none_free(make_account, as_of, valid_until):
    account, admin = make_account("Acme", as_of=as_of.replace(day=1))
    member = services.member_invite(account=account, email="new@acme.example",
                                    role=MemberRole.MANAGER, actor=admin.user, as_of=as_of)
    seat = Seat.objects.get(member=member)
    assert seat.valid_until == valid_until
    assert seat.created_on == as_of
    assert seat.paid_through is None
    assert Seat.objects.filter(account=account).count() == 2
    # issues 12/13: the invitation is listed as pending until the invitee sets a password
    # the seat comes first, whoever owns the address (issue 13 item 3)
    assert audit_actions(account)[-4:] == ["seat.add", "member.invite", "seat.assign",
                                           "invitation.create"]


@pytest.mark.django_db
def test_member_invite_normalises_email(make_account):
    account, admin = make_account("Acme")
    member = services.member_invite(account=account, email="  Jane.Doe@Acme.EXAMPLE ",
                                    role=MemberRole.USER, actor=admin.user, as_of=MID_NOV)
    member.refresh_from_db()
    assert member.user.username == "jane.doe@acme.example"
    assert member.user.email == "jane.doe@acme.example"
    assert member.state == MemberState.ACTIVE
    assert member.role == MemberRole.USER


@pytest.mark.django_db
def test_member_invite_refuses_duplicate_active_member(make_account, make_member):
    account, admin = make_account("Acme")
    make_member(account, "jane@acme.example")
    with pytest.raises(DomainError) as exc:
        services.member_invite(account=account, email="JANE@acme.example", role=MemberRole.USER,
                               actor=admin.user, as_of=MID_NOV)
    assert exc.value.field == "email"
    assert Member.objects.filter(account=account).count() == 2
    assert Seat.objects.filter(account=account).count() == 2


@pytest.mark.django_db
def test_member_invite_refuses_suspended_member_restore_instead(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                            effective=MID_NOV, remove_seat=False, actor=admin.user, as_of=MID_NOV)
    with pytest.raises(DomainError) as exc:
        services.member_invite(account=account, email="jane@acme.example", role=MemberRole.USER,
                               actor=admin.user, as_of=MID_NOV)
    assert exc.value.field == "email"
    assert "restore" in str(exc.value)
    member.refresh_from_db()
    assert member.state == MemberState.SUSPENDED
    assert not Seat.objects.filter(member=member).exists()


@pytest.mark.django_db
def test_member_invite_does_not_add_another_accounts_member(make_account, make_member):
    account, admin = make_account("Acme")
    other, _ = make_account("Other")
    make_member(other, "taken@other.example")
    # issue 13: not refused (that would tell one tenant about another's members), not added
    assert services.member_invite(account=account, email="Taken@Other.example",
                                  role=MemberRole.USER, actor=admin.user, as_of=MID_NOV) is None
    assert Member.objects.filter(account=account).count() == 1
    assert Member.objects.get(user__username="taken@other.example").account == other


@pytest.mark.django_db
def test_member_invite_does_not_add_a_login_without_member(make_account):
    account, admin = make_account("Acme")
    get_user_model().objects.create_user(username="staff@vendor.example",
                                         email="staff@vendor.example", is_staff=True)
    assert services.member_invite(account=account, email="staff@vendor.example",
                                  role=MemberRole.USER, actor=admin.user, as_of=MID_NOV) is None
    assert Member.objects.filter(account=account).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "role", "field"),
    [("not-an-email", MemberRole.USER, "email"), ("", MemberRole.USER, "email"),
     ("ok@acme.example", "owner", "role")],
)
def test_member_invite_refuses_bad_email_or_role(make_account, email, role, field):
    account, admin = make_account("Acme")
    with pytest.raises(DomainError) as exc:
        services.member_invite(account=account, email=email, role=role, actor=admin.user,
                               as_of=MID_NOV)
    assert exc.value.field == field
    assert Member.objects.filter(account=account).count() == 1


@pytest.mark.django_db
def test_member_invite_brings_deleted_member_back_active_with_seat(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "back@acme.example", role=MemberRole.MANAGER)
    services.member_release(account=account, member=member, state=MemberState.DELETED,
                            effective=MID_NOV, remove_seat=True, actor=admin.user, as_of=MID_NOV)
    member.user.refresh_from_db()
    assert member.user.is_active is False

    back_on = date(2026, 11, 20)
    again = services.member_invite(account=account, email="Back@acme.example",
                                   role=MemberRole.USER, actor=admin.user, as_of=back_on)
    assert again.pk == member.pk  # the same member row comes back
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert member.state == MemberState.ACTIVE
    assert member.role == MemberRole.USER
    assert member.pending_state == "" and member.pending_on is None
    assert member.user.is_active is True
    seat = Seat.objects.get(member=member)
    assert seat.removed_on is None
    assert seat.created_on == back_on  # the old seat was removed: a new one was added
    assert seat.valid_until == date(2026, 11, 30)
    assert "member.reinvite" in audit_actions(account)


@pytest.mark.django_db
def test_member_invite_sends_invitation_after_commit_with_password_set_link(
    make_account, mailoutbox, django_capture_on_commit_callbacks
):
    account, admin = make_account("Acme Sp. z o.o.", admin_email="admin@acme.example")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        member = services.member_invite(account=account, email="Invitee@Acme.example",
                                        role=MemberRole.USER, actor=admin.user, as_of=MID_NOV)
        assert mailoutbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["invitee@acme.example"]
    assert "Acme Sp. z o.o." in mail.subject
    links = re.findall(r"https?://\S+", mail.body)
    assert len(links) == 1
    link = urlparse(links[0])
    assert links[0].startswith(settings.SITE_URL.rstrip("/") + "/")
    match = resolve(link.path)
    assert match.url_name == "password_reset_confirm"
    user = member.user
    assert force_str(urlsafe_base64_decode(match.kwargs["uidb64"])) == str(user.pk)
    assert default_token_generator.check_token(user, match.kwargs["token"])


@pytest.mark.django_db
def test_member_invite_without_notify_sends_no_invitation(
    make_account, mailoutbox, django_capture_on_commit_callbacks
):
    account, admin = make_account("Acme")
    with django_capture_on_commit_callbacks(execute=True):
        member = services.member_invite(account=account, email="quiet@acme.example",
                                        role=MemberRole.USER, actor=admin.user, as_of=MID_NOV,
                                        notify=False)
    assert mailoutbox == []
    assert Seat.objects.get(member=member).valid_until == date(2026, 11, 30)


@pytest.mark.django_db
def test_member_invite_sends_nothing_when_the_transaction_rolls_back(
    make_account, mailoutbox, django_capture_on_commit_callbacks
):
    account, admin = make_account("Acme")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.member_invite(account=account, email="never@acme.example",
                                   role=MemberRole.USER, actor=admin.user, as_of=MID_NOV)
            raise RuntimeError("the caller's transaction fails after the invitation")
    assert mailoutbox == []
    assert not Member.objects.filter(user__username="never@acme.example").exists()


# --- member_release -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", [DST_SPRING, DST_AUTUMN, JAN_31])
def test_member_release_suspend_today_is_immediate_and_seat_stays_valid_and_free(
    make_account, make_member, as_of
):
    account, admin = make_account("Acme", as_of=as_of)
    member = make_member(account, "jane@acme.example", as_of=as_of)
    seat = Seat.objects.get(member=member)
    before = (seat.valid_until, seat.paid_through, seat.created_on)
    services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                            effective=as_of, remove_seat=False, actor=admin.user, as_of=as_of)
    refresh(member, seat)
    member.user.refresh_from_db()
    assert member.state == MemberState.SUSPENDED
    assert member.pending_state == "" and member.pending_on is None
    assert member.user.is_active is True  # suspension keeps the login, access refuses it
    assert seat.member_id is None
    assert seat.removed_on is None
    assert (seat.valid_until, seat.paid_through, seat.created_on) == before
    assert seat in free_seats(account)


@pytest.mark.django_db
def test_member_release_freed_seat_goes_to_someone_else_at_no_cost(make_account, make_member):
    account, admin = make_account("Acme", as_of=MID_NOV)
    leaver = make_member(account, "leaver@acme.example")
    seat = Seat.objects.get(member=leaver)
    # setup only: the seat was paid through the year end by an earlier renewal
    Seat.objects.filter(pk=seat.pk).update(valid_until=YEAR_END, paid_through=YEAR_END)
    services.member_release(account=account, member=leaver, state=MemberState.DELETED,
                            effective=MID_NOV, remove_seat=False, actor=admin.user, as_of=MID_NOV)
    seats_before = Seat.objects.filter(account=account).count()

    joiner = services.member_invite(account=account, email="joiner@acme.example",
                                    role=MemberRole.USER, actor=admin.user,
                                    as_of=date(2026, 11, 20))
    seat.refresh_from_db()
    assert seat.member_id == joiner.pk
    assert seat.valid_until == YEAR_END
    assert seat.paid_through == YEAR_END
    assert seat.created_on == MID_NOV
    assert Seat.objects.filter(account=account).count() == seats_before


@pytest.mark.django_db
@pytest.mark.parametrize("state", [MemberState.SUSPENDED, MemberState.DELETED])
def test_member_release_remove_seat_too(make_account, make_member, state):
    account, admin = make_account("Acme", as_of=YEAR_END)
    member = make_member(account, "jane@acme.example", as_of=YEAR_END)
    seat = Seat.objects.get(member=member)
    services.member_release(account=account, member=member, state=state, effective=YEAR_END,
                            remove_seat=True, actor=admin.user, as_of=YEAR_END)
    refresh(member, seat)
    assert member.state == state
    assert seat.member_id is None
    assert seat.removed_on == YEAR_END
    assert seat not in list(selectors.account_seats(account))
    assert free_seats(account) == []


@pytest.mark.django_db
def test_member_release_delete_deactivates_user(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    services.member_release(account=account, member=member, state=MemberState.DELETED,
                            effective=None, remove_seat=False, actor=admin.user, as_of=MID_NOV)
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert member.state == MemberState.DELETED
    assert member.user.is_active is False
    assert not Seat.objects.filter(member=member).exists()


@pytest.mark.django_db
def test_member_release_suspended_member_can_be_deleted(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                            effective=MID_NOV, remove_seat=False, actor=admin.user, as_of=MID_NOV)
    services.member_release(account=account, member=member, state=MemberState.DELETED,
                            effective=MID_NOV, remove_seat=False, actor=admin.user, as_of=MID_NOV)
    member.refresh_from_db()
    assert member.state == MemberState.DELETED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "remove_seat"),
    [(MemberState.SUSPENDED, False), (MemberState.SUSPENDED, True),
     (MemberState.DELETED, False), (MemberState.DELETED, True)],
)
def test_member_release_later_is_scheduled_and_applied_on_that_date(
    make_account, make_member, state, remove_seat
):
    account, admin = make_account("Acme", as_of=DST_AUTUMN)
    member = make_member(account, "jane@acme.example", as_of=DST_AUTUMN)
    seat = Seat.objects.get(member=member)
    month_end = date(2026, 10, 31)
    services.member_release(account=account, member=member, state=state, effective=month_end,
                            remove_seat=remove_seat, actor=admin.user, as_of=DST_AUTUMN)
    refresh(member, seat)
    assert member.state == MemberState.ACTIVE
    assert member.pending_state == state
    assert member.pending_on == month_end
    assert member.pending_remove_seat is remove_seat
    assert seat.member_id == member.pk  # still seated until then

    assert services.members_apply_scheduled(as_of=date(2026, 10, 30)) == 0
    refresh(member, seat)
    assert member.state == MemberState.ACTIVE
    assert seat.member_id == member.pk

    assert services.members_apply_scheduled(as_of=month_end) == 1
    refresh(member, seat)
    member.user.refresh_from_db()
    assert member.state == state
    assert member.pending_state == "" and member.pending_on is None
    assert member.pending_remove_seat is False
    assert seat.member_id is None
    assert seat.removed_on == (month_end if remove_seat else None)
    assert member.user.is_active is (state != MemberState.DELETED)
    entry = AuditEntry.objects.get(account=account, action=f"member.{state}")
    assert entry.actor_label == "system"
    assert entry.actor is None


@pytest.mark.django_db
def test_members_apply_scheduled_is_idempotent(make_account, make_member):
    account, admin = make_account("Acme", as_of=LEAP_DAY)
    members = [make_member(account, f"u{i}@acme.example", as_of=LEAP_DAY) for i in range(3)]
    for member in members:
        services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                                effective=date(2028, 3, 1), remove_seat=False, actor=admin.user,
                                as_of=LEAP_DAY)
    assert services.members_apply_scheduled(as_of=date(2028, 3, 1)) == 3
    assert services.members_apply_scheduled(as_of=date(2028, 3, 1)) == 0
    assert services.members_apply_scheduled(as_of=date(2028, 3, 2)) == 0
    assert audit_actions(account).count("member.suspended") == 3
    assert audit_actions(account).count("seat.release") == 3
    assert len(free_seats(account)) == 3


@pytest.mark.django_db
def test_members_apply_scheduled_works_in_batches(make_account, make_member):
    account, admin = make_account("Acme", as_of=MID_NOV)
    for i in range(5):
        member = make_member(account, f"u{i}@acme.example")
        services.member_release(account=account, member=member, state=MemberState.DELETED,
                                effective=date(2026, 11, 30), remove_seat=True, actor=admin.user,
                                as_of=MID_NOV)
    assert services.members_apply_scheduled(as_of=date(2026, 12, 1), batch_size=2) == 5
    assert Member.objects.filter(account=account, state=MemberState.DELETED).count() == 5
    assert Member.objects.exclude(pending_state="").count() == 0


@pytest.mark.django_db
def test_member_release_refuses_past_effective_date(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    with pytest.raises(DomainError) as exc:
        services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                                effective=MID_NOV - timedelta(days=1), remove_seat=False,
                                actor=admin.user, as_of=MID_NOV)
    assert exc.value.field == "effective"
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE
    assert member.pending_state == ""
    assert Seat.objects.filter(member=member).exists()


@pytest.mark.django_db
def test_member_release_refuses_unknown_target_state(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    with pytest.raises(DomainError) as exc:
        services.member_release(account=account, member=member, state=MemberState.ACTIVE,
                                effective=MID_NOV, remove_seat=False, actor=admin.user,
                                as_of=MID_NOV)
    assert exc.value.field == "state"


@pytest.mark.django_db
def test_member_release_refuses_same_state_and_deleted_member(make_account, make_member):
    account, admin = make_account("Acme")
    suspended = make_member(account, "s@acme.example")
    deleted = make_member(account, "d@acme.example")
    services.member_release(account=account, member=suspended, state=MemberState.SUSPENDED,
                            effective=MID_NOV, remove_seat=False, actor=admin.user, as_of=MID_NOV)
    services.member_release(account=account, member=deleted, state=MemberState.DELETED,
                            effective=MID_NOV, remove_seat=False, actor=admin.user, as_of=MID_NOV)
    with pytest.raises(DomainError) as exc:
        services.member_release(account=account, member=suspended, state=MemberState.SUSPENDED,
                                effective=MID_NOV, remove_seat=False, actor=admin.user,
                                as_of=MID_NOV)
    assert exc.value.code == "member_state_unchanged"
    for state in (MemberState.SUSPENDED, MemberState.DELETED):
        with pytest.raises(DomainError) as exc:
            services.member_release(account=account, member=deleted, state=state,
                                    effective=MID_NOV, remove_seat=False, actor=admin.user,
                                    as_of=MID_NOV)
        assert exc.value.code == "member_deleted"


@pytest.mark.django_db
@pytest.mark.parametrize("state", [MemberState.SUSPENDED, MemberState.DELETED])
@pytest.mark.parametrize("effective", [MID_NOV, date(2026, 11, 30)])
def test_member_release_refuses_last_active_admin(make_account, state, effective):
    account, admin = make_account("Acme")
    with pytest.raises(DomainError) as exc:
        services.member_release(account=account, member=admin, state=state, effective=effective,
                                remove_seat=False, actor=admin.user, as_of=MID_NOV)
    assert exc.value.code == "last_admin"
    assert admin.email in str(exc.value)
    admin.refresh_from_db()
    assert admin.state == MemberState.ACTIVE
    assert admin.pending_state == ""
    assert Seat.objects.filter(member=admin).exists()


@pytest.mark.django_db
def test_member_release_admin_allowed_while_another_admin_stays(make_account, make_member):
    account, admin = make_account("Acme")
    second = make_member(account, "second@acme.example", role=MemberRole.ADMIN)
    services.member_release(account=account, member=admin, state=MemberState.SUSPENDED,
                            effective=MID_NOV, remove_seat=False, actor=second.user, as_of=MID_NOV)
    admin.refresh_from_db()
    assert admin.state == MemberState.SUSPENDED
    # now `second` is the last one
    with pytest.raises(DomainError) as exc:
        services.member_release(account=account, member=second, state=MemberState.DELETED,
                                effective=MID_NOV, remove_seat=False, actor=second.user,
                                as_of=MID_NOV)
    assert exc.value.code == "last_admin"


@pytest.mark.django_db
def test_member_release_admin_refused_when_other_admin_is_scheduled_to_leave(
    make_account, make_member
):
    account, admin = make_account("Acme")
    second = make_member(account, "second@acme.example", role=MemberRole.ADMIN)
    services.member_release(account=account, member=second, state=MemberState.DELETED,
                            effective=date(2026, 11, 30), remove_seat=False, actor=admin.user,
                            as_of=MID_NOV)
    with pytest.raises(DomainError) as exc:
        services.member_release(account=account, member=admin, state=MemberState.SUSPENDED,
                                effective=MID_NOV, remove_seat=False, actor=admin.user,
                                as_of=MID_NOV)
    assert exc.value.code == "last_admin"


@pytest.mark.django_db
def test_member_release_another_accounts_member_does_not_exist(make_account, make_member):
    account, admin = make_account("Acme")
    other, _ = make_account("Other")
    foreign = make_member(other, "foreign@other.example")
    with pytest.raises(Member.DoesNotExist):
        services.member_release(account=account, member=foreign, state=MemberState.SUSPENDED,
                                effective=MID_NOV, remove_seat=True, actor=admin.user,
                                as_of=MID_NOV)
    foreign.refresh_from_db()
    assert foreign.state == MemberState.ACTIVE


@pytest.mark.django_db
def test_member_cancel_scheduled_keeps_member_seated(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                            effective=date(2026, 11, 30), remove_seat=True, actor=admin.user,
                            as_of=MID_NOV)
    services.member_cancel_scheduled(account=account, member=member, actor=admin.user,
                                     as_of=MID_NOV)
    assert services.members_apply_scheduled(as_of=date(2026, 11, 30)) == 0
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE
    assert Seat.objects.get(member=member).removed_on is None
    with pytest.raises(DomainError) as exc:
        services.member_cancel_scheduled(account=account, member=member, actor=admin.user,
                                         as_of=MID_NOV)
    assert exc.value.code == "nothing_scheduled"


# --- member_restore -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_restore_onto_free_seat(make_account, make_member):
    account, admin = make_account("Acme", as_of=DST_SPRING)
    member = make_member(account, "jane@acme.example", as_of=DST_SPRING)
    services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                            effective=DST_SPRING, remove_seat=True, actor=admin.user,
                            as_of=DST_SPRING)
    [seat] = services.seats_add(account=account, count=1, actor=admin.user,
                                as_of=date(2026, 4, 1))
    services.member_restore(account=account, member=member, actor=admin.user,
                            as_of=date(2026, 4, 1))
    refresh(member, seat)
    assert member.state == MemberState.ACTIVE
    assert seat.member_id == member.pk
    assert seat.valid_until == date(2026, 4, 30)


@pytest.mark.django_db
def test_member_restore_refused_without_free_seat(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                            effective=MID_NOV, remove_seat=True, actor=admin.user, as_of=MID_NOV)
    with pytest.raises(DomainError) as exc:
        services.member_restore(account=account, member=member, actor=admin.user, as_of=MID_NOV)
    assert exc.value.code == "no_free_seat"
    assert "jane@acme.example" in str(exc.value)
    member.refresh_from_db()
    assert member.state == MemberState.SUSPENDED
    assert not Seat.objects.filter(member=member).exists()
    assert Seat.objects.filter(account=account, removed_on__isnull=True).count() == 1


@pytest.mark.django_db
def test_member_restore_refuses_active_and_deleted_members(make_account, make_member):
    account, admin = make_account("Acme", extra_seats=1)
    active = make_member(account, "a@acme.example")
    deleted = make_member(account, "d@acme.example")
    services.member_release(account=account, member=deleted, state=MemberState.DELETED,
                            effective=MID_NOV, remove_seat=False, actor=admin.user, as_of=MID_NOV)
    for member in (active, deleted):
        with pytest.raises(DomainError) as exc:
            services.member_restore(account=account, member=member, actor=admin.user,
                                    as_of=MID_NOV)
        assert exc.value.code == "member_not_suspended"
    deleted.refresh_from_db()
    assert deleted.state == MemberState.DELETED
    assert not Seat.objects.filter(member=deleted).exists()


# --- audit trail --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_seat_add_records_new_seat(make_account):
    account, admin = make_account("Acme", as_of=JAN_31)
    [seat] = services.seats_add(account=account, count=1, actor=admin.user, as_of=JAN_31)
    entry = AuditEntry.objects.filter(action="seat.add", target_id=seat.pk).get()
    assert entry.account == account
    assert entry.actor == admin.user
    assert entry.actor_label == "admin@acme.example"
    assert entry.target_type == "seats.seat"
    assert entry.before is None
    assert entry.after == {"valid_until": "2026-01-31", "paid_through": None, "member": None,
                           "removed_on": None}


@pytest.mark.django_db
def test_audit_seat_remove_records_before_and_after(make_account):
    account, admin = make_account("Acme", extra_seats=1, as_of=LEAP_DAY)
    [seat] = free_seats(account)
    services.seat_remove(account=account, seat=seat, actor=admin.user, as_of=LEAP_DAY)
    entry = AuditEntry.objects.get(action="seat.remove", target_id=seat.pk)
    assert entry.actor_label == "admin@acme.example"
    assert entry.target_type == "seats.seat"
    assert entry.before == {"valid_until": "2028-02-29", "paid_through": None, "member": None,
                            "removed_on": None}
    assert entry.after == {**entry.before, "removed_on": "2028-02-29"}


@pytest.mark.django_db
def test_audit_seat_assign_records_occupant(make_account):
    account, admin = make_account("Acme", extra_seats=1, as_of=YEAR_END)
    [seat] = free_seats(account)
    member = seatless_member(account, "new@acme.example")
    services.seat_assign(account=account, seat=seat, member=member, actor=admin.user,
                         as_of=YEAR_END)
    entry = AuditEntry.objects.get(action="seat.assign", target_id=seat.pk)
    assert entry.account == account
    assert entry.actor_label == "admin@acme.example"
    assert entry.before["member"] is None
    assert entry.after["member"] == member.pk
    assert entry.after["valid_until"] == "2026-12-31"


@pytest.mark.django_db
def test_audit_member_suspended_records_state_change(make_account, make_member):
    account, admin = make_account("Acme", as_of=DST_AUTUMN)
    member = make_member(account, "jane@acme.example", as_of=DST_AUTUMN)
    seat = Seat.objects.get(member=member)
    services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                            effective=DST_AUTUMN, remove_seat=False, actor=admin.user,
                            as_of=DST_AUTUMN)
    entry = AuditEntry.objects.get(action="member.suspended", target_id=member.pk)
    assert entry.target_type == "seats.member"
    assert entry.actor_label == "admin@acme.example"
    assert entry.before["state"] == "active"
    assert entry.after["state"] == "suspended"
    assert entry.after["pending_state"] == ""
    released = AuditEntry.objects.get(action="seat.release", target_id=seat.pk)
    assert released.before["member"] == member.pk
    assert released.after["member"] is None
    assert released.after["removed_on"] is None


@pytest.mark.django_db
def test_audit_member_restore_records_state_change(make_account, make_member):
    account, admin = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    services.member_release(account=account, member=member, state=MemberState.SUSPENDED,
                            effective=MID_NOV, remove_seat=False, actor=admin.user, as_of=MID_NOV)
    services.member_restore(account=account, member=member, actor=admin.user, as_of=MID_NOV)
    entry = AuditEntry.objects.get(action="member.restore", target_id=member.pk)
    assert entry.actor_label == "admin@acme.example"
    assert entry.before["state"] == "suspended"
    assert entry.after["state"] == "active"


@pytest.mark.django_db
def test_audit_every_operation_writes_an_entry(make_account):
    account, admin = make_account("Acme", as_of=MID_NOV)
    start = AuditEntry.objects.count()
    actor = admin.user
    kw = {"account": account, "actor": actor, "as_of": MID_NOV}
    [spare] = services.seats_add(count=1, **kw)
    services.seat_remove(seat=spare, **kw)
    jane = services.member_invite(email="jane@acme.example", role=MemberRole.USER, **kw)
    services.member_release(member=jane, state=MemberState.SUSPENDED,
                            effective=date(2026, 11, 20), remove_seat=False, **kw)
    services.member_cancel_scheduled(member=jane, **kw)
    services.member_release(member=jane, state=MemberState.SUSPENDED, effective=MID_NOV,
                            remove_seat=False, **kw)
    services.member_restore(member=jane, **kw)
    lone = seatless_member(account, "lone@acme.example")
    [seat] = services.seats_add(count=1, **kw)
    services.seat_assign(seat=seat, member=lone, **kw)
    entries = list(AuditEntry.objects.order_by("id")[start:])
    assert [e.action for e in entries] == [
        "seat.add", "seat.remove",
        "seat.add", "member.invite", "seat.assign", "invitation.create",
        "member.schedule_suspended", "member.cancel_scheduled",
        "seat.release", "member.suspended",
        "member.restore", "seat.assign",
        "seat.add", "seat.assign",
    ]
    assert {e.actor_label for e in entries} == {"admin@acme.example"}
    assert {e.account_id for e in entries} == {account.pk}
    assert all(e.target_id is not None for e in entries)


# --- database constraints -----------------------------------------------------------------------


@pytest.mark.django_db
def test_db_member_cannot_occupy_two_seats(make_account, make_member):
    account, _ = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.create(account=account, valid_until=YEAR_END, created_on=MID_NOV,
                            member=member)
    assert Seat.objects.filter(member=member).count() == 1


@pytest.mark.django_db
def test_db_removed_seat_cannot_have_member(make_account):
    account, _ = make_account("Acme")
    member = seatless_member(account, "lone@acme.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.create(account=account, valid_until=YEAR_END, created_on=MID_NOV,
                            member=member, removed_on=MID_NOV)
    assert not Seat.objects.filter(member=member).exists()


@pytest.mark.django_db
def test_db_occupied_seat_cannot_be_marked_removed(make_account, make_member):
    account, _ = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    seat = Seat.objects.get(member=member)
    seat.removed_on = MID_NOV
    with pytest.raises(IntegrityError), transaction.atomic():
        seat.save(update_fields=["removed_on"])


@pytest.mark.django_db
def test_db_trial_account_needs_trial_end(base_package):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(name="Broken", package=base_package, country="PL",
                               currency="PLN", trial=True, trial_ends_on=None)
    assert not Account.objects.filter(name="Broken").exists()


@pytest.mark.django_db
def test_db_scheduled_change_needs_a_date(make_account, make_member):
    account, _ = make_account("Acme")
    member = make_member(account, "jane@acme.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(pending_state=MemberState.SUSPENDED)


# --- fixes after review ---------------------------------------------------------------------------


def test_restoring_a_suspended_member_cancels_a_scheduled_deletion(make_account, make_member):
    as_of = date(2026, 11, 16)
    account, admin = make_account("Restore Co", extra_seats=1, as_of=as_of)
    user = make_member(account, "u@restore.example", as_of=as_of)
    services.member_release(account=account, member=user, state=MemberState.SUSPENDED,
                            effective=as_of, remove_seat=False, actor=None, as_of=as_of)
    services.member_release(account=account, member=user, state=MemberState.DELETED,
                            effective=date(2026, 11, 30), remove_seat=False, actor=None,
                            as_of=as_of)
    services.member_restore(account=account, member=user, actor=None, as_of=as_of)
    assert services.members_apply_scheduled(as_of=date(2026, 12, 1)) == 0
    user.refresh_from_db()
    assert (user.state, user.pending_state, user.pending_on) == (MemberState.ACTIVE, "", None)


def test_a_late_daily_run_removes_the_seat_as_of_the_chosen_effective_date(
    make_account, make_member
):
    as_of = date(2026, 11, 16)
    account, admin = make_account("Late Co", as_of=as_of)
    user = make_member(account, "u@late.example", as_of=as_of)
    seat_id = user.seat.pk
    services.member_release(account=account, member=user, state=MemberState.SUSPENDED,
                            effective=date(2026, 11, 20), remove_seat=True, actor=None,
                            as_of=as_of)
    assert services.members_apply_scheduled(as_of=date(2026, 11, 23)) == 1  # three days late
    assert Seat.objects.get(pk=seat_id).removed_on == date(2026, 11, 20)


def test_assigning_a_seat_to_a_deleted_member_says_to_invite_again(make_account, make_member):
    as_of = date(2026, 11, 16)
    account, admin = make_account("Deleted Co", extra_seats=1, as_of=as_of)
    user = make_member(account, "gone@deleted.example", as_of=as_of)
    services.member_release(account=account, member=user, state=MemberState.DELETED,
                            effective=as_of, remove_seat=False, actor=None, as_of=as_of)
    free = Seat.objects.filter(account=account, member__isnull=True).first()
    with pytest.raises(DomainError, match="invite the user again"):
        services.seat_assign(account=account, seat=free, member=user, actor=None, as_of=as_of)


def test_an_email_longer_than_the_login_name_limit_is_refused_on_the_email_field(make_account):
    account, admin = make_account("Long Co")
    email = "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + ".example"
    with pytest.raises(DomainError) as exc:
        services.member_invite(account=account, email=email, role=MemberRole.USER, actor=None,
                               as_of=date(2026, 11, 16))
    assert exc.value.field == "email"
    assert not get_user_model().objects.filter(email=email).exists()


def test_an_unknown_country_code_is_refused(catalogue):
    with pytest.raises(DomainError, match="not a known country code") as exc:
        services.account_create(name="X", package_code="base", country="XX", actor=None,
                                as_of=date(2026, 11, 16))
    assert exc.value.field == "country"
