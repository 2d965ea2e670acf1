"""Services of issue 3 over real database rows: renewal quotes, payable orders, package changes and
the billing period (SPEC §4–5).

State is built through the seat services at explicit dates. Payments come with a later issue, so a
"paid" seat is one whose `valid_until` and `paid_through` are set as a booked renewal will set
them, and bought add-on packs are rows a booked add-on order will write. Services take `as_of`
directly. Amounts in the comments are worked out by hand (Base: 59 PLN, Automation: 119 PLN,
Chatbot pack: 20 PLN per month).
"""

import importlib
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from billing_site.errors import DomainError
from catalogue.models import AddOn, DiscountRung, Package
from plans import services
from plans.models import AccountAddOn, Order, OrderKind, OrderStatus, PackageChange
from seats import services as seat_services
from seats.models import Account, AuditEntry, BillingPeriod, Seat
from seats.tests.helpers import seats_pay_through, seats_set_validity

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 16)
OPENED = date(2026, 10, 1)  # when the test accounts and their first seats were created


def d(text):
    return date.fromisoformat(text)


@pytest.fixture
def new_account(catalogue):
    """new_account(package="base", country="PL", created=..., trial=False) -> Account (no seats)."""

    def _make(package="base", *, country="PL", created=OPENED, trial=False,
              name="Acme"):
        return seat_services.account_create(name=name, package_code=package, country=country,
                                            trial=trial, actor=None, as_of=created)

    return _make


def add_seats(account, count=1, *, on=OPENED, paid_through=None, for_order=False):
    """`count` free seats added on `on`; with `paid_through`, as a booked renewal leaves them
    (valid and paid through that day); `for_order`: added as a renewal adds them (the only way
    once the account is blocked)."""
    seats = seat_services.seats_add(account=account, count=count, actor=None, as_of=on,
                                    for_order=for_order)
    if paid_through is not None:
        seats_pay_through(seats, paid_through)
    return [Seat.objects.get(pk=s.pk) for s in seats]


def buy_packs(account, packs, code="chatbot"):
    """Add-on packs as a booked add-on order will leave them."""
    AccountAddOn.objects.update_or_create(
        account=account, addon=AddOn.objects.get(code=code), defaults={"packs": packs}
    )


def quote(account, until, *, as_of=AS_OF, **kwargs):
    return services.renewal_quote(account=account, until=until, as_of=as_of, **kwargs)


def quote_lines(account, until, *, as_of=AS_OF, **kwargs):
    return services.quote_json(quote(account, until, as_of=as_of, **kwargs),
                               account.currency)["lines"]


def line(seat, start, end, months, days, dim, unit_price, amount, partials=None):
    """A quote line as `quote_json` writes it; one with a partial month lists it in
    `partials` (pass `partials` for a line with two)."""
    return {"seat": seat, "start": start, "end": end, "months": months, "days": days,
            "days_in_month": dim,
            "partials": partials if partials is not None else [[days, dim]] if days else [],
            "unit_price": unit_price, "amount": amount}


DOMESTIC_VAT = {"vat_code": "23", "vat_reason": "domestic",
                "vat_note": "23 % VAT: the buyer is in Poland."}


def seat_dates(account):
    return list(Seat.objects.filter(account=account).order_by("id")
                .values_list("id", "valid_until", "paid_through"))


# --- renewal quotes: where each seat's billing starts -------------------------------------------


def test_never_paid_seat_is_billed_from_its_creation_day(new_account):
    account = new_account(created=d("2026-11-10"))
    [seat] = add_seats(account, on=d("2026-11-10"))  # valid until 2026-11-30, never paid

    q = quote(account, (2026, 12))

    # 10–30 Nov is 21 of 30 days, plus December: 59 × 1.7 = 100.30
    assert services.quote_json(q, "PLN") == {
        "currency": "PLN", "term_months": 1, "discount_percent": "0.00",
        "lines": [line(seat.pk, "2026-11-10", "2026-12-31", 1, 21, 30, "59.00", "100.30")],
        "net_before_discount": "100.30", "discount": "0.00", "net": "100.30",
        "vat_rate": "23.00", **DOMESTIC_VAT, "vat": "23.07", "gross": "123.37",
        "valid_until": "2026-12-31",
    }


