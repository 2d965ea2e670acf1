"""Seats are numbered per account (issue 12, item 8): 1, 2, 3… under the account lock, never
reused, unique per account, shown to the tenant instead of the database id."""

from datetime import date
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction

from seats import services
from seats.models import Seat
from tests.helpers import token_client

TODAY = date(2026, 11, 16)

pytestmark = pytest.mark.django_db


def test_each_account_numbers_its_seats_from_one_and_never_reuses_a_number(make_account):
    acme, _ = make_account("Acme")
    globex, _ = make_account("Globex")
    services.seats_add(account=globex, count=2, actor=None, as_of=TODAY)
    added = services.seats_add(account=acme, count=3, actor=None, as_of=TODAY)
    assert [s.number for s in added] == [2, 3, 4]  # the admin's seat is #1
    services.seat_remove(account=acme, seat=added[-1], actor=None, as_of=TODAY)

    [again] = services.seats_add(account=acme, count=1, actor=None, as_of=TODAY)

    assert again.number == 5
    assert list(Seat.objects.filter(account=globex).order_by("number")
                .values_list("number", flat=True)) == [1, 2, 3]


def test_a_number_is_unique_per_account(make_account):
    acme, _ = make_account("Acme")
    seat = Seat.objects.get(account=acme)
    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.create(account=acme, number=seat.number, valid_until=TODAY,
                            created_on=TODAY)


def test_a_seat_inserted_without_a_number_gets_the_next_one(make_account):
    """PostgreSQL's trigger (the suite runs on PostgreSQL; the SQLite demo has no raw inserts)."""
    acme, _ = make_account("Acme", extra_seats=1)
    Seat.objects.bulk_create([Seat(account=acme, valid_until=TODAY, created_on=TODAY)
                              for _ in range(2)])
    assert list(Seat.objects.filter(account=acme).order_by("number")
                .values_list("number", flat=True)) == [1, 2, 3, 4]


def test_the_data_migration_numbers_existing_seats_by_account_in_creation_order(make_account):
    acme, _ = make_account("Acme", extra_seats=2)
    globex, _ = make_account("Globex", extra_seats=1)
    # scramble the numbers, then run the backfill of migration 0009 over them
    for i, seat in enumerate(Seat.objects.order_by("id")):
        Seat.objects.filter(pk=seat.pk).update(number=100 + i)
    migration = import_module("seats.migrations.0009_seat_number")
    migration.number_existing_seats(django_apps, None)

    for account in (acme, globex):
        rows = list(Seat.objects.filter(account=account).order_by("id")
                    .values_list("number", flat=True))
        assert rows == list(range(1, len(rows) + 1))


def test_the_api_gives_the_number_next_to_the_id(make_account):
    acme, admin = make_account("Acme", extra_seats=1)

    seats = token_client(admin.user).get(f"/api/v1/accounts/{acme.pk}/seats/").json()
    members = token_client(admin.user).get(f"/api/v1/accounts/{acme.pk}/members/").json()

    assert [(s["id"], s["number"]) for s in seats] == list(
        Seat.objects.filter(account=acme).order_by("number").values_list("id", "number"))
    assert members[0]["seat_number"] == 1


def test_the_users_page_and_its_messages_show_numbers_not_ids(client, make_account):
    make_account("Globex", extra_seats=3)  # so that Acme's ids and numbers differ
    acme, admin = make_account("Acme", extra_seats=1)
    free = Seat.objects.get(account=acme, member__isnull=True)
    assert free.pk != free.number == 2
    client.force_login(admin.user)

    page = client.get("/account/users/").content.decode()
    assert "no. 2</td>" in page and f"no. {free.pk}</td>" not in page

    response = client.post(f"/account/users/seats/{free.pk}/remove/", {"confirm": "1"},
                           follow=True)
    assert "Seat no. 2 has been removed." in response.content.decode()
