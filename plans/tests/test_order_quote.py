"""`OrderQuote`: the one typed shape of an order's quote; it reads back exactly what it wrote, and
reads orders stored before lines listed their partial months or orders recorded their VAT."""

from datetime import date
from decimal import Decimal

import pytest

from plans import services
from plans.order_quote import OrderQuote
from seats import services as seat_services

AS_OF = date(2026, 11, 16)


@pytest.fixture
def account(catalogue):
    account = seat_services.account_create(name="Acme", package_code="base", country="PL",
                                            trial=False, actor=None, as_of=AS_OF)
    seat_services.seats_add(account=account, count=2, actor=None, as_of=AS_OF)
    return account


@pytest.mark.django_db
def test_stored_orders_read_back_exactly(account):
    renewal = services.renewal_order_create(account=account, until=(2027, 5), add_seats=1,
                                            add_ons={"chatbot": 1}, actor=None, as_of=AS_OF)
    add_ons = services.addon_order_create(account=account, add_ons={"chatbot": 2}, actor=None,
                                          as_of=AS_OF)

    for order in (renewal, add_ons):
        quote = services.order_quote(order)
        assert quote.to_json() == order.quote
        assert (quote.net, quote.vat, quote.gross) == (order.net, order.vat, order.gross)
        assert quote.net == sum(line.amount for line in quote.lines) - quote.discount
    assert services.order_quote(renewal).package == {"code": "base", "name": "Base"}
    assert [line.add_on for line in services.order_quote(add_ons).lines] == ["chatbot"]


def test_an_order_stored_before_partials_and_vat_codes_is_read():
    old = {
        "currency": "PLN", "term_months": 1, "discount_percent": "0.00",
        "lines": [{"seat": 7, "start": "2026-11-16", "end": "2026-12-31", "months": 1,
                   "days": 15, "days_in_month": 30, "unit_price": "59.00", "amount": "88.50"}],
        "net_before_discount": "88.50", "discount": "0.00", "net": "88.50", "vat_rate": "23.00",
        "vat": "20.36", "gross": "108.86", "valid_until": "2026-12-31",
        "request": {"until": "2026-12", "add_seats": 0, "add_ons": {}},
    }

    quote = OrderQuote.from_json(old)

    [line] = quote.lines
    assert (line.partials, line.days, line.days_in_month) == (((15, 30),), 15, 30)
    assert quote.treatment is None and quote.vat_note == ""
    assert quote.gross == Decimal("108.86")
    assert quote.to_json()["lines"][0]["partials"] == [[15, 30]]