def test_paid_seat_is_billed_from_the_day_after_paid_through(new_account):
    account = new_account()
    [seat] = add_seats(account, paid_through=d("2026-11-30"))

    assert quote_lines(account, (2027, 1)) == [
        line(seat.pk, "2026-12-01", "2027-01-31", 2, 0, None, "59.00", "118.00")
    ]


@pytest.mark.parametrize(
    ("valid_until", "start", "amount"),
    [
        ("2026-11-14", "2026-11-15", "31.47"),  # 2 days expired: grace days paid, 16/30 × 59
        ("2026-11-02", "2026-11-03", "55.07"),  # 14 days expired: still paid, 28/30 × 59
        ("2026-11-01", "2026-11-16", "29.50"),  # 15 days expired: forward only, 15/30 × 59
        ("2026-10-07", "2026-11-16", "29.50"),  # long expired: forward only
    ],
    ids=["grace-2-days", "grace-14-days", "forward-only-15-days", "forward-only-40-days"],
)
def test_grace_days_up_to_14_are_paid_and_from_15_the_renewal_is_forward_only(
    new_account, valid_until, start, amount
):
    account = new_account()
    [seat] = add_seats(account, paid_through=d(valid_until))

    assert quote_lines(account, (2026, 11)) == [
        line(seat.pk, start, "2026-11-30", 0, d("2026-11-30").day - d(start).day + 1, 30,
             "59.00", amount)
    ]


def test_removed_seats_are_neither_charged_nor_count_for_the_current_validity(new_account):
    account = new_account()
    kept, removed = add_seats(account, 2, paid_through=d("2026-11-30"))
    seats_set_validity([removed], valid_until=d("2027-03-31"))
    seat_services.seat_remove(account=account, seat=removed, actor=None, as_of=AS_OF)

    # the removed seat's longer validity does not force the target to March
    assert quote_lines(account, (2026, 12)) == [
        line(kept.pk, "2026-12-01", "2026-12-31", 1, 0, None, "59.00", "59.00")
    ]


def test_trial_days_are_never_charged_seats_pay_from_the_day_after_the_trial(new_account):
    account = new_account(created=d("2026-11-01"), trial=True)
    assert account.trial_ends_on == d("2026-11-14")
    first, = add_seats(account, on=d("2026-11-01"))  # valid until the trial end, never paid
    during, = add_seats(account, on=d("2026-11-10"))

    # 15–30 Nov: 16/30 × 59 = 31.47, whether renewed during the trial or (in grace) after it
    trial_lines = [
        line(first.pk, "2026-11-15", "2026-11-30", 0, 16, 30, "59.00", "31.47"),
        line(during.pk, "2026-11-15", "2026-11-30", 0, 16, 30, "59.00", "31.47"),
    ]
    assert quote_lines(account, (2026, 11), as_of=d("2026-11-05")) == trial_lines
    # after the trial (the account is blocked: only a renewal adds seats): valid to 2026-11-30
    after, = add_seats(account, on=d("2026-11-18"), for_order=True)
    # 18–30 Nov: 13/30 × 59 = 25.57
    assert quote_lines(account, (2026, 11), as_of=d("2026-11-20")) == trial_lines + [
        line(after.pk, "2026-11-18", "2026-11-30", 0, 13, 30, "59.00", "25.57"),
    ]


# --- renewal quotes: new seats and add-on packs -------------------------------------------------


