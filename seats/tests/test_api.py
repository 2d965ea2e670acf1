"""The REST API of accounts, seats and members (issue 2): contract, auth, scoping, roles, input.

Time is frozen at 2026-11-16 12:00 Europe/Warsaw (the conftest's AS_OF), so `today()` in the views
is the date the fixtures built their state at: new seats run until 2026-11-30.
"""

import re
from datetime import date, datetime
from io import StringIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalogue.models import Package
from seats import services
from seats.models import Account, AuditEntry, Member, MemberRole, MemberState, Seat
from tests.helpers import NOT_FOUND, login_request
from tests.helpers import token_client as client_for

TODAY = date(2026, 11, 16)
END_OF_MONTH = "2026-11-30"
API = "/api/v1/accounts/"


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture(autouse=True)
def english_and_fast_passwords(settings):
    settings.LANGUAGE_CODE = "en"  # messages are asserted in English; the default is Polish
    # the fixtures set six passwords per test; the production hasher would make them take seconds
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def tenant(make_account, make_member, name, country, domain):
    """An account with an admin, a manager, a user (each on a seat) and one free seat."""
    account, admin = make_account(name, country=country, admin_email=f"admin@{domain}")
    manager = make_member(account, f"manager@{domain}", MemberRole.MANAGER)
    user = make_member(account, f"user@{domain}", MemberRole.USER)
    [free_seat] = services.seats_add(account=account, count=1, actor=None, as_of=TODAY)
    return SimpleNamespace(account=account, admin=admin, manager=manager, user=user,
                           free_seat=free_seat, domain=domain)


@pytest.fixture
def acme(make_account, make_member):
    return tenant(make_account, make_member, "Acme", "PL", "acme.example")


@pytest.fixture
def globex(make_account, make_member):
    return tenant(make_account, make_member, "Globex", "DE", "globex.example")


def call(client, method, path, body=None):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, format="json")


def seat_of(member):
    return Seat.objects.get(member=member)


def db_state(account):
    """Everything an API call could change for an account, to prove a refused call changed none."""
    return (
        list(Seat.objects.filter(account=account).order_by("id")
             .values("id", "member_id", "removed_on", "valid_until")),
        list(Member.objects.filter(account=account).order_by("id")
             .values("id", "role", "state", "pending_state", "pending_on")),
        AuditEntry.objects.filter(account=account).count(),
    )


MEMBER = object()  # stands for the id of the member acted upon, in a request body

# Every endpoint under /accounts/{id}/: name -> (method, path under the account, body).
ENDPOINTS = {
    "account_detail": ("get", "", None),
    "seats_list": ("get", "seats/", None),
    "seats_add": ("post", "seats/", {"count": 1}),
    "seat_remove": ("delete", "seats/{seat}/", None),
    "seat_assign": ("post", "seats/{seat}/assign/", {"member": MEMBER}),
    "members_list": ("get", "members/", None),
    "members_invite": ("post", "members/", {"email": "intruder@elsewhere.example",
                                            "role": "admin"}),
    "member_suspend": ("post", "members/{member}/suspend/", {"remove_seat": True}),
    "member_delete": ("post", "members/{member}/delete/", {"remove_seat": True}),
    "member_restore": ("post", "members/{member}/restore/", {}),
    "member_cancel_scheduled": ("post", "members/{member}/cancel-scheduled/", {}),
    "member_role": ("post", "members/{member}/role/", {"role": "manager"}),
}
ADMIN_ONLY_ENDPOINTS = [name for name in ENDPOINTS if name != "account_detail"]
NESTED_ID_ENDPOINTS = [name for name in ENDPOINTS if "{" in ENDPOINTS[name][1]]


def endpoint(t, name, account_id=None):
    """(method, path, body) of endpoint `name` for tenant `t`: its account (or `account_id`), its
    free seat, and its plain user as the member acted upon."""
    method, path, body = ENDPOINTS[name]
    path = f"{API}{account_id or t.account.pk}/" + path.format(seat=t.free_seat.pk,
                                                               member=t.user.pk)
    if body is not None:
        body = {k: (t.user.pk if v is MEMBER else v) for k, v in body.items()}
    return method, path, body


# --- accounts -----------------------------------------------------------------------------------


