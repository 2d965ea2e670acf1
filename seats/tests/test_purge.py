"""seats' part of deleting an account (`seats.services.purge`): the purge permit and
`account_purge` on its own (the whole deletion of an unpaid trial: `dunning/tests/
test_trial_deletion.py`)."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.db.models import ProtectedError

from plans.models import Order
from plans.services import renewal_order_create
from seats.models import Account, AuditEntry, Member, PurgePermit, Seat, SeatPeriod
from seats.services.purge import PurgeOutsideTransaction, account_purge, purge_permit
from seats.tests.helpers import seats_pay_through

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 16)


def test_the_permit_lives_only_inside_its_block_and_nests(make_account):
    account, _admin = make_account("Acme")
    with transaction.atomic():
        with purge_permit(account):
            with purge_permit(account):  # an inner purge reuses the outer permit
                assert PurgePermit.objects.filter(account_id=account.pk).exists()
            assert PurgePermit.objects.filter(account_id=account.pk).exists()
        assert not PurgePermit.objects.exists()


def test_a_block_that_fails_rolls_back_its_permit_and_its_deletions(make_account):
    account, _admin = make_account("Acme")
    periods = SeatPeriod.objects.filter(account=account).count()
    with transaction.atomic():
        with pytest.raises(RuntimeError, match="boom"), purge_permit(account):
            rows = SeatPeriod.objects.filter(account=account)
            assert rows._raw_delete(rows.db) == periods
            raise RuntimeError("boom")
        assert not PurgePermit.objects.exists()
        assert SeatPeriod.objects.filter(account=account).count() == periods


@pytest.mark.django_db(transaction=True)
def test_a_purge_outside_a_transaction_is_a_programming_error(make_account):
    account, _admin = make_account("Acme")
    with pytest.raises(PurgeOutsideTransaction), purge_permit(account):
        pass
    with pytest.raises(PurgeOutsideTransaction):
        account_purge(account=account)
    assert Account.objects.filter(pk=account.pk).exists()


def test_account_purge_deletes_seats_rows_and_keeps_the_rest(make_account, make_member, staff):
    account, admin = make_account("Acme", extra_seats=2)
    make_member(account, "user@acme.example")
    seats = list(Seat.objects.filter(account=account))
    seats_pay_through(seats, date(2026, 12, 31), as_of=AS_OF, actor=staff)  # paid rows
    other, other_admin = make_account("Other")
    other_periods = SeatPeriod.objects.filter(account=other).count()

    with transaction.atomic():
        removed = account_purge(account=account)

    assert removed == {"seat_periods": 6, "seats": 3, "members": 2, "users": 2, "contracts": 0,
                       "access_holds": 0, "accounts": 1}
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Member.objects.filter(account_id=account.pk).exists()
    assert AuditEntry.objects.filter(target_type="seats.account", target_id=account.pk,
                                     account__isnull=True).exists()
    assert get_user_model().objects.filter(pk__in=[staff.pk, other_admin.user_id]).count() == 2
    assert SeatPeriod.objects.filter(account=other).count() == other_periods
    assert not PurgePermit.objects.exists()


def test_account_purge_fails_while_a_higher_layer_still_holds_rows(make_account):
    """The caller purges top-down; an order left behind protects the account, and the caller's
    transaction rolls everything back."""
    account, admin = make_account("Acme")
    renewal_order_create(account=account, until=(2026, 12), actor=admin.user, as_of=AS_OF)
    periods = SeatPeriod.objects.filter(account=account).count()

    with pytest.raises(ProtectedError), transaction.atomic():
        account_purge(account=account)

    assert Order.objects.filter(account=account).count() == 1
    assert SeatPeriod.objects.filter(account=account).count() == periods
    assert not PurgePermit.objects.exists()


def test_without_the_permit_the_ledger_cannot_be_deleted_even_in_bulk(make_account):
    account, _admin = make_account("Acme")
    rows = SeatPeriod.objects.filter(account=account)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        rows._raw_delete(rows.db)
    assert rows.count() == 1