def test_seats_added_in_a_renewal_are_new_lines_charged_from_as_of(new_account):
    account = new_account()
    [seat] = add_seats(account, paid_through=d("2026-11-30"))

    q = services.quote_json(quote(account, (2026, 12), add_seats=2), "PLN")

    # 16–30 Nov (15/30) + December: 59 × 1.5 = 88.50 each
    new = line(None, "2026-11-16", "2026-12-31", 1, 15, 30, "59.00", "88.50")
    assert q["lines"] == [line(seat.pk, "2026-12-01", "2026-12-31", 1, 0, None, "59.00", "59.00"),
                          new, new]
    assert (q["net"], q["vat"], q["gross"]) == ("236.00", "54.28", "290.28")
    assert Seat.objects.filter(account=account).count() == 1  # a quote adds nothing


def test_bought_add_on_packs_renew_over_the_renewal_span_and_extra_packs_from_as_of(new_account):
    account = new_account()
    [seat] = add_seats(account, paid_through=d("2026-11-30"))
    buy_packs(account, 2)

    q = services.quote_json(quote(account, (2027, 1), add_ons={"chatbot": 1}), "PLN")

    assert q["lines"] == [
        line(seat.pk, "2026-12-01", "2027-01-31", 2, 0, None, "59.00", "118.00"),
        # the 2 packs bought renew from the day after the account's validity: 2 × 20 × 2
        {**line(None, "2026-12-01", "2027-01-31", 2, 0, None, "20.00", "80.00"),
         "add_on": "chatbot", "packs": 2},
        # the extra pack counts from today: 20 × (15/30 + 2)
        {**line(None, "2026-11-16", "2027-01-31", 2, 15, 30, "20.00", "50.00"),
         "add_on": "chatbot", "packs": 1},
    ]
    assert (q["net_before_discount"], q["vat"], q["gross"]) == ("248.00", "57.04", "305.04")
    assert AccountAddOn.objects.get(account=account).packs == 2  # a quote buys nothing


@pytest.mark.parametrize(
    ("add_ons", "message"),
    [
        ({"chatbot": 3}, "Chatbot conversations: at most 500 units in total on this package "
                         "(100 included, 200 bought); you can add at most 2 more packs."),
        ({"stickers": 1}, "Unknown add-on “stickers” for this package."),
        ({"chatbot": -1},
         "The number of packs of Chatbot conversations must be a whole number, 0 or more."),
    ],
    ids=["cap-exceeded", "unknown", "negative"],
)
def test_add_on_packs_beyond_the_cap_or_unknown_are_refused(new_account, add_ons, message):
    account = new_account()
    add_seats(account, paid_through=d("2026-11-30"))
    buy_packs(account, 2)  # 100 included + 200 bought of Base's 500

    with pytest.raises(DomainError) as refused:
        quote(account, (2026, 12), add_ons=add_ons)

    assert (refused.value.field, str(refused.value)) == ("add_ons", message)


def test_add_on_packs_up_to_the_cap_are_quoted(new_account):
    account = new_account()
    add_seats(account, paid_through=d("2026-11-30"))
    buy_packs(account, 2)

    lines = quote_lines(account, (2026, 12), add_ons={"chatbot": 2})

    assert [(x.get("add_on"), x.get("packs")) for x in lines] == [
        (None, None), ("chatbot", 2), ("chatbot", 2)
    ]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"until": (2026, 10)}, "until", "The target month 2026-10 is in the past."),
        # the horizon counts from the validity's month (2027-01), not from this month
        ({"until": (2030, 2)}, "until",
         "The target month 2030-02 is too far ahead: renewals reach at most 36 months beyond "
         "this month or the seats' current validity, whichever is later (here 2030-01)."),
        ({"until": (2026, 12)}, "until",
         "The target month 2026-12 ends before the seats' current validity (Jan. 31, 2027); pick "
         "2027-01 or later."),
        ({"until": (2027, 1), "add_seats": -1}, "add_seats",
         "New seats must be a whole number, 0 or more."),
        ({"until": (2027, 1), "add_seats": 501}, "add_seats",
         "At most 500 new seats can be added at once."),
    ],
    ids=["past", "over-36-months", "before-validity", "negative-seats", "too-many-seats"],
)
def test_invalid_renewal_requests_are_refused_on_their_field(new_account, kwargs, field,
                                                             message):
    account = new_account()
    add_seats(account, paid_through=d("2027-01-31"))

    with pytest.raises(DomainError) as refused:
        services.renewal_quote(account=account, as_of=AS_OF, **kwargs)

    assert (refused.value.field, str(refused.value)) == (field, message)


