"""The browser pages of SPEC §3: login, sign-up, home and "Account settings → Users".

Every action is driven through the page URLs (as a browser would post its forms), and each test
checks both the database and what the page then shows. The business date is frozen at TODAY.
"""

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from catalogue.models import Package
from seats import services
from seats.models import Account, Member, MemberRole, MemberState, Seat

TODAY = date(2026, 11, 16)
END_OF_MONTH = date(2026, 11, 30)
PASSWORD = "pass-Word-123"
USERS = "/account/users/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pages_settings(settings):
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only


@pytest.fixture(autouse=True)
def _frozen_today():
    moment = datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def acme(make_account):
    """Acme: its admin on one seat and one free seat."""
    return make_account("Acme", extra_seats=1)


@pytest.fixture
def admin_client(client, acme):
    client.force_login(acme[1].user)
    return client


# --- helpers ------------------------------------------------------------------------------------


def text(response):
    return html.unescape(response.content.decode())


def shown_count(response, name):
    """The number in the "seats total/occupied/free" box of the users page."""
    match = re.search(rf'data-testid="seats-{name}">(\d+)<', response.content.decode())
    assert match, f"no seats-{name} box on the page"
    return int(match.group(1))


def field_errors(response, field_id):
    """Error texts rendered under one form field (by the field's HTML id)."""
    return [html.unescape(e) for e in
            re.findall(rf'id="{field_id}_error\d+">([^<]*)<', response.content.decode())]


def free_seat(account):
    return Seat.objects.filter(account=account, member__isnull=True,
                               removed_on__isnull=True).first()


def seat_of(member):
    return Seat.objects.filter(member=member).first()


def seatless_active_member(account, email):
    """An active member without a seat. The services never leave anyone like this (an active
    member always holds a seat), but staff can create one in the Django admin, and the page must
    then offer the "assign" action."""
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    return Member.objects.create(account=account, user=user, role=MemberRole.USER)


def suspend(member, *, remove_seat=False, effective=TODAY):
    return services.member_release(
        account=member.account, member=member, state=MemberState.SUSPENDED, effective=effective,
        remove_seat=remove_seat, actor=None, as_of=TODAY,
    )


def release_post(effective=TODAY, remove_seat=False):
    data = {"effective": effective.isoformat(), "confirm": "1"}  # past the confirmation step
    if remove_seat:
        data["remove_seat"] = "on"
    return data


# --- the users page -----------------------------------------------------------------------------