def acme_json(acme):
    return {
        "id": acme.account.pk, "name": "Acme", "package": "base", "country": "PL",
        "currency": "PLN", "trial": False, "trial_ends_on": None, "billing_period": "monthly",
    }


@pytest.mark.parametrize("role", ["admin", "manager", "user"])
def test_account_list_shows_a_member_only_their_own_account(acme, globex, role):
    response = client_for(getattr(acme, role).user).get(API)

    assert response.status_code == 200
    assert response.json() == [acme_json(acme)]


def test_account_list_shows_staff_every_account(acme, globex, staff):
    response = client_for(staff).get(API)

    assert response.status_code == 200
    assert [a["name"] for a in response.json()] == ["Acme", "Globex"]
    assert response.json()[1]["currency"] == "EUR"


@pytest.mark.parametrize("role", ["admin", "manager", "user"])
def test_account_detail_is_readable_by_every_active_member_of_it(acme, role):
    response = client_for(getattr(acme, role).user).get(f"{API}{acme.account.pk}/")

    assert response.status_code == 200
    assert response.json() == acme_json(acme)


def test_account_detail_is_readable_by_staff_for_any_account(acme, staff):
    response = client_for(staff).get(f"{API}{acme.account.pk}/")

    assert response.status_code == 200
    assert response.json() == acme_json(acme)


def test_staff_create_an_account_with_a_14_day_trial_by_default(db, staff):
    response = client_for(staff).post(
        API, {"name": "Initech", "package": "automation", "country": "cz"}, format="json"
    )

    assert response.status_code == 201
    account = Account.objects.get(name="Initech")
    assert response.json() == {
        "id": account.pk, "name": "Initech", "package": "automation", "country": "CZ",
        "currency": "CZK", "trial": True, "trial_ends_on": "2026-11-29",
        "billing_period": "monthly",
    }
    assert account.package == Package.objects.get(code="automation")
    assert account.trial_ends_on == date(2026, 11, 29)
    entry = AuditEntry.objects.get(account=account, action="account.create")
    assert entry.actor == staff


def test_staff_create_an_account_without_trial_when_trial_is_false(db, staff):
    response = client_for(staff).post(
        API, {"name": "Initech", "package": "base", "country": "US", "trial": False},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["trial"] is False
    assert response.json()["trial_ends_on"] is None
    assert response.json()["currency"] == "USD"
    assert Account.objects.get(name="Initech").trial is False


@pytest.mark.parametrize("role", ["admin", "manager", "user"])
def test_only_staff_create_accounts(acme, role):
    response = client_for(getattr(acme, role).user).post(
        API, {"name": "Sneaky", "package": "base", "country": "PL"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Only staff can do this.", "code": "staff_only"}
    assert not Account.objects.filter(name="Sneaky").exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "X", "package": "gold", "country": "PL"}, "package", "Unknown package “gold”."),
        ({"name": "X", "package": "base", "country": "Poland"}, "country",
         "Enter a two-letter ISO country code, e.g. PL."),
        ({"name": "X", "package": "base", "country": "P1"}, "country",
         "Enter a two-letter ISO country code, e.g. PL."),
        ({"package": "base", "country": "PL"}, "name", "This field is required."),
        ({"name": "X", "package": "base", "country": "PL", "trial": "maybe"}, "trial",
         "Must be a valid boolean."),
    ],
    ids=["unknown-package", "country-name", "country-with-digit", "missing-name", "bad-trial"],
)
def test_account_create_bad_input_is_a_400_on_the_field(db, staff, body, field, message):
    response = client_for(staff).post(API, body, format="json")

    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert response.json()["detail"]
    assert not Account.objects.exists()


# --- seats --------------------------------------------------------------------------------------