def test_the_furthest_target_is_36_months_after_this_month(new_account):
    account = new_account()
    add_seats(account, paid_through=d("2026-11-30"))

    assert quote(account, (2029, 11)).valid_until == d("2029-11-30")


@pytest.mark.parametrize(
    ("until", "term", "percent"),
    [((2027, 4), 5, "0"), ((2027, 5), 6, "5"), ((2027, 10), 11, "5"), ((2027, 11), 12, "10"),
     ((2028, 10), 23, "10"), ((2028, 11), 24, "15")],
)
def test_discount_ladder_by_term_from_the_month_after_the_current_validity(
    new_account, until, term, percent
):
    account = new_account()
    add_seats(account, paid_through=d("2026-11-30"))

    q = quote(account, until)

    assert (q.term_months, q.discount_percent) == (term, Decimal(percent))
    assert q.discount == (q.net_before_discount * Decimal(percent) / 100).quantize(Decimal("0.01"))


def test_discount_ladder_is_read_from_the_database(new_account):
    account = new_account()
    add_seats(account, paid_through=d("2026-11-30"))
    assert quote(account, (2027, 5)).discount == Decimal("17.70")  # 5 % of 6 × 59 = 354.00

    DiscountRung.objects.filter(min_months=6).update(percent=Decimal("7"))

    q = quote(account, (2027, 5))
    assert (q.discount_percent, q.discount, q.net) == (Decimal("7"), Decimal("24.78"),
                                                       Decimal("329.22"))

    DiscountRung.objects.create(min_months=3, percent=Decimal("2"))
    assert quote(account, (2027, 3)).discount_percent == Decimal("2")


@pytest.mark.parametrize(
    ("country", "currency", "price", "vat_rate", "vat"),
    [
        ("PL", "PLN", "59.00", "23.00", "13.57"),
        ("DE", "EUR", "14.00", "23.00", "3.22"),  # EU (consumer until VIES lands): 23 %
        ("CZ", "CZK", "340.00", "23.00", "78.20"),
        ("US", "USD", "15.00", "0.00", "0.00"),  # outside the EU: not subject to Polish VAT
        ("NO", "EUR", "14.00", "0.00", "0.00"),  # EEA pays in EUR but is outside the EU
    ],
)
def test_quote_uses_the_accounts_currency_price_and_vat_rate(new_account, country, currency,
                                                             price, vat_rate, vat):
    account = new_account(country=country)
    add_seats(account, paid_through=d("2026-11-30"))

    q = services.quote_json(quote(account, (2026, 12)), account.currency)

    assert (q["currency"], q["lines"][0]["unit_price"], q["net"], q["vat_rate"], q["vat"]) == (
        currency, price, price, vat_rate, vat
    )


def test_quote_follows_a_price_changed_in_the_admin(new_account):
    account = new_account()
    add_seats(account, paid_through=d("2026-11-30"))
    Package.objects.get(code="base").prices.filter(currency="PLN").update(
        monthly_price=Decimal("61.00")
    )

    assert quote(account, (2026, 12)).net == Decimal("61.00")


# --- orders -------------------------------------------------------------------------------------


def test_pending_renewal_order_stores_exactly_the_quote_and_the_request(new_account, admin_user):
    account = new_account()
    add_seats(account, paid_through=d("2026-11-30"))
    add_seats(account, on=d("2026-11-10"))
    buy_packs(account, 1)
    request = {"until": (2027, 5), "add_seats": 1, "add_ons": {"chatbot": 1}}
    quoted = services.quote_json(quote(account, **request), "PLN")

    order = services.renewal_order_create(account=account, actor=admin_user, as_of=AS_OF,
                                          **request)

    order.refresh_from_db()
    assert order.quote == {**quoted, "request": {"until": "2027-05", "add_seats": 1,
                                                 "add_ons": {"chatbot": 1}},
                           "package": {"code": "base", "name": "Base"}}
    assert (order.kind, order.status, order.currency, order.as_of) == (
        OrderKind.RENEWAL, OrderStatus.PENDING, "PLN", AS_OF
    )
    assert (str(order.net), str(order.vat), str(order.gross)) == (
        quoted["net"], quoted["vat"], quoted["gross"]
    )
    assert order.created_by == admin_user
    entry = AuditEntry.objects.get(account=account, action="order.create")
    assert (entry.target_id, entry.actor) == (order.pk, admin_user)


