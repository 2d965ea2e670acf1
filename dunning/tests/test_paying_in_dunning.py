"""Paying in grace or blocked restores access at once (SPEC §6), and what the renewal charges
depends on the day (SPEC §5): on day 14 after expiry the unpaid and grace days are paid, on day 15
only forward from the renewal day. Through the real order, transfer and apply-order path."""

from datetime import date
from decimal import Decimal

import pytest

from dunning.models import RecordedPhase
from dunning.services.sweep import dunning_sweep
from invoices.tests import billing_profile
from payments.services import payment_transfer_start, transfer_book
from plans.services import renewal_order_create
from seats.access import access_decision
from seats.models import Seat

pytestmark = pytest.mark.django_db

D = date.fromisoformat
CREATED = D("2026-10-25")  # never paid, valid until 2026-10-31


@pytest.fixture
def acme(make_account, make_member):
    account, admin = make_account("Acme", as_of=CREATED)
    user = make_member(account, "user@acme.example", as_of=CREATED)
    billing_profile(account)
    return account, admin, user


def pay(account, admin, day, add_seats=0):
    """A renewal to 2026-12-31 (with `add_seats` new seats), ordered and paid by transfer."""
    order = renewal_order_create(account=account, until=(2026, 12), add_seats=add_seats,
                                 actor=admin.user, as_of=day)
    payment_transfer_start(order=order, actor=admin.user, as_of=day)
    transfer_book(order=order, amount=order.gross, received_on=day, reference="TR-1",
                  actor=None, as_of=day)
    return order


def test_paying_on_day_14_charges_the_lapsed_days_and_restores_access_at_once(acme):
    account, admin, user = acme
    day = D("2026-11-14")  # d = 14: blocked
    dunning_sweep(as_of=day)
    assert access_decision(user.user, as_of=day).code == "blocked"
    order = pay(account, admin, day)
    starts = {line["start"] for line in order.quote["lines"] if line.get("seat")}
    assert starts == {"2026-10-25"}  # from the creation day: unpaid and grace days are paid
    # per seat: 7/31 of October + November + December at 59 PLN
    per_seat = (Decimal("59") * 7 / 31).quantize(Decimal("0.01")) + 2 * Decimal("59")
    assert order.net == 2 * per_seat
    assert access_decision(user.user, as_of=day).allowed  # no sweep needed
    assert set(Seat.objects.filter(account=account).values_list("valid_until", flat=True)) == {
        D("2026-12-31")}
    dunning_sweep(as_of=day)
    assert RecordedPhase.objects.get(account=account).phase == "active"


def test_paying_on_day_15_charges_forward_only_and_restores_a_suspended_account(acme):
    account, admin, user = acme
    day = D("2026-11-15")  # d = 15: suspended
    dunning_sweep(as_of=day)
    assert RecordedPhase.objects.get(account=account).automations_paused is True
    order = pay(account, admin, day)
    starts = {line["start"] for line in order.quote["lines"] if line.get("seat")}
    assert starts == {"2026-11-15"}  # forward only, from the renewal day
    per_seat = (Decimal("59") * 16 / 30).quantize(Decimal("0.01")) + Decimal("59")
    assert order.net == 2 * per_seat
    assert access_decision(user.user, as_of=day).allowed
    dunning_sweep(as_of=day)
    recorded = RecordedPhase.objects.get(account=account)
    assert (recorded.phase, recorded.automations_paused) == ("active", False)