def test_seat_list_shows_the_accounts_current_seats_with_occupants(acme):
    removed = services.seats_add(account=acme.account, count=1, actor=None, as_of=TODAY)[0]
    services.seat_remove(account=acme.account, seat=removed, actor=None, as_of=TODAY)
    paid = seat_of(acme.admin)
    Seat.objects.filter(pk=paid.pk).update(paid_through=date(2026, 11, 30))  # as a payment would

    response = client_for(acme.admin.user).get(f"{API}{acme.account.pk}/seats/")

    assert response.status_code == 200
    assert response.json() == [
        {"id": paid.pk, "number": paid.number,
         "valid_until": END_OF_MONTH, "paid_through": "2026-11-30",
         "created": "2026-11-16", "member": acme.admin.pk, "reserved_for_invitation": None},
        {"id": seat_of(acme.manager).pk, "number": seat_of(acme.manager).number,
         "valid_until": END_OF_MONTH, "paid_through": None,
         "created": "2026-11-16", "member": acme.manager.pk,
         "reserved_for_invitation": None},
        {"id": seat_of(acme.user).pk, "number": seat_of(acme.user).number,
         "valid_until": END_OF_MONTH, "paid_through": None,
         "created": "2026-11-16", "member": acme.user.pk, "reserved_for_invitation": None},
        {"id": acme.free_seat.pk, "number": acme.free_seat.number,
         "valid_until": END_OF_MONTH, "paid_through": None,
         "created": "2026-11-16", "member": None, "reserved_for_invitation": None},
    ]


def test_adding_seats_creates_free_unpaid_seats_valid_until_the_end_of_the_month(acme):
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        response = client_for(acme.admin.user).post(
            f"{API}{acme.account.pk}/seats/", {"count": 2}, format="json"
        )

    assert response.status_code == 201
    new = list(Seat.objects.filter(account=acme.account, created_on=date(2026, 12, 3))
               .order_by("id"))
    assert len(new) == 2
    assert response.json() == [
        {"id": seat.pk, "number": seat.number, "valid_until": "2026-12-31", "paid_through": None,
         "created": "2026-12-03", "member": None, "reserved_for_invitation": None}
        for seat in new
    ]
    assert AuditEntry.objects.filter(account=acme.account, action="seat.add",
                                     actor=acme.admin.user).count() == 2


def test_removing_a_free_seat_marks_it_removed_and_drops_it_from_the_list(acme):
    client = client_for(acme.admin.user)

    response = client.delete(f"{API}{acme.account.pk}/seats/{acme.free_seat.pk}/")

    assert response.status_code == 204
    assert response.content == b""
    acme.free_seat.refresh_from_db()
    assert acme.free_seat.removed_on == TODAY
    listed = [s["id"] for s in client.get(f"{API}{acme.account.pk}/seats/").json()]
    assert acme.free_seat.pk not in listed


def test_removing_an_occupied_seat_is_refused_with_a_clear_detail(acme):
    seat = seat_of(acme.user)
    before = db_state(acme.account)

    response = client_for(acme.admin.user).delete(f"{API}{acme.account.pk}/seats/{seat.pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Seat no. {seat.number} is occupied by user@acme.example. Suspend or delete "
                  "that user first, choosing “remove the seat too”.",
        "code": "seat_occupied",
    }
    assert db_state(acme.account) == before


def test_removing_a_seat_twice_says_it_is_already_removed(acme):
    client = client_for(acme.admin.user)
    client.delete(f"{API}{acme.account.pk}/seats/{acme.free_seat.pk}/")

    response = client.delete(f"{API}{acme.account.pk}/seats/{acme.free_seat.pk}/")

    assert response.status_code == 409
    assert response.json() == {"detail": "This seat has already been removed.",
                               "code": "seat_removed"}


def test_assigning_a_free_seat_to_an_active_seatless_member(acme):
    # no service leaves an active member seatless; this is such a member (e.g. imported data)
    Seat.objects.filter(member=acme.user).update(member=None)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/seats/{acme.free_seat.pk}/assign/", {"member": acme.user.pk},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"id": acme.free_seat.pk, "number": acme.free_seat.number,
                               "valid_until": END_OF_MONTH,
                               "paid_through": None, "created": "2026-11-16",
                               "member": acme.user.pk, "reserved_for_invitation": None}
    assert seat_of(acme.user) == acme.free_seat


def test_assigning_a_seat_to_a_suspended_member_says_restore_instead(acme):
    services.member_release(account=acme.account, member=acme.user, state=MemberState.SUSPENDED,
                            effective=None, remove_seat=True, actor=None, as_of=TODAY)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/seats/{acme.free_seat.pk}/assign/", {"member": acme.user.pk},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "user@acme.example is suspended; restore the user "
                                         "instead.", "code": "member_not_active"}


def test_assigning_an_occupied_seat_is_refused(acme):
    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/seats/{seat_of(acme.manager).pk}/assign/",
        {"member": acme.user.pk}, format="json",
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "This seat is already occupied."