def test_renewal_order_is_refused_like_its_quote(new_account):
    account = new_account()
    add_seats(account, paid_through=d("2026-11-30"))

    with pytest.raises(DomainError):
        services.renewal_order_create(account=account, until=(2026, 10), actor=None, as_of=AS_OF)

    assert not Order.objects.exists()


def test_add_on_order_is_priced_pro_rata_to_the_accounts_validity_end(new_account, admin_user):
    account = new_account()
    add_seats(account, 2, paid_through=d("2026-12-31"))

    order = services.addon_order_create(account=account, add_ons={"chatbot": 2},
                                        actor=admin_user, as_of=AS_OF)

    # 16 Nov – 31 Dec is 15/30 + 1 month: 2 packs × 20 × 1.5 = 60.00, VAT 13.80
    assert order.quote == {
        "currency": "PLN", "term_months": 0, "discount_percent": "0.00",
        "lines": [{**line(None, "2026-11-16", "2026-12-31", 1, 15, 30, "20.00", "60.00"),
                   "add_on": "chatbot", "packs": 2}],
        "net_before_discount": "60.00", "discount": "0.00", "net": "60.00",
        "vat_rate": "23.00", **DOMESTIC_VAT, "vat": "13.80", "gross": "73.80",
        "valid_until": "2026-12-31",
        "request": {"add_ons": {"chatbot": 2}},
    }
    assert (order.kind, order.status) == (OrderKind.ADDONS, OrderStatus.PENDING)
    assert (order.net, order.vat, order.gross) == (Decimal("60.00"), Decimal("13.80"),
                                                   Decimal("73.80"))
    assert AccountAddOn.objects.filter(account=account).count() == 0  # bought once paid


@pytest.mark.parametrize(
    ("valid_until", "add_ons", "message"),
    [
        ("2026-11-15", {"chatbot": 1},
         "The account has no valid seats; buy add-on packs together with a renewal."),
        ("2026-12-31", {}, "Choose at least one pack to buy."),
        ("2026-12-31", {"chatbot": 5}, "Chatbot conversations: at most 500 units in total on "
                                       "this package (100 included, 0 bought); you can add at "
                                       "most 4 more packs."),
    ],
    ids=["nothing-valid", "no-packs", "cap"],
)
def test_add_on_order_refusals(new_account, valid_until, add_ons, message):
    account = new_account()
    add_seats(account, paid_through=d(valid_until))

    with pytest.raises(DomainError) as refused:
        services.addon_order_create(account=account, add_ons=add_ons, actor=None, as_of=AS_OF)

    assert str(refused.value) == message
    assert not Order.objects.exists()


# --- package change -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "after"),
    [("base", "automation", "2026-12-07"), ("automation", "base", "2027-02-15")],
)
def test_package_change_converts_paid_time_as_in_the_spec_examples(new_account, old, new, after):
    account = new_account(old)
    seats = add_seats(account, 2, paid_through=d("2026-12-31"))

    result = services.package_change(account=account, package_code=new, dry_run=False,
                                     actor=None, as_of=d("2026-11-15"))

    assert result.applied
    assert result.effective == d("2026-11-15")
    assert [tuple(c) for c in result.seats] == [
        (s.pk, d("2026-12-31"), d(after)) for s in seats
    ]
    # the converted time stays paid: the next renewal starts the day after
    assert seat_dates(account) == [(s.pk, d(after), d(after)) for s in seats]


