"""Destructive actions on the Users page ask first and state the consequence (issue 12, item
4): an unconfirmed POST changes nothing and answers with the confirmation step; the step's form
posts the same data with confirm=1, without JavaScript."""

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from seats import services
from seats.models import MemberRole, MemberState, Seat
from seats.tests.helpers import seats_pay_through

TODAY = date(2026, 11, 16)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_frozen(settings):
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def acme(make_account, make_member):
    account, admin = make_account("Acme", extra_seats=2, as_of=TODAY)
    bob = make_member(account, "bob@acme.example", as_of=TODAY)
    return account, admin, bob


@pytest.fixture
def admin_client(client, acme):
    client.force_login(acme[1].user)
    return client


def text(response):
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def resubmit(client, response):
    """Press the confirm button: post the confirmation form's hidden fields to its action."""
    page = response.content.decode()
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                             form.group(2)))
    fields.pop("csrfmiddlewaretoken", None)
    return client.post(html.unescape(form.group(1)), fields, follow=True)


def test_removing_a_paid_seat_asks_first_stating_no_refund(admin_client, acme):
    account, _admin, _bob = acme
    seat = Seat.objects.get(account=account, member__isnull=True)
    seats_pay_through([seat], date(2026, 12, 31))

    response = admin_client.post(reverse("account_seat_remove", args=[seat.pk]))

    assert response.status_code == 200
    page = text(response)
    assert "Nothing has been changed yet" in page
    assert f"Seat no. {seat.number} is paid until Dec. 31, 2026, no refund." in page
    seat.refresh_from_db()
    assert seat.removed_on is None

    response = resubmit(admin_client, response)
    assert f"Seat no. {seat.number} has been removed." in text(response)
    seat.refresh_from_db()
    assert seat.removed_on == TODAY


@pytest.mark.parametrize("state", ["suspend", "delete"])
def test_suspending_or_deleting_asks_first_and_keeps_the_form_data(admin_client, acme, state):
    _account, _admin, bob = acme
    seat = Seat.objects.get(member=bob)
    url = reverse(f"account_member_{state}", args=[bob.pk])

    response = admin_client.post(url, {"effective": TODAY.isoformat(), "remove_seat": "on"})

    page = text(response)
    assert "Nothing has been changed yet" in page
    assert f"Their seat no. {seat.number} is removed too." in page
    bob.refresh_from_db()
    assert bob.state == MemberState.ACTIVE

    resubmit(admin_client, response)
    bob.refresh_from_db()
    seat.refresh_from_db()
    assert bob.state == (MemberState.SUSPENDED if state == "suspend" else MemberState.DELETED)
    assert seat.removed_on == TODAY


def test_a_later_date_is_stated_in_the_confirmation(admin_client, acme):
    _account, _admin, bob = acme
    later = TODAY + timedelta(days=5)

    response = admin_client.post(reverse("account_member_suspend", args=[bob.pk]),
                                 {"effective": later.isoformat()})

    assert "bob@acme.example will be suspended on Nov. 21, 2026" in text(response)
    assert "stays valid and becomes free for someone else" in text(response)


def test_the_last_admin_suspending_themselves_is_refused_without_a_confirmation(admin_client,
                                                                                 acme):
    _account, admin, _bob = acme

    response = admin_client.post(reverse("account_member_suspend", args=[admin.pk]),
                                 {"effective": TODAY.isoformat()}, follow=True)

    page = text(response)
    assert "You are the last active administrator; make someone else an administrator first." \
        in page
    assert "Nothing has been changed yet" not in page
    admin.refresh_from_db()
    assert admin.state == MemberState.ACTIVE


def test_an_admin_suspending_themselves_is_warned_they_are_logged_out_at_once(admin_client,
                                                                              acme):
    account, admin, bob = acme
    services.member_role_change(account=account, member=bob, role=MemberRole.ADMIN,
                                actor=None, as_of=TODAY)

    response = admin_client.post(reverse("account_member_suspend", args=[admin.pk]),
                                 {"effective": TODAY.isoformat()})

    assert "This is you: you will be logged out at once." in text(response)
    admin.refresh_from_db()
    assert admin.state == MemberState.ACTIVE


def test_the_confirmation_works_for_several_values_of_one_field(admin_client, acme):
    """The hidden fields repeat every posted value (the bulk removal posts many seat ids)."""
    _account, _admin, bob = acme
    response = admin_client.post(reverse("account_member_delete", args=[bob.pk]),
                                 {"effective": TODAY.isoformat()})
    assert 'name="confirm" value="1"' in response.content.decode()
    assert f'name="effective" value="{TODAY.isoformat()}"' in response.content.decode()