@pytest.mark.parametrize(
    ("body", "message"),
    [({}, "This field is required."), ({"member": "x"}, "A valid integer is required.")],
    ids=["missing", "not-an-id"],
)
def test_seat_assign_bad_member_is_a_400_on_the_field(acme, body, message):
    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/seats/{acme.free_seat.pk}/assign/", body, format="json"
    )

    assert response.status_code == 400
    assert response.json()["member"] == [message]


def test_seat_assign_with_another_tenants_member_is_a_field_error_and_changes_nothing(
    acme, globex
):
    Seat.objects.filter(member=globex.user).update(member=None)
    before = db_state(globex.account), db_state(acme.account)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/seats/{acme.free_seat.pk}/assign/", {"member": globex.user.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["member"] == [
        f"There is no member #{globex.user.pk} in this organisation."
    ]
    assert (db_state(globex.account), db_state(acme.account)) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"count": 0}, "Add at least one seat."),
        ({"count": -3}, "Add at least one seat."),
        ({"count": 501}, "At most 500 seats can be added at once."),
        ({"count": "x"}, "A valid integer is required."),
        ({"count": 1.5}, "A valid integer is required."),
        ({}, "This field is required."),
    ],
    ids=["zero", "negative", "over-500", "not-a-number", "fraction", "missing"],
)
def test_adding_seats_with_a_bad_count_is_a_400_on_count(acme, body, message):
    before = db_state(acme.account)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/seats/", body, format="json"
    )

    assert response.status_code == 400
    assert response.json()["count"] == [message]
    assert response.json()["code"] == "invalid"
    assert db_state(acme.account) == before


def test_adding_500_seats_at_once_is_allowed(acme):
    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/seats/", {"count": 500}, format="json"
    )

    assert response.status_code == 201
    assert len(response.json()) == 500


# --- members ------------------------------------------------------------------------------------


def test_member_list_shows_every_member_with_role_state_and_seat(acme):
    services.member_release(account=acme.account, member=acme.user, state=MemberState.SUSPENDED,
                            effective=None, remove_seat=False, actor=None, as_of=TODAY)

    response = client_for(acme.admin.user).get(f"{API}{acme.account.pk}/members/")

    assert response.status_code == 200
    assert response.json() == [
        {"id": acme.admin.pk, "email": "admin@acme.example", "role": "admin",
         "state": "active", "seat": seat_of(acme.admin).pk,
         "seat_number": seat_of(acme.admin).number},
        {"id": acme.manager.pk, "email": "manager@acme.example", "role": "manager",
         "state": "active", "seat": seat_of(acme.manager).pk,
         "seat_number": seat_of(acme.manager).number},
        {"id": acme.user.pk, "email": "user@acme.example", "role": "user",
         "state": "suspended", "seat": None, "seat_number": None},
    ]


def test_inviting_a_member_takes_a_free_seat_first(acme):
    seats_before = Seat.objects.filter(account=acme.account).count()

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/", {"email": " New@Acme.example ", "role": "manager"},
        format="json",
    )

    # issue 13: one answer to every invitation, whoever owns the address; the member is in
    # GET members
    assert response.status_code == 202
    assert response.json() == {
        "detail": "An invitation has been sent to new@acme.example.",
        "email": "new@acme.example", "role": "manager"}
    member = Member.objects.get(user__username="new@acme.example")
    assert (member.account, member.role, seat_of(member)) == (acme.account, "manager",
                                                              acme.free_seat)
    assert Seat.objects.filter(account=acme.account).count() == seats_before