def test_package_change_dry_run_previews_and_changes_nothing(new_account):
    account = new_account()
    [seat] = add_seats(account, paid_through=d("2026-12-31"))
    before = (seat_dates(account), AuditEntry.objects.count(), PackageChange.objects.count())

    result = services.package_change(account=account, package_code="automation", dry_run=True,
                                     actor=None, as_of=d("2026-11-15"))

    assert not result.applied
    assert [tuple(c) for c in result.seats] == [(seat.pk, d("2026-12-31"), d("2026-12-07"))]
    assert (seat_dates(account), AuditEntry.objects.count(),
            PackageChange.objects.count()) == before
    account.refresh_from_db()
    assert account.package.code == "base"


def test_applied_package_change_records_the_change_and_an_audit_row(new_account, admin_user):
    account = new_account()
    [seat] = add_seats(account, paid_through=d("2026-12-31"))

    services.package_change(account=account, package_code="automation", dry_run=False,
                            actor=admin_user, as_of=d("2026-11-15"))

    account.refresh_from_db()
    assert account.package.code == "automation"
    change = PackageChange.objects.get(account=account)
    assert (change.from_package.code, change.to_package.code, change.effective_on,
            change.actor) == ("base", "automation", d("2026-11-15"), admin_user)
    entry = AuditEntry.objects.get(account=account, action="account.package_change")
    assert entry.actor == admin_user
    assert entry.before == {"package": Package.objects.get(code="base").pk}
    assert entry.after == {"package": Package.objects.get(code="automation").pk,
                           "seats": [[seat.pk, "2026-12-31", "2026-12-07"]]}


def test_package_change_is_one_transaction(new_account, monkeypatch):
    account = new_account()
    add_seats(account, paid_through=d("2026-12-31"))
    before = seat_dates(account)

    def broken_audit(**kwargs):
        raise RuntimeError("audit storage down")

    # the module, not the function of the same name that `plans.services` re-exports
    monkeypatch.setattr(importlib.import_module("plans.services.package_change"), "audit_record",
                        broken_audit)
    with pytest.raises(RuntimeError):
        services.package_change(account=account, package_code="automation", dry_run=False,
                                actor=None, as_of=d("2026-11-15"))

    account.refresh_from_db()
    assert account.package.code == "base"
    assert seat_dates(account) == before
    assert not PackageChange.objects.exists()


def test_package_change_leaves_expired_seats_untouched(new_account):
    account = new_account()
    valid, expired = add_seats(account, 2, paid_through=d("2026-12-31"))
    seats_pay_through([expired], d("2026-11-10"))

    result = services.package_change(account=account, package_code="automation", dry_run=False,
                                     actor=None, as_of=d("2026-11-15"))

    assert [c.seat_id for c in result.seats] == [valid.pk]
    assert seat_dates(account) == [(valid.pk, d("2026-12-07"), d("2026-12-07")),
                                   (expired.pk, d("2026-11-10"), d("2026-11-10"))]


def test_package_change_converts_every_valid_seat_and_its_paid_time_by_the_formula(new_account):
    """SPEC §4 applies the formula to every seat still valid, paid or not; `paid_through` moves by
    the same formula so the converted time stays paid."""
    account = new_account()
    unpaid, = add_seats(account, on=d("2026-11-02"))  # valid to 2026-11-30, never paid
    part_paid, = add_seats(account, paid_through=d("2026-12-31"))
    seats_set_validity([part_paid], valid_until=d("2027-01-10"))  # 10 unpaid days

    result = services.package_change(account=account, package_code="automation", dry_run=False,
                                     actor=None, as_of=d("2026-11-15"))

    # 15 days × 59/119 = 7.43 → 7; 56 days × 59/119 = 27.76 → 27; paid 46 days → 22.8 → 22
    assert [tuple(c) for c in result.seats] == [
        (unpaid.pk, d("2026-11-30"), d("2026-11-22")),
        (part_paid.pk, d("2027-01-10"), d("2026-12-12")),
    ]
    assert seat_dates(account) == [(unpaid.pk, d("2026-11-22"), None),
                                   (part_paid.pk, d("2026-12-12"), d("2026-12-07"))]


