"""A renewal quote costs a constant number of queries, whatever the number of seats (issue 3),
and so do the Renew page and the renewal-quote API, within the budgets of issue 16 ("Speed":
Renew ≤ 8, the renewal-quote API ≤ 8, the same at 10 and 1 000 seats).

The counts are exact, not "at most", so that a query added (or a budget that could be lowered)
shows here. They are whole requests: the session, the user and the access check included.

The 1 000 seats are bulk-inserted rows (adding them through `seats_add` would write 1 000 audit
rows and only slow the test down); they mix paid, never-paid and expired seats so that every
billing-start rule is exercised, and the account has bought add-on packs.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalogue.models import AddOn
from plans import services
from plans.models import AccountAddOn
from seats.models import Seat

AS_OF = date(2026, 11, 16)

# `services.quote_basis`: the account with its package, invoice data, seat price and the
# policy's paid-grace limit (1), the seats (1), the add-on states with their prices and bought
# packs (1), the discount ladder (1)
QUOTE_QUERIES = 4
# token with its user, the user's member, account and package (1, `seats.auth.
# MemberTokenAuthentication`), the access decision's seat dates (1); the scoped account and the
# admin role come from that member; then the quote
API_QUERIES = 2 + QUOTE_QUERIES
# session (1), user with its member, account and package (1, `seats.auth`), the access decision's
# seat dates (1), the quote basis read once for the default target and the quote shown (4), the
# recurring payments card's saved card (1)
RENEW_PAGE_QUERIES = 3 + QUOTE_QUERIES + 1
WARSAW_NOON = datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))


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
    with time_machine.travel(WARSAW_NOON, tick=False):
        small_queries, small_response = count_queries(small_post)
        large_queries, large_response = count_queries(large_post)

    assert (small_response.status_code, large_response.status_code) == (200, 200)
    assert len(large_response.json()["lines"]) == 1000 + 3 + 2
    assert small_queries == large_queries == API_QUERIES <= 8


def test_the_renewal_quote_endpoint_with_a_session_costs_the_same_queries(make_account):
    """The API called from the site (session and CSRF, as renew.js would): the session replaces
    the token, and the member the page middleware loaded is the one the API's checks use."""
    account, admin = account_with_seats(make_account, "Large", 1000)
    client = APIClient()
    client.force_login(admin.user)
    with time_machine.travel(WARSAW_NOON, tick=False):
        queries, response = count_queries(lambda: client.post(
            f"/api/v1/accounts/{account.pk}/renewal-quote/",
            {"until": "2027-10", "add_seats": 3, "add_ons": {"chatbot": 1}}, format="json"))
    assert response.status_code == 200
    # session (1), user with its member (1), the seat dates (1), the quote
    assert queries == 3 + QUOTE_QUERIES


def test_another_accounts_id_is_still_not_found_with_the_member_read_once(make_account):
    """The scoping that now uses the requester's member: another tenant's id is a 404, whether
    the requester is an admin there or not."""
    account, _admin = account_with_seats(make_account, "Small", 10)
    _other, other_admin = account_with_seats(make_account, "Other", 10)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=other_admin.user)[0].key}")
    with time_machine.travel(WARSAW_NOON, tick=False):
        response = client.post(f"/api/v1/accounts/{account.pk}/renewal-quote/",
                               {"until": "2027-10", "add_seats": 0, "add_ons": {}},
                               format="json")
    assert response.status_code == 404


def test_the_renew_page_costs_the_same_queries_for_10_and_1000_seats(make_account):
    """The whole GET of Payments → Renew, as an admin signed in: the default target month (up
    to two trial quotes), the quote shown, the prices, the ladder and the recurring payments
    card all read from one `quote_basis`. A month asked for ("Recalculate") costs the same."""
    small, small_admin = account_with_seats(make_account, "Small", 10)
    large, large_admin = account_with_seats(make_account, "Large", 1000)
    small_client, large_client = Client(), Client()
    small_client.force_login(small_admin.user)
    large_client.force_login(large_admin.user)
    url = reverse("payments_renew")
    with time_machine.travel(WARSAW_NOON, tick=False):
        small_queries, small_response = count_queries(lambda: small_client.get(url))
        large_queries, large_response = count_queries(lambda: large_client.get(url))
        asked_queries, asked_response = count_queries(
            lambda: large_client.get(url, {"until": "2027-10", "add_seats": "3",
                                           "addon_chatbot": "1"}))
    assert {small_response.status_code, large_response.status_code,
            asked_response.status_code} == {200}
    assert b'data-testid="current-package"' in large_response.content
    assert small_queries == large_queries == asked_queries == RENEW_PAGE_QUERIES <= 8