def test_inviting_a_member_with_no_free_seat_adds_a_seat(acme):
    services.seat_remove(account=acme.account, seat=acme.free_seat, actor=None, as_of=TODAY)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/", {"email": "new@acme.example", "role": "user"},
        format="json",
    )

    assert response.status_code == 202
    seat = seat_of(Member.objects.get(user__username="new@acme.example"))
    assert seat.pk != acme.free_seat.pk
    assert (seat.valid_until, seat.created_on, seat.paid_through) == (
        date(2026, 11, 30), TODAY, None
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"email": "not-an-email", "role": "user"}, "email", "Enter a valid e-mail address."),
        # valid for Django's EmailValidator, but longer than the username column (150)
        ({"email": "a" * 64 + "@" + ".".join(["b" * 60] * 2) + ".example", "role": "user"},
         "email", "Ensure this field has no more than 150 characters."),
        ({"email": "x@acme.example", "role": "boss"}, "role",
         "“boss” is not one of the accepted values: admin (administrator), manager, user."),
        ({"email": "x@acme.example"}, "role", "This field is required."),
        ({"email": "user@acme.example", "role": "user"}, "email",
         "user@acme.example is already a member."),
    ],
    # another tenant's address is not refused: see test_inviting_another_tenants_member_…
    ids=["bad-email", "email-too-long", "bad-role", "missing-role", "already-member"],
)
def test_inviting_with_bad_input_is_a_400_on_the_field(acme, globex, body, field, message):
    before = db_state(acme.account)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/", body, format="json"
    )

    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert db_state(acme.account) == before


def test_suspending_a_member_today_frees_their_seat_which_stays_valid(acme):
    seat = seat_of(acme.user)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/{acme.user.pk}/suspend/", {}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"id": acme.user.pk, "email": "user@acme.example", "role": "user",
                               "state": "suspended", "seat": None, "seat_number": None}
    seat.refresh_from_db()
    assert (seat.member_id, seat.removed_on, seat.valid_until) == (None, None, date(2026, 11, 30))


def test_suspending_with_remove_seat_removes_the_freed_seat(acme):
    seat = seat_of(acme.user)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/{acme.user.pk}/suspend/",
        {"remove_seat": True, "effective": "2026-11-16"}, format="json",
    )

    assert response.status_code == 200
    assert response.json()["state"] == "suspended"
    seat.refresh_from_db()
    assert (seat.member_id, seat.removed_on) == (None, TODAY)


def test_suspending_on_a_later_date_schedules_it_and_keeps_the_seat(acme):
    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/{acme.user.pk}/suspend/",
        {"remove_seat": True, "effective": "2026-11-20"}, format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"id": acme.user.pk, "email": "user@acme.example", "role": "user",
                               "state": "active", "seat": seat_of(acme.user).pk,
                               "seat_number": seat_of(acme.user).number}
    acme.user.refresh_from_db()
    assert (acme.user.pending_state, acme.user.pending_on, acme.user.pending_remove_seat) == (
        MemberState.SUSPENDED, date(2026, 11, 20), True
    )


def test_deleting_a_member_deactivates_their_login_and_frees_the_seat(acme):
    seat = seat_of(acme.user)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/{acme.user.pk}/delete/", {"remove_seat": True},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"id": acme.user.pk, "email": "user@acme.example", "role": "user",
                               "state": "deleted", "seat": None, "seat_number": None}
    acme.user.user.refresh_from_db()
    assert acme.user.user.is_active is False
    seat.refresh_from_db()
    assert seat.removed_on == TODAY


def test_releasing_the_last_admin_is_refused(acme):
    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/{acme.admin.pk}/suspend/", {}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    assert Member.objects.get(pk=acme.admin.pk).state == MemberState.ACTIVE


@pytest.mark.parametrize("action", ["suspend", "delete"])
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"effective": "2026-11-15"}, "effective", "The effective date cannot be in the past."),
        ({"effective": "not-a-date"}, "effective",
         "Enter the date as YYYY-MM-DD, for example 2026-11-16."),
        ({"remove_seat": "maybe"}, "remove_seat", "Must be a valid boolean."),
    ],
    ids=["effective-in-the-past", "effective-not-a-date", "remove-seat-not-a-boolean"],
)
def test_releasing_with_bad_input_is_a_400_on_the_field(acme, action, body, field, message):
    before = db_state(acme.account)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/{acme.user.pk}/{action}/", body, format="json"
    )

    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert db_state(acme.account) == before


def test_cancelling_a_scheduled_release_clears_it(acme):
    services.member_release(account=acme.account, member=acme.user, state=MemberState.DELETED,
                            effective=date(2026, 11, 20), remove_seat=True, actor=None,
                            as_of=TODAY)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/{acme.user.pk}/cancel-scheduled/"
    )

    assert response.status_code == 200
    assert response.json() == {"id": acme.user.pk, "email": "user@acme.example", "role": "user",
                               "state": "active", "seat": seat_of(acme.user).pk,
                               "seat_number": seat_of(acme.user).number}
    acme.user.refresh_from_db()
    assert (acme.user.pending_state, acme.user.pending_on) == ("", None)