def test_package_change_during_the_trial_keeps_the_trial_end(new_account):
    account = new_account("professional", created=d("2026-11-10"), trial=True)
    [seat] = add_seats(account, on=d("2026-11-10"))  # valid until the trial end, 2026-11-23

    result = services.package_change(account=account, package_code="base", dry_run=False,
                                     actor=None, as_of=d("2026-11-11"))

    # a downgrade must not stretch free trial days (nor an upgrade shorten them)
    assert [tuple(c) for c in result.seats] == [(seat.pk, d("2026-11-23"), d("2026-11-23"))]
    assert seat_dates(account) == [(seat.pk, d("2026-11-23"), None)]


@pytest.mark.parametrize(
    ("first", "refused_on", "allowed_on", "last_shown", "next_allowed"),
    [("2026-11-15", "2026-12-14", "2026-12-15", "Nov. 15, 2026", "Dec. 15, 2026"),
     ("2026-01-31", "2026-02-27", "2026-02-28", "Jan. 31, 2026", "Feb. 28, 2026")],
    ids=["mid-month", "month-end"],
)
def test_a_second_package_change_waits_one_calendar_month(new_account, first, refused_on,
                                                          allowed_on, last_shown, next_allowed):
    account = new_account(created=d("2026-01-01"))
    add_seats(account, on=d("2026-01-01"), paid_through=d("2027-06-30"))
    services.package_change(account=account, package_code="automation", dry_run=False,
                            actor=None, as_of=d(first))
    before = seat_dates(account)

    with pytest.raises(DomainError) as refused:
        services.package_change(account=account, package_code="professional", dry_run=True,
                                actor=None, as_of=d(refused_on))

    assert refused.value.code == "too_soon"
    assert str(refused.value) == (f"The package was last changed on {last_shown}; the next change "
                                  f"is possible from {next_allowed}.")
    assert seat_dates(account) == before
    result = services.package_change(account=account, package_code="professional",
                                     dry_run=False, actor=None, as_of=d(allowed_on))
    assert result.applied
    assert PackageChange.objects.filter(account=account).count() == 2


@pytest.mark.parametrize(
    ("code", "message"),
    [("base", "The account already has package Base."),
     ("gold", "Unknown package “gold”."),
     ("legacy", "Package Legacy is not offered any more.")],
    ids=["same", "unknown", "inactive"],
)
def test_package_change_to_the_same_unknown_or_inactive_package_is_refused(new_account, code,
                                                                           message):
    Package.objects.create(code="legacy", name="Legacy", active=False)
    account = new_account()
    add_seats(account, paid_through=d("2026-12-31"))

    with pytest.raises(DomainError) as refused:
        services.package_change(account=account, package_code=code, dry_run=False, actor=None,
                                as_of=AS_OF)

    assert (refused.value.field, str(refused.value)) == ("package", message)
    assert not PackageChange.objects.exists()


def test_downgrade_is_refused_when_bought_add_on_units_exceed_the_new_cap(new_account):
    account = new_account("automation")
    add_seats(account, paid_through=d("2026-12-31"))
    buy_packs(account, 5)  # Base: 100 included + 500 bought > 500

    with pytest.raises(DomainError) as refused:
        services.package_change(account=account, package_code="base", dry_run=True, actor=None,
                                as_of=AS_OF)

    assert refused.value.code == "addon_cap"
    assert str(refused.value) == ("Chatbot conversations: the 500 units bought exceed what "
                                  "package Base allows.")

    buy_packs(account, 4)  # 100 + 400 fits
    assert services.package_change(account=account, package_code="base", dry_run=True,
                                   actor=None, as_of=AS_OF).package.code == "base"


# --- billing period -----------------------------------------------------------------------------


