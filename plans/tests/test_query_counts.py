"""A renewal quote costs a constant number of queries, whatever the number of seats (issue 3).

The 1 000 seats are bulk-inserted rows (adding them through `seats_add` would write 1 000 audit
rows and only slow the test down); they mix paid, never-paid and expired seats so that every
billing-start rule is exercised, and the account has bought add-on packs.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalogue.models import AddOn
from plans import services
from plans.models import AccountAddOn
from seats.models import Seat

AS_OF = date(2026, 11, 16)

# account (1), add-on limits (1), add-on prices (1), bought packs (1), seats (1), seat price (1),
# discount ladder (1), billing policy: the paid-grace limit (1)
QUOTE_QUERIES = 8
# token (1), the access decision: member (1) and seat (1), the scoped account (1), the admin role
# (1), then the quote
API_QUERIES = 5 + QUOTE_QUERIES


def account_with_seats(make_account, name, seats):
    """An account with `seats` seats in all (the admin's included) and 2 chatbot packs."""
    account, admin = make_account(name, as_of=date(2026, 10, 1))
    kinds = [  # (valid_until, paid_through, created_on), in turn
        (date(2026, 11, 30), date(2026, 11, 30), date(2026, 10, 1)),
        (date(2026, 11, 30), None, date(2026, 11, 3)),
        (date(2026, 11, 6), date(2026, 11, 6), date(2026, 10, 1)),
    ]
    Seat.objects.bulk_create(
        Seat(account=account, valid_until=v, paid_through=p, created_on=c)
        for v, p, c in (kinds[i % 3] for i in range(seats - 1))
    )
    AccountAddOn.objects.create(account=account, addon=AddOn.objects.get(code="chatbot"),
                                packs=2)
    return account, admin


def count_queries(call):
    with CaptureQueriesContext(connection) as context:
        result = call()
    return len(context.captured_queries), result


def test_a_quote_costs_the_same_small_number_of_queries_for_10_and_1000_seats(make_account):
    small, _admin = account_with_seats(make_account, "Small", 10)
    large, _admin = account_with_seats(make_account, "Large", 1000)

    def quote(account):
        return lambda: services.renewal_quote(account=account, until=(2027, 10), add_seats=3,
                                              add_ons={"chatbot": 1}, as_of=AS_OF)

    small_queries, small_quote = count_queries(quote(small))
    large_queries, large_quote = count_queries(quote(large))

    assert (len(small_quote.lines), len(large_quote.lines)) == (10 + 3, 1000 + 3)
    assert len(large_quote.add_on_lines) == 2  # renewed packs and the extra one
    assert small_queries == large_queries == QUOTE_QUERIES


def test_the_renewal_quote_endpoint_costs_the_same_queries_for_10_and_1000_seats(make_account):
    small, small_admin = account_with_seats(make_account, "Small", 10)
    large, large_admin = account_with_seats(make_account, "Large", 1000)

    def post(account, admin):
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=admin.user)[0].key}"
        )
        return lambda: client.post(f"/api/v1/accounts/{account.pk}/renewal-quote/",
                                   {"until": "2027-10", "add_seats": 3,
                                    "add_ons": {"chatbot": 1}}, format="json")

    small_post, large_post = post(small, small_admin), post(large, large_admin)
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        small_queries, small_response = count_queries(small_post)
        large_queries, large_response = count_queries(large_post)

    assert (small_response.status_code, large_response.status_code) == (200, 200)
    assert len(large_response.json()["lines"]) == 1000 + 3 + 2
    assert small_queries == large_queries == API_QUERIES