def test_cancelling_when_nothing_is_scheduled_is_a_409_conflict(acme):
    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/{acme.user.pk}/cancel-scheduled/"
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "Nothing is scheduled for this user.",
                               "code": "nothing_scheduled"}


def test_restoring_a_suspended_member_puts_them_on_a_free_seat(acme):
    services.member_release(account=acme.account, member=acme.user, state=MemberState.SUSPENDED,
                            effective=None, remove_seat=True, actor=None, as_of=TODAY)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/{acme.user.pk}/restore/"
    )

    assert response.status_code == 200
    assert response.json() == {"id": acme.user.pk, "email": "user@acme.example", "role": "user",
                               "state": "active", "seat": acme.free_seat.pk,
                               "seat_number": acme.free_seat.number}
    assert seat_of(acme.user) == acme.free_seat


def test_restoring_without_a_free_seat_is_refused_with_a_clear_detail(acme):
    services.seat_remove(account=acme.account, seat=acme.free_seat, actor=None, as_of=TODAY)
    services.member_release(account=acme.account, member=acme.user, state=MemberState.SUSPENDED,
                            effective=None, remove_seat=True, actor=None, as_of=TODAY)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/members/{acme.user.pk}/restore/"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "There is no free seat to restore user@acme.example onto. Add a seat first.",
        "code": "no_free_seat",
    }
    assert Member.objects.get(pk=acme.user.pk).state == MemberState.SUSPENDED


# --- authentication -----------------------------------------------------------------------------