def test_monthly_to_annual_is_self_service(new_account, admin_user):
    account = new_account()

    account = seat_services.billing_period_change(account=account, period="annual",
                                                  actor=admin_user, as_of=AS_OF)

    assert Account.objects.get(pk=account.pk).billing_period == BillingPeriod.ANNUAL
    entry = AuditEntry.objects.get(account=account, action="account.billing_period")
    assert (entry.before, entry.after) == ({"billing_period": "monthly"},
                                           {"billing_period": "annual"})


def test_annual_to_monthly_is_for_staff_only(new_account):
    account = new_account()
    Account.objects.filter(pk=account.pk).update(billing_period=BillingPeriod.ANNUAL)

    with pytest.raises(DomainError) as refused:
        seat_services.billing_period_change(account=account, period="monthly", actor=None,
                                       as_of=AS_OF)

    assert (refused.value.status, refused.value.code) == (403, "staff_only")
    assert str(refused.value) == ("Switching from annual to monthly billing is done by our "
                                  "staff; contact support.")
    assert Account.objects.get(pk=account.pk).billing_period == BillingPeriod.ANNUAL

    seat_services.billing_period_change(account=account, period="monthly", actor=None, as_of=AS_OF,
                                   by_staff=True)
    assert Account.objects.get(pk=account.pk).billing_period == BillingPeriod.MONTHLY


@pytest.mark.parametrize(
    ("period", "message"),
    [("monthly", "The billing period is already monthly."),
     ("weekly", "Choose monthly or annual.")],
)
def test_billing_period_same_or_unknown_is_refused(new_account, period, message):
    account = new_account()

    with pytest.raises(DomainError) as refused:
        seat_services.billing_period_change(account=account, period=period, actor=None, as_of=AS_OF,
                                       by_staff=True)

    assert (refused.value.field, str(refused.value)) == ("billing_period", message)


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_package_changes_apply_once_the_other_is_too_soon(new_account):
    account = new_account()
    add_seats(account, 3, paid_through=d("2026-12-31"))
    barrier = threading.Barrier(2)
    results = {}

    def change(code):
        try:
            connection.ensure_connection()  # connect first, so the barrier releases real work
            barrier.wait(timeout=30)
            results[code] = services.package_change(account=account, package_code=code,
                                                    dry_run=False, actor=None,
                                                    as_of=d("2026-11-15"))
        except Exception as exc:  # reported to the test
            results[code] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(code,))
               for code in ("automation", "professional")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"

    applied = [r for r in results.values() if isinstance(r, services.PackageChangeResult)]
    refused = [r for r in results.values() if isinstance(r, DomainError)]
    assert len(applied) == 1 and len(refused) == 1, results
    assert refused[0].code == "too_soon"
    winner = applied[0].package.code
    account.refresh_from_db()
    assert account.package.code == winner
    assert list(PackageChange.objects.values_list("to_package__code", flat=True)) == [winner]
    assert AuditEntry.objects.filter(action="account.package_change").count() == 1
    # converted once, at the winner's price: 46 days × 59 / (119 or 179)
    after = {"automation": d("2026-12-07"), "professional": d("2026-11-30")}[winner]
    assert set(Seat.objects.values_list("valid_until", flat=True)) == {after}


def test_a_renewal_order_with_nothing_to_pay_is_refused(new_account):
    account = new_account()
    add_seats(account, on=d("2026-11-02"), paid_through=d("2026-11-30"))
    seats_set_validity(Seat.objects.filter(account=account), valid_until=d("2026-11-30"))
    with pytest.raises(DomainError, match="Nothing to pay") as exc:
        services.renewal_order_create(account=account, until=(2026, 11), actor=None,
                                      as_of=d("2026-11-15"))
    assert exc.value.field == "until"
    assert not account.orders.exists()


def test_target_month_errors_are_translated(new_account, settings):
    from django.utils import translation

    account = new_account()
    with translation.override("pl"), pytest.raises(DomainError) as exc:
        services.renewal_quote(account=account, until=(2026, 10), as_of=d("2026-11-15"))
    assert exc.value.field == "until"
    assert "2026-10" in str(exc.value)
    assert "is in the past" not in str(exc.value)