def test_users_page_shows_seats_counts_and_members(admin_client, acme, make_member):
    account, admin = acme
    ann = make_member(account, "ann@acme.example", MemberRole.MANAGER)  # takes the free seat
    extra = services.seats_add(account=account, count=1, actor=None, as_of=TODAY)[0]

    response = admin_client.get(USERS)

    assert response.status_code == 200
    page = text(response)
    assert (shown_count(response, "total"), shown_count(response, "occupied"),
            shown_count(response, "free")) == (3, 2, 1)
    seat_row = re.search(rf'<tr id="seat-{extra.pk}">(.*?)</tr>', page, re.S).group(1)
    assert f"no. {extra.number}" in seat_row
    assert "Nov. 30, 2026" in seat_row and END_OF_MONTH.isoformat() not in seat_row
    assert "not paid yet" in seat_row
    assert "free" in seat_row
    ann_row = re.search(rf'<tr id="member-{ann.pk}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert "ann@acme.example" in ann_row
    assert "Manager" in ann_row
    assert "active" in ann_row
    assert f"no. {seat_of(ann).number}" in ann_row
    assert admin.email in page


def test_users_page_shows_a_scheduled_change(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    suspend(bob, remove_seat=True, effective=date(2026, 11, 20))

    page = text(admin_client.get(USERS))

    assert "Suspension on Nov. 20, 2026, seat removed too" in page
    assert reverse("account_member_cancel_scheduled", args=[bob.pk]) in page


# --- add seats ----------------------------------------------------------------------------------


def test_adding_seats_creates_free_unpaid_seats_until_the_end_of_the_month(admin_client, acme):
    account, _admin = acme

    response = admin_client.post(reverse("account_seats_add"), {"count": "2"}, follow=True)

    new = Seat.objects.filter(account=account).order_by("-id")[:2]
    assert Seat.objects.filter(account=account, removed_on__isnull=True).count() == 4
    assert all(s.is_free and s.valid_until == END_OF_MONTH and s.paid_through is None
               for s in new)
    assert "Added 2 seats, valid until Nov. 30, 2026." in text(response)
    assert (shown_count(response, "total"), shown_count(response, "free")) == (4, 3)


@pytest.mark.parametrize(
    ("count", "error"),
    [
        ("0", "Add at least one seat."),
        ("-3", "Add at least one seat."),
        ("501", "At most 500 seats can be added at once."),
        ("two", "Enter a whole number written with the digits 0-9."),
        ("", "This field is required."),
    ],
)
def test_adding_seats_outside_the_allowed_range_is_refused_on_the_field(
    admin_client, acme, count, error
):
    account, _admin = acme

    response = admin_client.post(reverse("account_seats_add"), {"count": count})

    assert response.status_code == 200  # the page again, with the error under the field
    assert field_errors(response, "id_count") == [error]
    assert Seat.objects.filter(account=account).count() == 2


# --- remove a seat ------------------------------------------------------------------------------


def test_removing_a_free_seat_marks_it_removed(admin_client, acme):
    account, _admin = acme
    seat = free_seat(account)

    response = admin_client.post(reverse("account_seat_remove", args=[seat.pk]),
                                 {"confirm": "1"}, follow=True)

    seat.refresh_from_db()
    assert seat.removed_on == TODAY
    assert f"Seat no. {seat.number} has been removed." in text(response)
    assert (shown_count(response, "total"), shown_count(response, "free")) == (1, 0)
    assert f'id="seat-{seat.pk}"' not in response.content.decode()


def test_removing_an_occupied_seat_is_refused_with_the_reason(admin_client, acme):
    account, admin = acme
    seat = seat_of(admin)

    response = admin_client.post(reverse("account_seat_remove", args=[seat.pk]),
                                 {"confirm": "1"}, follow=True)

    seat.refresh_from_db()
    assert seat.removed_on is None and seat.member_id == admin.pk
    page = text(response)
    assert (f"Seat no. {seat.number} is occupied by {admin.email}. Suspend or delete that user "
            "first" in page)
    assert "has been removed" not in page
    assert shown_count(response, "total") == 2


def test_removing_an_already_removed_seat_is_refused(admin_client, acme):
    account, _admin = acme
    seat = free_seat(account)
    services.seat_remove(account=account, seat=seat, actor=None, as_of=TODAY)

    response = admin_client.post(reverse("account_seat_remove", args=[seat.pk]),
                                 {"confirm": "1"}, follow=True)

    assert "This seat has already been removed." in text(response)


# --- assign a seat ------------------------------------------------------------------------------


def test_assign_form_is_offered_only_when_an_active_member_has_no_seat(admin_client, acme):
    account, _admin = acme
    seat = free_seat(account)
    assign_url = reverse("account_seat_assign", args=[seat.pk])

    assert assign_url not in admin_client.get(USERS).content.decode()

    seatless_active_member(account, "carol@acme.example")
    page = text(admin_client.get(USERS))
    assert assign_url in page
    assert '<option value="' in page and "carol@acme.example</option>" in page


def test_assigning_a_free_seat_to_an_active_member_without_one(admin_client, acme):
    account, _admin = acme
    carol = seatless_active_member(account, "carol@acme.example")
    seat = free_seat(account)

    response = admin_client.post(
        reverse("account_seat_assign", args=[seat.pk]), {"member": carol.pk}, follow=True
    )

    seat.refresh_from_db()
    assert seat.member_id == carol.pk
    assert f"carol@acme.example now occupies seat no. {seat.number}." in text(response)
    assert shown_count(response, "free") == 0


def test_assigning_an_occupied_seat_is_refused(admin_client, acme):
    account, admin = acme
    carol = seatless_active_member(account, "carol@acme.example")
    taken = seat_of(admin)

    response = admin_client.post(
        reverse("account_seat_assign", args=[taken.pk]), {"member": carol.pk}, follow=True
    )

    taken.refresh_from_db()
    assert taken.member_id == admin.pk
    assert seat_of(carol) is None
    assert "This seat is already occupied." in text(response)


def test_assigning_a_suspended_member_is_refused_with_restore_advice(admin_client, acme,
                                                                     make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    suspend(bob)
    seat = free_seat(account)

    response = admin_client.post(
        reverse("account_seat_assign", args=[seat.pk]), {"member": bob.pk}, follow=True
    )

    seat.refresh_from_db()
    assert seat.member_id is None
    assert "bob@acme.example is suspended; restore the user instead." in text(response)


def test_assigning_a_member_of_another_account_is_refused(admin_client, acme, make_account):
    account, _admin = acme
    _other, other_admin = make_account("Globex")
    seat = free_seat(account)

    response = admin_client.post(
        reverse("account_seat_assign", args=[seat.pk]), {"member": other_admin.pk}, follow=True
    )

    seat.refresh_from_db()
    assert seat.member_id is None
    assert "Choose a member of your organisation for the seat." in text(response)


# --- invite -------------------------------------------------------------------------------------


def test_inviting_a_member_takes_the_free_seat_and_emails_a_password_link(
    admin_client, acme, mailoutbox, django_capture_on_commit_callbacks
):
    account, _admin = acme
    seat = free_seat(account)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("account_member_invite"),
            {"email": "Dana@Acme.example", "role": MemberRole.MANAGER}, follow=True,
        )

    dana = Member.objects.get(user__username="dana@acme.example")
    assert (dana.account, dana.role, dana.state) == (account, MemberRole.MANAGER,
                                                     MemberState.ACTIVE)
    assert seat_of(dana) == seat
    assert Seat.objects.filter(account=account).count() == 2  # no seat added
    assert "An invitation has been sent to dana@acme.example." in text(response)
    assert (shown_count(response, "total"), shown_count(response, "free")) == (2, 0)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["dana@acme.example"]
    assert "/reset/" in mailoutbox[0].body


def test_inviting_when_no_seat_is_free_adds_a_seat(admin_client, make_account):
    account, admin = make_account("Initech")
    admin_client.force_login(admin.user)

    response = admin_client.post(
        reverse("account_member_invite"), {"email": "eve@initech.example", "role": "user"},
        follow=True,
    )

    eve = Member.objects.get(user__username="eve@initech.example")
    assert seat_of(eve).created_on == TODAY
    assert (shown_count(response, "total"), shown_count(response, "free")) == (2, 0)


def test_inviting_an_existing_member_is_refused_on_the_email_field(admin_client, acme,
                                                                   make_member):
    account, _admin = acme
    make_member(account, "bob@acme.example")

    response = admin_client.post(
        reverse("account_member_invite"), {"email": "bob@acme.example", "role": "user"}
    )

    assert response.status_code == 200
    assert field_errors(response, "id_email") == ["bob@acme.example is already a member."]
    assert 'value="bob@acme.example"' in response.content.decode()  # the input is kept
    assert Member.objects.filter(account=account).count() == 2


def test_inviting_someone_from_another_organisation_answers_as_any_invitation(
        admin_client, acme, make_account):
    # issue 13: the page must not tell one tenant who is a member elsewhere
    make_account("Globex", admin_email="boss@globex.example")

    response = admin_client.post(
        reverse("account_member_invite"), {"email": "boss@globex.example", "role": "user"},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("account_users") + "#members", 302)]
    assert "An invitation has been sent to boss@globex.example." in text(response)
    assert Member.objects.get(user__username="boss@globex.example").account.name == "Globex"


def test_inviting_with_an_invalid_email_shows_a_field_error(admin_client, acme):
    account, _admin = acme

    response = admin_client.post(reverse("account_member_invite"),
                                 {"email": "not-an-email", "role": "user"})

    assert field_errors(response, "id_email") == ["Enter a valid email address."]
    assert Member.objects.filter(account=account).count() == 1


# --- suspend / delete ---------------------------------------------------------------------------


def test_suspending_today_with_remove_seat_frees_and_removes_the_seat(admin_client, acme,
                                                                      make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    seat = seat_of(bob)

    response = admin_client.post(
        reverse("account_member_suspend", args=[bob.pk]), release_post(remove_seat=True),
        follow=True,
    )

    bob.refresh_from_db()
    seat.refresh_from_db()
    assert bob.state == MemberState.SUSPENDED
    assert seat.member_id is None and seat.removed_on == TODAY
    assert "bob@acme.example has been suspended. Their seat has been removed." in text(response)
    assert (shown_count(response, "total"), shown_count(response, "free")) == (1, 0)


def test_suspending_today_keeps_the_seat_free_for_someone_else(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    seat = seat_of(bob)

    response = admin_client.post(
        reverse("account_member_suspend", args=[bob.pk]), release_post(), follow=True
    )

    seat.refresh_from_db()
    assert seat.member_id is None and seat.removed_on is None
    assert "Their seat is free for someone else." in text(response)
    assert (shown_count(response, "total"), shown_count(response, "free")) == (2, 1)


def test_deleting_on_a_later_date_schedules_the_deletion(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    later = TODAY + timedelta(days=4)

    response = admin_client.post(
        reverse("account_member_delete", args=[bob.pk]),
        release_post(effective=later, remove_seat=True), follow=True,
    )

    bob.refresh_from_db()
    assert bob.state == MemberState.ACTIVE and bob.user.is_active
    assert (bob.pending_state, bob.pending_on, bob.pending_remove_seat) == (
        MemberState.DELETED, later, True)
    assert seat_of(bob) is not None
    page = text(response)
    assert ("bob@acme.example will be deleted on Nov. 20, 2026. Their seat will be removed then."
            in page)
    assert "Deletion on Nov. 20, 2026, seat removed too" in page


def test_deleting_a_member_today_deactivates_their_login(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")

    response = admin_client.post(
        reverse("account_member_delete", args=[bob.pk]), release_post(), follow=True
    )

    bob.refresh_from_db()
    assert bob.state == MemberState.DELETED and not bob.user.is_active
    assert "bob@acme.example has been deleted." in text(response)


def test_release_dated_in_the_past_is_refused_on_the_date_field(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")

    response = admin_client.post(
        reverse("account_member_suspend", args=[bob.pk]),
        release_post(effective=TODAY - timedelta(days=1)),
    )

    assert response.status_code == 200
    assert field_errors(response, f"id_release{bob.pk}_effective") == [
        "The effective date cannot be in the past."
    ]
    # the panel with the error is open, the others are not
    assert re.search(rf'<tr id="member-{bob.pk}".*?<details class="release" open>',
                     response.content.decode(), re.S)
    bob.refresh_from_db()
    assert bob.state == MemberState.ACTIVE and not bob.pending_state
    assert seat_of(bob) is not None


def test_release_with_an_unreadable_date_shows_a_field_error(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")

    response = admin_client.post(reverse("account_member_suspend", args=[bob.pk]),
                                 {"effective": "someday"})

    assert field_errors(response, f"id_release{bob.pk}_effective") == [
        "Enter the date as YYYY-MM-DD, for example 2026-11-16."]
    bob.refresh_from_db()
    assert bob.state == MemberState.ACTIVE


def test_suspending_the_last_admin_is_refused(admin_client, acme):
    _account, admin = acme

    response = admin_client.post(
        reverse("account_member_suspend", args=[admin.pk]), release_post(), follow=True
    )

    admin.refresh_from_db()
    assert admin.state == MemberState.ACTIVE
    assert f"{admin.email} is the last active administrator" in text(response)


def test_suspending_an_already_suspended_member_is_refused(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    suspend(bob)

    response = admin_client.post(
        reverse("account_member_suspend", args=[bob.pk]), release_post(), follow=True
    )

    assert "bob@acme.example is already suspended." in text(response)


# --- cancel a scheduled change ------------------------------------------------------------------


def test_cancelling_a_scheduled_suspension_clears_it(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    suspend(bob, effective=TODAY + timedelta(days=3))

    response = admin_client.post(
        reverse("account_member_cancel_scheduled", args=[bob.pk]), follow=True
    )

    bob.refresh_from_db()
    assert (bob.pending_state, bob.pending_on) == ("", None)
    assert "The scheduled change for bob@acme.example has been cancelled." in text(response)
    assert "Suspension on" not in text(response)


def test_cancelling_when_nothing_is_scheduled_is_refused(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")

    response = admin_client.post(
        reverse("account_member_cancel_scheduled", args=[bob.pk]), follow=True
    )

    assert "Nothing is scheduled for this user." in text(response)


# --- restore ------------------------------------------------------------------------------------


def test_restoring_a_suspended_member_puts_them_on_a_free_seat(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    suspend(bob)

    response = admin_client.post(reverse("account_member_restore", args=[bob.pk]), follow=True)

    bob.refresh_from_db()
    assert bob.state == MemberState.ACTIVE
    assert seat_of(bob) is not None
    assert "bob@acme.example has been restored onto a free seat." in text(response)


def test_restoring_without_a_free_seat_is_refused(admin_client, make_account, make_member):
    account, admin = make_account("Initech")
    bob = make_member(account, "bob@initech.example")
    suspend(bob, remove_seat=True)
    admin_client.force_login(admin.user)

    response = admin_client.post(reverse("account_member_restore", args=[bob.pk]), follow=True)

    bob.refresh_from_db()
    assert bob.state == MemberState.SUSPENDED and seat_of(bob) is None
    assert "There is no free seat to restore bob@initech.example onto. Add a seat first." in (
        text(response))


def test_restoring_an_active_member_is_refused(admin_client, acme, make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")

    response = admin_client.post(reverse("account_member_restore", args=[bob.pk]), follow=True)

    assert "Only suspended users can be restored; bob@acme.example is active." in text(response)


# --- who may do what ----------------------------------------------------------------------------


def admin_urls(seat, member):
    """Every admin-only page and action, pointed at the given seat and member."""
    return [
        reverse("account_users"),
        reverse("account_seats_add"),
        reverse("account_member_invite"),
        reverse("account_seat_remove", args=[seat.pk]),
        reverse("account_seat_assign", args=[seat.pk]),
        reverse("account_member_suspend", args=[member.pk]),
        reverse("account_member_delete", args=[member.pk]),
        reverse("account_member_cancel_scheduled", args=[member.pk]),
        reverse("account_member_restore", args=[member.pk]),
        reverse("account_member_role", args=[member.pk]),
    ]


def object_urls(seat, member):
    return [u for u in admin_urls(seat, member) if re.search(r"/\d+/", u)]


def test_another_accounts_seats_and_members_are_not_found(client, acme, make_account,
                                                          make_member):
    _account, admin = acme
    globex, _globex_admin = make_account("Globex", extra_seats=2)
    victim = make_member(globex, "victim@globex.example")
    suspend(victim, effective=TODAY + timedelta(days=2))
    their_free_seat = free_seat(globex)
    client.force_login(admin.user)

    for seat in (their_free_seat, seat_of(victim)):
        for url in object_urls(seat, victim):
            # a GET of another account's row is the plain 404 of a missing one (issues 12/13
            # item 4): it tells nothing about another account's seats and members
            get = client.get(url)
            assert get.status_code == 404, url
            assert "Nothing was done" not in get.content.decode()
            post = client.post(url, {"member": victim.pk, **release_post(remove_seat=True)})
            assert post.status_code == 404, url

    victim.refresh_from_db()
    their_free_seat.refresh_from_db()
    assert victim.state == MemberState.ACTIVE and victim.pending_state == MemberState.SUSPENDED
    assert their_free_seat.removed_on is None and their_free_seat.member_id is None
    assert Seat.objects.filter(account=globex, removed_on__isnull=True).count() == 3


@pytest.mark.parametrize("role", [MemberRole.MANAGER, MemberRole.USER])
def test_managers_and_users_are_forbidden_every_admin_page_and_action(client, acme, make_member,
                                                                      role):
    account, admin = acme
    person = make_member(account, f"{role}@acme.example", role)
    bob = make_member(account, "bob@acme.example")  # no seat was free: one was added for bob
    services.seats_add(account=account, count=1, actor=None, as_of=TODAY)
    seat = free_seat(account)
    assert Seat.objects.filter(account=account).count() == 4
    client.force_login(person.user)

    for url in admin_urls(seat, bob):
        assert client.get(url).status_code == 403, url
        data = {"count": "1", "email": "x@acme.example", "role": "admin", "member": bob.pk,
                **release_post(remove_seat=True)}
        assert client.post(url, data).status_code == 403, url

    bob.refresh_from_db()
    assert bob.state == MemberState.ACTIVE and not bob.pending_state
    seat.refresh_from_db()
    assert seat.member_id is None and seat.removed_on is None
    assert Seat.objects.filter(account=account, removed_on__isnull=True).count() == 4
    assert Member.objects.filter(account=account).count() == 3


def test_anonymous_visitors_are_sent_to_login(client, acme):
    account, admin = acme
    urls = [reverse("home"), *admin_urls(free_seat(account), admin)]

    for url in urls:
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302, url
            assert response["Location"] == f"{reverse('login')}?next={url}", url
    assert Seat.objects.filter(account=account).count() == 2


def test_staff_without_membership_get_a_clear_not_found_page(client, acme):
    staff = get_user_model().objects.create_user("ops@vendor.example", "ops@vendor.example",
                                                 PASSWORD, is_staff=True)
    client.force_login(staff)

    response = client.get(USERS)

    assert response.status_code == 404
    assert "This login does not belong to an organisation" in text(response)


def test_action_urls_act_only_on_post_and_send_a_get_back_to_the_users_page(admin_client, acme):
    # issue 13: a GET (a copied or reloaded address) was a blank 405; it now lands where the
    # action's form is, at the seats or at the member's row, and nothing is done
    account, admin = acme
    seat = free_seat(account)
    seats, members = f"{USERS}#seats", f"{USERS}#members"
    member_row = f"{USERS}#member-{admin.pk}"
    expected = [seats, members, seats, seats, member_row, member_row, member_row, member_row,
                member_row]

    for url, target in zip(admin_urls(seat, admin)[1:], expected, strict=True):
        response = admin_client.get(url)
        assert (response.status_code, response["Location"]) == (302, target), url
        assert admin_client.put(url).status_code == 405, url  # not a browser's: no redirect
    assert "Nothing was done: that address only takes a form sent from this page." in text(
        admin_client.get(USERS))
    assert Seat.objects.filter(account=account, removed_on__isnull=True).count() == 2


def test_posts_without_a_csrf_token_are_rejected(acme):
    account, admin = acme
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin.user)

    refused = browser.post(reverse("account_seats_add"), {"count": "1"})

    assert refused.status_code == 403
    assert Seat.objects.filter(account=account).count() == 2

    page = browser.get(USERS).content.decode()
    token = re.search(
        r'action="/account/users/seats/add/".*?name="csrfmiddlewaretoken" value="([^"]+)"',
        page, re.S,
    ).group(1)
    accepted = browser.post(reverse("account_seats_add"),
                            {"count": "1", "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert Seat.objects.filter(account=account).count() == 3


# --- login, logout, access ----------------------------------------------------------------------


def test_member_with_a_seat_logs_in_and_sees_their_seat(client, acme, make_member):
    account, _admin = acme
    make_member(account, "bob@acme.example")

    response = client.post(reverse("login"),
                           {"username": "bob@acme.example", "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    page = text(response)
    assert "Welcome to Acme" in page
    assert "Seat no. 2, valid until Nov. 30, 2026" in page
    assert reverse("account_users") not in page  # no admin navigation for a user


def test_admin_is_taken_from_home_to_the_users_page(admin_client):
    response = admin_client.get(reverse("home"))

    assert response.status_code == 302 and response["Location"] == USERS


def test_wrong_password_gets_a_generic_error(client, acme):
    _account, admin = acme

    response = client.post(reverse("login"), {"username": admin.email, "password": "nope"})

    assert "Please enter a correct e-mail address and password." in text(response)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("make_refused", "reason"),
    [
        (lambda bob: suspend(bob),
         "Your user in Acme is suspended and has no seat. Ask an administrator of Acme to "
         "restore you onto a free seat."),
        (lambda bob: services.member_release(
            account=bob.account, member=bob, state=MemberState.DELETED, effective=TODAY,
            remove_seat=False, actor=None, as_of=TODAY),
         "Your user in Acme has been deleted, so you have no seat there."),
    ],
    ids=["suspended", "deleted"],
)
def test_member_without_a_seat_cannot_log_in_and_is_told_why(client, acme, make_member,
                                                             make_refused, reason):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    make_refused(bob)

    response = client.post(reverse("login"),
                           {"username": "bob@acme.example", "password": PASSWORD})

    assert response.status_code == 200
    assert reason in text(response)
    assert "_auth_user_id" not in client.session


def test_active_member_without_a_seat_cannot_log_in(client, acme):
    account, _admin = acme
    seatless_active_member(account, "carol@acme.example")

    response = client.post(reverse("login"),
                           {"username": "carol@acme.example", "password": PASSWORD})

    assert "You have no seat in Acme. Ask an administrator of Acme to assign you a seat." in (
        text(response))
    assert "_auth_user_id" not in client.session


def test_member_suspended_while_logged_in_is_signed_out_with_the_reason(client, acme,
                                                                        make_member):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    client.force_login(bob.user)
    assert client.get(reverse("home")).status_code == 200

    suspend(bob)
    response = client.get(reverse("home"), follow=True)

    assert response.redirect_chain[0] == (reverse("login"), 302)
    assert "Your user in Acme is suspended and has no seat." in text(response)
    assert "_auth_user_id" not in client.session
    # the reason is shown once; the next visit is an ordinary anonymous one
    again = client.get(reverse("login"))
    assert "is suspended" not in text(again)


def test_logout_is_a_post_that_ends_the_session(admin_client):
    # a GET ends nothing: back to the start page (issue 13; it was a blank 405)
    response = admin_client.get(reverse("logout"))
    assert (response.status_code, response["Location"]) == (302, reverse("home"))
    assert "_auth_user_id" in admin_client.session

    response = admin_client.post(reverse("logout"))

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in admin_client.session
    assert admin_client.get(USERS).status_code == 302


def test_every_page_has_a_language_switcher_and_logout_button(admin_client):
    page = admin_client.get(USERS).content.decode()

    assert f'action="{reverse("set_language")}"' in page
    assert '<option value="pl"' in page and '<option value="en"' in page
    assert f'action="{reverse("logout")}" method="post"' in page


def test_switching_the_language_is_remembered(admin_client):
    response = admin_client.post(reverse("set_language"), {"language": "pl", "next": USERS})

    assert response.status_code == 302 and response["Location"] == USERS
    assert '<html lang="pl">' in admin_client.get(USERS).content.decode()


# --- invitation link and password reset ---------------------------------------------------------


def set_password_through(client, link, password):
    path = re.sub(r"^https?://[^/]+", "", link)
    form_page = client.get(path, follow=True)
    assert re.search("Set a new password|Choose your password", text(form_page))
    set_url = form_page.redirect_chain[-1][0]
    return client.post(set_url, {"new_password1": password, "new_password2": password},
                       follow=True)


def test_invited_member_sets_a_password_through_the_link_and_logs_in(
    admin_client, acme, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("account_member_invite"),
                          {"email": "dana@acme.example", "role": "user"})
    link = re.search(r"https?://\S+/reset/\S+", mailoutbox[0].body).group(0)
    guest = Client()

    done = set_password_through(guest, link, "Correct-Horse-42")

    assert "Password saved" in text(done)
    login = guest.post(reverse("login"),
                       {"username": "dana@acme.example", "password": "Correct-Horse-42"})
    assert login.status_code == 302 and login["Location"] == reverse("home")


def test_forgotten_password_link_reaches_an_invited_member_without_a_password(
    client, acme, mailoutbox
):
    account, _admin = acme
    services.member_invite(account=account, email="dana@acme.example", role="user", actor=None,
                           as_of=TODAY)
    mailoutbox.clear()

    response = client.post(reverse("password_reset"), {"email": "dana@acme.example"},
                           follow=True)

    assert "Check your e-mail" in text(response)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["dana@acme.example"]
    assert "/reset/" in mailoutbox[0].body


def test_deleted_member_gets_no_password_reset_email(client, acme, make_member, mailoutbox):
    account, _admin = acme
    bob = make_member(account, "bob@acme.example")
    services.member_release(account=account, member=bob, state=MemberState.DELETED,
                            effective=TODAY, remove_seat=False, actor=None, as_of=TODAY)

    client.post(reverse("password_reset"), {"email": "bob@acme.example"})

    assert mailoutbox == []


# --- sign-up ------------------------------------------------------------------------------------


def signup_data(**overrides):
    return {"organisation": "Umbrella", "email": "founder@umbrella.example",
            "password": "Sturdy-Password-77", "country": "PL", "package": "base", **overrides}


def test_signup_creates_a_trial_account_whose_admin_occupies_the_first_seat(
        client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("signup"), signup_data(package="automation"))
    # issue 13: not logged in yet; the e-mailed link finishes the sign-up
    assert done["Location"] == reverse("signup_done")
    assert "_auth_user_id" not in client.session
    [message] = mailoutbox
    link = re.search(r"http://\S+/signup/confirm/\S+/", message.body).group(0)
    client.get(link.removeprefix(settings.SITE_URL))  # issues 12/13: a page with a button
    response = client.post(link.removeprefix(settings.SITE_URL), follow=True)

    account = Account.objects.get(name="Umbrella")
    assert account.trial and account.trial_ends_on == TODAY + timedelta(days=13)
    assert (account.package.code, account.country, account.currency) == ("automation", "PL",
                                                                        "PLN")
    founder = Member.objects.get(account=account)
    assert founder.role == MemberRole.ADMIN and founder.email == "founder@umbrella.example"
    seats = list(Seat.objects.filter(account=account))
    assert len(seats) == 1 and seats[0].member == founder
    assert seats[0].valid_until == account.trial_ends_on
    # logged in as the new admin, on the users page
    assert response.redirect_chain == [(reverse("home"), 302), (USERS, 302)]
    assert int(client.session["_auth_user_id"]) == founder.user_id
    assert "Your free trial of Umbrella runs until Nov. 29, 2026." in text(response)
    assert (shown_count(response, "total"), shown_count(response, "free")) == (1, 0)


def test_signup_page_offers_only_active_packages(client):
    Package.objects.filter(code="professional").update(active=False)

    page = client.get(reverse("signup")).content.decode()

    assert "Start a 14-day free trial" in html.unescape(page)
    assert 'value="base"' in page and 'value="automation"' in page
    assert 'value="professional"' not in page


@pytest.mark.parametrize(
    ("overrides", "field_id", "error"),
    [
        ({"password": "password"}, "id_password", "This password is too common."),
        ({"password": "founder-umbrella"}, "id_password",
         "The password is too similar to the email address."),
        ({"country": "P1"}, "id_country",
         "Select a valid choice. P1 is not one of the available choices."),
        ({"organisation": "   "}, "id_organisation", "This field is required."),
    ],
    ids=["common-password", "password-like-email", "country", "organisation"],
)
def test_signup_with_invalid_input_is_refused_on_the_field(client, overrides, field_id, error):
    response = client.post(reverse("signup"), signup_data(**overrides))

    assert response.status_code == 200
    assert error in field_errors(response, field_id)
    assert not Account.objects.filter(name="Umbrella").exists()
    assert "_auth_user_id" not in client.session


def test_signup_with_a_taken_email_answers_as_any_sign_up(client, acme):
    # issue 13: the answer must not tell that the address has a login
    _account, admin = acme

    response = client.post(reverse("signup"), signup_data(email=admin.email))

    assert response["Location"] == reverse("signup_done")
    assert not Account.objects.filter(name="Umbrella").exists()


def test_a_deactivated_staff_session_is_signed_out_on_the_next_request(client, db):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("ops@x.example", "ops@x.example", "pw-123456!",
                                                 is_staff=True)
    client.force_login(staff)
    assert client.get("/").status_code in (200, 302)
    staff.is_active = False
    staff.save()
    response = client.get("/")
    assert response.status_code == 302 and response.url.endswith("/login/")
    assert "_auth_user_id" not in client.session


def test_admin_menu_links_every_account_page_and_marks_the_current_one(client, make_account):
    account, admin = make_account("Menu Co")
    client.force_login(admin.user)
    html = client.get("/account/history/").content.decode()
    for url in ("/account/users/", "/account/renew/", "/account/package/",
                "/account/invoice-data/", "/account/history/"):
        assert f'href="{url}"' in html
    assert 'href="/account/history/" aria-current="page"' in html


def test_finance_staff_get_a_finance_link_and_other_staff_do_not(client, db):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    finance = User.objects.create_user("fin@x.example", "fin@x.example", "pw", is_staff=True)
    finance.groups.add(Group.objects.create(name="finance"))
    support = User.objects.create_user("sup@x.example", "sup@x.example", "pw", is_staff=True)
    client.force_login(finance)
    assert 'href="/finance/documents/"' in client.get("/finance/documents/").content.decode()
    client.force_login(support)
    page = client.get("/finance/documents/")
    assert page.status_code == 403
    assert 'href="/finance/documents/"' not in page.content.decode()