def test_token_auth_with_an_authtoken_token(acme):
    token = Token.objects.create(user=acme.admin.user)
    client = APIClient()

    response = client.get(API, HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert response.json() == [acme_json(acme)]


def test_token_made_by_drf_create_token_command_authenticates(acme):
    out = StringIO()
    call_command("drf_create_token", "admin@acme.example", stdout=out)
    key = re.search(r"Generated token (\w+) for user admin@acme.example", out.getvalue()).group(1)
    assert Token.objects.get(user=acme.admin.user).key == key

    response = APIClient().get(
        f"{API}{acme.account.pk}/members/", HTTP_AUTHORIZATION=f"Token {key}"
    )

    assert response.status_code == 200
    assert len(response.json()) == 3


def test_a_wrong_token_is_401(acme):
    response = APIClient().get(API, HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_session_auth_works_for_reads_and_writes(acme):
    client = APIClient()
    assert client.login(request=login_request(), username="admin@acme.example",
                 password="pass-Word-123")

    assert client.get(f"{API}{acme.account.pk}/").json() == acme_json(acme)
    response = client.post(f"{API}{acme.account.pk}/seats/", {"count": 1}, format="json")

    assert response.status_code == 201
    assert response.json()[0]["member"] is None


def test_session_writes_need_the_csrf_token(acme):
    client = APIClient(enforce_csrf_checks=True)
    client.login(request=login_request(), username="admin@acme.example",
                 password="pass-Word-123")
    before = db_state(acme.account)

    response = client.post(f"{API}{acme.account.pk}/seats/", {"count": 1}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert db_state(acme.account) == before


@pytest.mark.parametrize("name", ["accounts_list", "accounts_create", *ENDPOINTS])
def test_unauthenticated_requests_are_refused(acme, name):
    if name == "accounts_list":
        method, path, body = "get", API, None
    elif name == "accounts_create":
        method, path, body = "post", API, {"name": "X", "package": "base", "country": "PL"}
    else:
        method, path, body = endpoint(acme, name)
    before = db_state(acme.account)

    response = call(APIClient(), method, path, body)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication is needed: send an API token in the Authorization header "
                  "(“Token <key>”) or log in.", "code": "not_authenticated"}
    assert db_state(acme.account) == before


def test_a_suspended_members_token_is_refused_with_the_reason(acme):
    client = client_for(acme.user.user)
    assert client.get(API).status_code == 200
    services.member_release(account=acme.account, member=acme.user, state=MemberState.SUSPENDED,
                            effective=None, remove_seat=False, actor=None, as_of=TODAY)

    response = client.get(f"{API}{acme.account.pk}/")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your user in Acme is suspended and has no seat. Ask an administrator of "
                  "Acme to restore you onto a free seat.",
        "code": "suspended",
    }


def test_a_suspended_admins_token_is_refused_on_admin_endpoints_too(acme, make_member):
    make_member(acme.account, "admin2@acme.example", MemberRole.ADMIN)
    services.member_release(account=acme.account, member=acme.admin, state=MemberState.SUSPENDED,
                            effective=None, remove_seat=False, actor=None, as_of=TODAY)
    before = db_state(acme.account)

    response = client_for(acme.admin.user).post(
        f"{API}{acme.account.pk}/seats/", {"count": 1}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Your user in Acme is suspended")
    assert db_state(acme.account) == before


def test_a_seatless_members_token_is_refused_with_the_reason(acme):
    Seat.objects.filter(member=acme.user).update(member=None)

    response = client_for(acme.user.user).get(API)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You have no seat in Acme. Ask an administrator of Acme to assign you a seat.",
        "code": "no_seat",
    }


def test_a_deleted_members_token_no_longer_authenticates(acme):
    client = client_for(acme.user.user)
    services.member_release(account=acme.account, member=acme.user, state=MemberState.DELETED,
                            effective=None, remove_seat=False, actor=None, as_of=TODAY)

    response = client.get(API)

    assert response.status_code == 401  # the deletion deactivated the login itself


def test_a_login_outside_any_organisation_is_refused_with_the_reason(db):
    user = get_user_model().objects.create_user(username="lost@nowhere.example", password="x")

    response = client_for(user).get(API)

    assert response.status_code == 403
    assert response.json() == {"detail": "This login does not belong to any organisation.",
                               "code": "no_member"}


# --- tenant isolation ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("role", ["admin", "manager", "user"])
def test_a_member_of_another_account_gets_404_for_every_account_url(acme, globex, role, name):
    method, path, body = endpoint(globex, name)
    before = db_state(globex.account)

    response = call(client_for(getattr(acme, role).user), method, path, body)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert db_state(globex.account) == before


@pytest.mark.parametrize("name", NESTED_ID_ENDPOINTS)
def test_another_accounts_seat_or_member_under_ones_own_account_is_404(acme, globex, name):
    method, path, body = endpoint(globex, name, account_id=acme.account.pk)
    before = db_state(globex.account), db_state(acme.account)

    response = call(client_for(acme.admin.user), method, path, body)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert (db_state(globex.account), db_state(acme.account)) == before


@pytest.mark.parametrize("name", ENDPOINTS)
def test_an_account_that_does_not_exist_is_404_even_for_staff(acme, staff, name):
    method, path, body = endpoint(acme, name, account_id=acme.account.pk + 1000)

    response = call(client_for(staff), method, path, body)

    assert response.status_code == 404


@pytest.mark.parametrize("name", ENDPOINTS)
def test_staff_may_act_on_any_account(acme, staff, name):
    method, path, body = endpoint(acme, name)
    if name == "member_restore":  # restoring needs a suspended member
        services.member_release(account=acme.account, member=acme.user,
                                state=MemberState.SUSPENDED, effective=None, remove_seat=False,
                                actor=None, as_of=TODAY)
    if name == "member_cancel_scheduled":
        services.member_release(account=acme.account, member=acme.user,
                                state=MemberState.SUSPENDED, effective=date(2026, 11, 30),
                                remove_seat=False, actor=None, as_of=TODAY)
    if name == "seat_assign":
        Seat.objects.filter(member=acme.user).update(member=None)

    response = call(client_for(staff), method, path, body)

    assert response.status_code in (200, 201, 202, 204), response.content
    if method != "get":
        assert AuditEntry.objects.filter(account=acme.account, actor=staff).exists()


# --- roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ADMIN_ONLY_ENDPOINTS)
@pytest.mark.parametrize("role", ["manager", "user"])
def test_managers_and_users_get_403_on_every_admin_only_endpoint(acme, role, name):
    method, path, body = endpoint(acme, name)
    before = db_state(acme.account)

    response = call(client_for(getattr(acme, role).user), method, path, body)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only administrators of this organisation can manage its seats and users.",
        "code": "admin_only",
    }
    assert db_state(acme.account) == before
