"""The admin shows accounts and seats with their money state read-only: the package, currency,
billing period and seat dates change only through the services (package change, invoice data,
the admin actions, the seat ledger), which keep their rules and audit rows."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from catalogue.models import Package
from seats.models import Account, Seat

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(client, make_account):
    make_account("Acme", extra_seats=1)
    root = get_user_model().objects.create_superuser("root@x.example", "root@x.example", "pw")
    client.force_login(root)
    return client


def test_account_package_currency_and_period_cannot_be_edited_in_the_admin(root_client):
    account = Account.objects.get(name="Acme")
    url = reverse("admin:seats_account_change", args=[account.pk])

    page = root_client.get(url).content.decode()
    root_client.post(url, {"name": "Acme Renamed", "package": Package.objects.get(
        code="professional").pk, "currency": "EUR", "billing_period": "annual",
        "seats-TOTAL_FORMS": "0", "seats-INITIAL_FORMS": "0"})

    for field in ("package", "currency", "billing_period", "country"):
        assert f'name="{field}"' not in page
    account.refresh_from_db()
    assert (account.package.code, account.currency, account.billing_period) == (
        "base", "PLN", "monthly")


def test_seat_removal_and_occupant_cannot_be_edited_in_the_admin(root_client):
    seat = Seat.objects.filter(member__isnull=True).first()
    page = root_client.get(reverse("admin:seats_seat_change", args=[seat.pk])).content.decode()
    for field in ("removed_on", "member", "valid_until", "paid_through"):
        assert f'name="{field}"' not in page
