"""Trials and big accounts (issue 12, item 8): the seat cap during the trial, the Users page's
seat filter, pages and removal of several free seats at once, and the trial banner's days left."""

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from billing_site.errors import DomainError
from catalogue.models import BillingPolicy
from seats import services
from seats.access import access_decision
from seats.banners import banner_for
from seats.models import Seat
from seats.tests.helpers import seats_pay_through, seats_set_validity
from tests.helpers import token_client

TODAY = date(2026, 11, 16)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_frozen(settings):
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


def text(response):
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def seat_rows(response):
    return re.findall(r'<tr id="seat-(\d+)">', response.content.decode())


# --- the seat cap during the trial --------------------------------------------------------------


def test_a_trial_account_cannot_pass_the_cap_and_is_told_the_cap(make_account):
    account, _admin = make_account("Trial", trial=True, as_of=TODAY)
    assert BillingPolicy.current().trial_max_seats == 25
    services.seats_add(account=account, count=23, actor=None, as_of=TODAY)  # 24 in all

    with pytest.raises(DomainError) as refused:
        services.seats_add(account=account, count=2, actor=None, as_of=TODAY)
    assert refused.value.code == "trial_seat_cap"
    assert "at most 25 seats; it has 24" in str(refused.value)
    assert Seat.objects.filter(account=account).count() == 24

    services.seats_add(account=account, count=1, actor=None, as_of=TODAY)
    assert Seat.objects.filter(account=account).count() == 25


def test_the_cap_comes_from_the_policy_and_removed_seats_do_not_count(make_account):
    policy = BillingPolicy.current()
    policy.trial_max_seats = 3
    policy.save()
    account, _admin = make_account("Trial", trial=True, as_of=TODAY)
    seats = services.seats_add(account=account, count=2, actor=None, as_of=TODAY)
    with pytest.raises(DomainError, match="at most 3 seats"):
        services.seats_add(account=account, count=1, actor=None, as_of=TODAY)
    services.seat_remove(account=account, seat=seats[0], actor=None, as_of=TODAY)
    services.seats_add(account=account, count=1, actor=None, as_of=TODAY)


def test_inviting_past_the_cap_is_refused_as_a_whole_not_on_a_field(make_account, make_member):
    policy = BillingPolicy.current()
    policy.trial_max_seats = 1
    policy.save()
    account, admin = make_account("Trial", trial=True, as_of=TODAY)

    with pytest.raises(DomainError) as refused:
        services.member_invite(account=account, email="new@trial.example", role="user",
                               actor=admin.user, as_of=TODAY)
    assert (refused.value.code, refused.value.field) == ("trial_seat_cap", None)


def test_paid_accounts_and_paid_renewals_are_not_capped(make_account):
    policy = BillingPolicy.current()
    policy.trial_max_seats = 1
    policy.save()
    paid, _ = make_account("Paid", as_of=TODAY)
    services.seats_add(account=paid, count=5, actor=None, as_of=TODAY)
    trial, _ = make_account("Trial", trial=True, as_of=TODAY)
    services.seats_add(account=trial, count=5, actor=None, as_of=TODAY, for_order=True)


def test_the_page_shows_the_cap_and_the_refusal_on_the_field(client, make_account):
    account, admin = make_account("Trial", trial=True, as_of=TODAY)
    client.force_login(admin.user)

    assert "at most 25 seats" in text(client.get("/account/users/"))
    response = client.post(reverse("account_seats_add"), {"count": "30"})
    assert "During the free trial an organisation can have at most 25 seats; it has 1." in \
        text(response)
    assert Seat.objects.filter(account=account).count() == 1


# --- filter, pages, several seats at once -------------------------------------------------------


@pytest.fixture
def big(make_account, make_member):
    """60 seats: the admin's and bob's occupied, 58 free; 10 of the free ones paid to next year,
    5 valid only 3 more days (within the banner lead: "expiring"), the rest to 2026-11-30."""
    account, admin = make_account("Big", extra_seats=59, as_of=TODAY)
    bob = make_member(account, "bob@big.example", as_of=TODAY)
    free = list(Seat.objects.filter(account=account, member__isnull=True).order_by("number"))
    seats_pay_through(free[:10], date(2027, 1, 31))
    seats_set_validity(free[10:15], valid_until=TODAY + timedelta(days=3))
    return account, admin, bob


def test_the_seats_table_is_paged(client, big):
    _account, admin, _bob = big
    client.force_login(admin.user)

    first = client.get("/account/users/")
    second = client.get("/account/users/?page=2")

    assert len(seat_rows(first)) == 50 and len(seat_rows(second)) == 10
    assert "Page 1 of 2" in text(first)


