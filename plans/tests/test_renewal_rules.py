"""The renewal rules of SPEC §5 that issue 7 found broken, each at fixed dates with the values
worked out by hand (Base 59 PLN, Automation 119 PLN, Professional 179 PLN, chatbot pack 20 PLN a
month), plus the boundaries no test pinned before: valid through today, the trial's last day,
grace day 14/15.

A "paid" seat is one whose `valid_until` and `paid_through` are set as a booked renewal leaves them
(payments come with a later issue), as in `test_services.py`.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Max

from billing_site.errors import DomainError
from catalogue.models import AddOn
from plans import services
from plans.models import AccountAddOn, Order
from seats import services as seat_services
from seats.models import Account, Seat
from seats.tests.helpers import seats_pay_through, seats_set_validity

pytestmark = pytest.mark.django_db

D = Decimal


def d(text):
    return date.fromisoformat(text)


def account_with_seat(*, created, package="base", trial=False, paid_through=None,
                      valid_until=None):
    """A new account with one seat added on `created`; optionally paid (as a booked renewal
    leaves it) through `paid_through`, valid until `valid_until` (default: `paid_through`)."""
    account = seat_services.account_create(name="Acme", package_code=package, country="PL",
                                            trial=trial, actor=None, as_of=created)
    [seat] = seat_services.seats_add(account=account, count=1, actor=None, as_of=created)
    if paid_through is not None:
        seats_set_validity([seat], valid_until=valid_until or paid_through,
                           paid_through=paid_through)
    return account, Seat.objects.get(pk=seat.pk)


def seat_lines(q):
    return [(line.start, line.end, line.amount) for line in q.lines]


# --- SPEC §5: billing start of a seat renewed 1–14 days after its lapse --------------------------


def test_unpaid_days_before_a_lapse_are_charged_from_the_creation_day(catalogue):
    # Issue 7 example: created 2027-03-10, never paid, valid until 2027-03-31, renewed on
    # 2027-04-09 (9 days after the lapse) to the end of April: 22/31 × 59 + 59 = 41.87 + 59.00
    account, seat = account_with_seat(created=d("2027-03-10"))
    assert seat.valid_until == d("2027-03-31")

    q = services.renewal_quote(account=account, until=(2027, 4), as_of=d("2027-04-09"))

    assert seat_lines(q) == [(d("2027-03-10"), d("2027-04-30"), D("100.87"))]
    assert q.net == D("100.87")


@pytest.mark.parametrize(("as_of", "start", "amount"), [
    # paid through 20 Mar, valid until 31 Mar: day 14 after the lapse pays 21 Mar on,
    # 11/31 × 59 + 59 = 20.94 + 59.00
    ("2027-04-14", "2027-03-21", "79.94"),
    # day 15: forward only, 15–30 Apr = 16/30 × 59
    ("2027-04-15", "2027-04-15", "31.47"),
])
def test_grace_day_14_pays_from_paid_through_and_day_15_is_forward_only(catalogue, as_of, start,
                                                                        amount):
    account, _ = account_with_seat(created=d("2027-01-04"), paid_through=d("2027-03-20"),
                                   valid_until=d("2027-03-31"))

    q = services.renewal_quote(account=account, until=(2027, 4), as_of=d(as_of))

    assert seat_lines(q) == [(d(start), d("2027-04-30"), D(amount))]


@pytest.mark.parametrize(("as_of", "start"), [("2027-04-14", "2027-03-10"),
                                              ("2027-04-15", "2027-04-15")])
def test_grace_day_14_and_15_of_a_never_paid_seat(catalogue, as_of, start):
    account, _ = account_with_seat(created=d("2027-03-10"))
    q = services.renewal_quote(account=account, until=(2027, 4), as_of=d(as_of))
    assert [line.start for line in q.lines] == [d(start)]


# --- SPEC §5: trial days are never charged -----------------------------------------------------


@pytest.fixture
def trial_account(catalogue):
    """A trial account opened 2026-11-02 (trial through 2026-11-15) with one seat."""
    account, _ = account_with_seat(created=d("2026-11-02"), trial=True)
    assert account.trial_ends_on == d("2026-11-15")
    return account


def test_seats_and_packs_added_in_a_renewal_during_the_trial_pay_from_the_day_after_it(
        trial_account):
    # Issue 7 example: renewing on 2026-11-10, in the trial, to the end of December with one new
    # seat and one chatbot pack: every line starts on 16 Nov (15/30 + 1 month = 1.5 months)
    q = services.renewal_quote(account=trial_account, until=(2026, 12), add_seats=1,
                               add_ons={"chatbot": 1}, as_of=d("2026-11-10"))

    assert seat_lines(q) == [(d("2026-11-16"), d("2026-12-31"), D("88.50"))] * 2
    assert [(x.code, x.start, x.amount) for x in q.add_on_lines] == [
        ("chatbot", d("2026-11-16"), D("30.00"))]
    assert q.net == D("207.00")


def test_a_seat_added_on_the_trials_last_day_pays_from_the_day_after(trial_account):
    seat_services.seats_add(account=trial_account, count=1, actor=None, as_of=d("2026-11-15"))

    q = services.renewal_quote(account=trial_account, until=(2026, 11), add_seats=1,
                               as_of=d("2026-11-15"))

    # the trial's seat, the seat added today and the one added in the renewal: 16–30 Nov each
    assert [line.start for line in q.lines] == [d("2026-11-16")] * 3
    assert q.net == D("88.50")  # 3 × 15/30 × 59


def test_add_on_packs_bought_alone_during_the_trial_are_refused_with_the_reason(trial_account):
    with pytest.raises(DomainError, match="During the free trial add-on packs are free"):
        services.addon_order_create(account=trial_account, add_ons={"chatbot": 1}, actor=None,
                                    as_of=d("2026-11-10"))
    assert not Order.objects.exists()


# --- boundaries: valid through exactly today ---------------------------------------------------


def test_account_valid_through_today_counts_the_term_from_next_month(catalogue):
    # valid and paid through 2026-11-30, quoted on 2026-11-30 to April 2027: Dec–Apr is 5 months
    # (no discount); the bought pack is charged from 1 Dec, not from today
    account, _ = account_with_seat(created=d("2026-10-01"), paid_through=d("2026-11-30"))
    AccountAddOn.objects.create(account=account, addon=AddOn.objects.get(code="chatbot"),
                                packs=1)

    q = services.renewal_quote(account=account, until=(2027, 4), as_of=d("2026-11-30"))

    assert (q.term_months, q.discount_percent) == (5, D("0"))
    assert seat_lines(q) == [(d("2026-12-01"), d("2027-04-30"), D("295.00"))]
    assert [(x.start, x.amount) for x in q.add_on_lines] == [(d("2026-12-01"), D("100.00"))]


def test_account_valid_until_yesterday_counts_the_term_from_this_month(catalogue):
    account, _ = account_with_seat(created=d("2026-10-01"), paid_through=d("2026-11-29"))
    q = services.renewal_quote(account=account, until=(2027, 4), as_of=d("2026-11-30"))
    assert (q.term_months, q.discount_percent) == (6, D("5"))


# --- issue 7: target-month shortcuts count from the validity month -----------------------------


def test_plus_six_months_shortcut_is_a_six_month_term_with_its_discount(catalogue):
    # Issue 7 example: seats valid until 2026-12-14; "+6" is June 2027, Jan–Jun = 6 months, 5 %
    account, _ = account_with_seat(created=d("2026-10-01"), paid_through=d("2026-12-14"))
    as_of = d("2026-11-29")
    shortcuts = {s.offset: s for s in services.renewal_shortcuts(valid_until=d("2026-12-14"),
                                                                 as_of=as_of)}

    assert {k: s.value for k, s in shortcuts.items()} == {
        0: "2026-11", 1: "2027-01", 3: "2027-03", 6: "2027-06", 12: "2027-12"}
    assert shortcuts[0].disabled and not shortcuts[1].disabled
    q = services.renewal_quote(account=account, until=shortcuts[6].month, as_of=as_of)
    assert (q.term_months, q.discount_percent) == (6, D("5"))
    q = services.renewal_quote(account=account, until=shortcuts[12].month, as_of=as_of)
    assert (q.term_months, q.discount_percent) == (12, D("10"))


def test_shortcuts_count_from_this_month_when_nothing_is_valid(catalogue):
    shortcuts = services.renewal_shortcuts(valid_until=d("2026-10-31"), as_of=d("2026-11-29"))
    assert [s.value for s in shortcuts] == ["2026-11", "2026-12", "2027-02", "2027-05",
                                            "2027-11"]
    assert not any(s.disabled for s in shortcuts)


def test_default_target_never_costs_nothing_while_something_is_due(catalogue):
    # Issue 7 example: seats valid (and paid) to the month end: the end of this month would cost
    # 0.00, so the default is one month beyond the validity
    account, _ = account_with_seat(created=d("2026-10-01"), paid_through=d("2026-11-30"))
    as_of = d("2026-11-16")

    month = services.renewal_default_target(account=account, valid_until=d("2026-11-30"),
                                            as_of=as_of)

    assert month == (2026, 12)
    assert services.renewal_quote(account=account, until=month, as_of=as_of).net == D("59.00")


# --- issue 7: no dead ends -----------------------------------------------------------------------


def test_after_a_downgrade_far_ahead_new_seats_can_still_be_paid_for(catalogue):
    # Issue 7 example: Professional → Base on 2026-11-15 with seats valid until 2027-12-31:
    # 411 days × 179/59 = 1246 days → 2030-04-14, beyond 36 months from now
    as_of = d("2026-11-15")
    account, _ = account_with_seat(created=d("2026-10-01"), package="professional",
                                   paid_through=d("2027-12-31"))
    services.package_change(account=account, package_code="base", dry_run=False, actor=None,
                            as_of=as_of)
    assert Seat.objects.get(account=account).valid_until == d("2030-04-14")
    seat_services.seats_add(account=account, count=1, actor=None, as_of=as_of)

    month = services.renewal_default_target(account=account, valid_until=d("2030-04-14"),
                                            as_of=as_of)
    order = services.renewal_order_create(account=account, until=month, actor=None,
                                          as_of=as_of)

    assert month == (2030, 4)
    # the old seat: 15–30 Apr 2030 = 16/30 × 59 = 31.47; the new seat: 15 Nov 2026 – 30 Apr 2030
    # = 16/30 + 41 months × 59 = 2450.47; the validity's own month is a 0-month term
    assert [line["amount"] for line in order.quote["lines"]] == ["31.47", "2450.47"]
    assert (order.quote["term_months"], order.net) == (0, D("2481.94"))
    # and the furthest target counts from the validity month too
    services.renewal_quote(account=account, until=(2033, 4), as_of=as_of)
    with pytest.raises(DomainError, match="here 2033-04"):
        services.renewal_quote(account=account, until=(2033, 5), as_of=as_of)


OPS = ("add_seat", "upgrade", "downgrade", "pay_a_year", "lapse_20_days")


def _apply(account, op, as_of):
    """One step a tenant (or time) can take; returns the next business date."""
    if op == "add_seat":
        try:
            seat_services.seats_add(account=account, count=1, actor=None, as_of=as_of)
        except DomainError as exc:  # blocked: seats come only with a renewal, a no-op step
            assert exc.code == "account_blocked"
    elif op in ("upgrade", "downgrade"):
        code = "professional" if op == "upgrade" else "base"
        try:
            services.package_change(account=account, package_code=code, dry_run=False,
                                    actor=None, as_of=as_of)
        except DomainError:  # already on it, or changed less than a month ago: a no-op step
            pass
    elif op == "pay_a_year":  # as a booked 12-month renewal leaves the seats
        month = services.renewal_shortcuts(
            valid_until=_validity(account), as_of=as_of)[-1].end
        seats_pay_through(Seat.objects.filter(account=account, removed_on__isnull=True), month,
                          as_of=as_of)
    elif op == "lapse_20_days":
        return max(as_of, _validity(account) or as_of) + timedelta(days=20)
    return as_of + timedelta(days=33)


def _validity(account):
    return Seat.objects.filter(account=account, removed_on__isnull=True).aggregate(
        last=Max("valid_until"))["last"]


@pytest.mark.parametrize("trial", [False, True], ids=["paid", "trial"])
def test_every_reachable_state_has_a_payable_renewal(catalogue, trial):
    """Walk every sequence of three steps (adding seats, package changes both ways, paying a
    year, letting the seats lapse) from a new account; in each state the renew page's default
    target quotes something to pay and can be ordered (issue 7: no state without a way to pay)."""
    import itertools

    visited = 0
    for path in itertools.product(OPS, repeat=3):
        start = d("2026-11-16")
        account = seat_services.account_create(name="Walk", package_code="base", country="PL",
                                                trial=trial, actor=None, as_of=start)
        seat_services.seats_add(account=account, count=1, actor=None, as_of=start)
        as_of = start
        for op in path:
            as_of = _apply(account, op, as_of)
            account = Account.objects.get(pk=account.pk)
            month = services.renewal_default_target(account=account,
                                                    valid_until=_validity(account), as_of=as_of)
            quote = services.renewal_quote(account=account, until=month, as_of=as_of)
            assert quote.gross > 0, (path, op, as_of, month)
            visited += 1
        Order.objects.filter(account=account).delete()
    assert visited == len(OPS) ** 3 * 3


# --- issue 7: a line shows every partial month it covers ---------------------------------------


def test_add_on_line_spanning_two_partial_months_shows_both(catalogue):
    # Issue 7 example: after Base → Automation on 2026-11-15 the seats run to 2026-12-07; two
    # packs bought on 2026-11-16 cover 15/30 of November and 7/31 of December:
    # 2 × 20 × (15/30 + 7/31) = 29.03
    account, _ = account_with_seat(created=d("2026-10-01"), paid_through=d("2026-12-31"))
    services.package_change(account=account, package_code="automation", dry_run=False,
                            actor=None, as_of=d("2026-11-15"))

    order = services.addon_order_create(account=account, add_ons={"chatbot": 2}, actor=None,
                                        as_of=d("2026-11-16"))

    [line] = order.quote["lines"]
    assert (line["start"], line["end"], line["months"]) == ("2026-11-16", "2026-12-07", 0)
    assert line["partials"] == [[15, 30], [7, 31]]
    assert line["amount"] == "29.03" == str(
        (D(2) * D(20) * (D(15) / D(30) + D(7) / D(31))).quantize(D("0.01")))