@pytest.mark.parametrize("which,count", [("free", 58), ("occupied", 2), ("expiring", 5)])
def test_the_seats_table_filters(client, big, which, count):
    account, admin, _bob = big
    client.force_login(admin.user)

    rows = seat_rows(client.get(f"/account/users/?seats={which}"))
    rows += seat_rows(client.get(f"/account/users/?seats={which}&page=2")) if count > 50 else []
    assert len(rows) == count
    seats = Seat.objects.filter(pk__in=rows)
    if which == "free":
        assert not seats.filter(member__isnull=False).exists()
    if which == "occupied":
        assert not seats.filter(member__isnull=True).exists()
    if which == "expiring":
        assert not seats.filter(valid_until__gt=TODAY + timedelta(days=7)).exists()


def test_several_free_seats_are_removed_after_one_confirmation_naming_the_paid_time(client, big):
    account, admin, _bob = big
    client.force_login(admin.user)
    free = list(Seat.objects.filter(account=account, member__isnull=True).order_by("number"))
    chosen = [free[0], free[1], free[20]]  # two paid to 2027-01-31, one not paid

    response = client.post(reverse("account_seats_remove"), {"seat": [s.pk for s in chosen]})

    page = text(response)
    assert "Remove 3 seats?" in page
    assert (f"Seats no. {free[0].number}, {free[1].number} are paid until Jan. 31, 2027, no refund."
            in page)
    assert f"Seat no. {free[20].number} has no paid time left." in page
    assert not Seat.objects.filter(removed_on__isnull=False).exists()

    response = client.post(reverse("account_seats_remove"),
                           {"seat": [s.pk for s in chosen], "confirm": "1"}, follow=True)
    assert "Removed 3 seats" in text(response)
    assert set(Seat.objects.filter(removed_on=TODAY)) == set(chosen)


def test_removing_several_seats_with_an_occupied_one_removes_none(client, big):
    account, admin, bob = big
    client.force_login(admin.user)
    free = Seat.objects.filter(account=account, member__isnull=True).first()
    occupied = Seat.objects.get(member=bob)

    response = client.post(reverse("account_seats_remove"),
                           {"seat": [free.pk, occupied.pk], "confirm": "1"}, follow=True)

    assert f"Seat no. {occupied.number} is occupied by bob@big.example" in text(response)
    assert not Seat.objects.filter(removed_on__isnull=False).exists()


def test_another_accounts_seats_cannot_be_removed_in_a_batch(client, big, make_account):
    _account, admin, _bob = big
    other, _ = make_account("Other", extra_seats=1, as_of=TODAY)
    theirs = Seat.objects.filter(account=other, member__isnull=True).first()
    client.force_login(admin.user)

    client.post(reverse("account_seats_remove"), {"seat": [theirs.pk], "confirm": "1"})

    theirs.refresh_from_db()
    assert theirs.removed_on is None


# --- the trial banner ---------------------------------------------------------------------------


@pytest.mark.parametrize("days_before_end,expected", [
    (0, "Free trial: 1 day left (today included)."),
    (3, "Free trial: 4 days left (today included)."),
])
def test_the_trial_banner_shows_the_days_left(make_account, days_before_end, expected):
    account, admin = make_account("Trial", trial=True, as_of=TODAY - timedelta(days=20))
    as_of = account.trial_ends_on - timedelta(days=days_before_end)

    banner = banner_for(access_decision(admin.user, as_of=as_of), as_of)

    assert banner.message.startswith(expected)


def test_the_api_refuses_seats_past_the_trial_cap_on_the_count_field(make_account):
    account, admin = make_account("Trial", trial=True, as_of=TODAY)

    response = token_client(admin.user).post(f"/api/v1/accounts/{account.pk}/seats/",
                                             {"count": 25}, format="json")

    assert response.status_code == 400
    assert response.json()["count"] == [
        "During the free trial an organisation can have at most 25 seats; it has 1. You can "
        "add up to 24 more seats now."]
    assert Seat.objects.filter(account=account).count() == 1


def test_after_removing_a_seat_the_page_keeps_the_filter_and_page(client, big):
    account, admin, _bob = big
    client.force_login(admin.user)
    seat = Seat.objects.filter(account=account, member__isnull=True).order_by("number").last()

    page = client.get("/account/users/?seats=free&page=2").content.decode()
    assert 'name="view" value="seats=free&amp;page=2"' in page
    response = client.post(reverse("account_seat_remove", args=[seat.pk]),
                           {"confirm": "1", "view": "seats=free&page=2&evil=https://x"})

    assert response["Location"] == "/account/users/?seats=free&page=2#seats"
