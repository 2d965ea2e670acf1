"""The Users page costs a constant number of queries, whatever the number of seats (issue 16,
"Speed": Users ≤ 6, the same at 10 and 1 000 seats).

The count is exact, so that a query added (or a budget that could be lowered) shows here, and
it is the whole request as the admin's browser makes it: the session (1) and the user, read
with its member, account and package (1, `seats.auth.EmailLoginBackend.get_user`), are in it.

The accounts have what makes the page do the most: free seats on the first page with a member
who could take one (so each free seat renders its "assign" form), an open invitation, and
1 000 seats bulk-inserted (adding them through `seats_add` would write 1 000 audit rows).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from seats import services
from seats.models import Member, MemberRole, MemberState, Seat

AS_OF = date(2026, 11, 16)
WARSAW_NOON = datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
# session (1), user with its member and account (1), the access decision's seat dates (1), the
# members with the seat counts and the contract's end (1), the page of seats (1), the open
# invitations (1)
USERS_PAGE_QUERIES = 6


def account_with_seats(make_account, name, seats):
    """An account with `seats` seats in all, most of them free; an active member without a seat
    (offered under each free seat) and an open invitation."""
    account, admin = make_account(name, as_of=date(2026, 10, 1))
    kinds = [(date(2026, 11, 30), date(2026, 11, 30)), (date(2026, 11, 30), None),
             (date(2026, 11, 6), date(2026, 11, 6))]
    Seat.objects.bulk_create(
        Seat(account=account, valid_until=v, paid_through=p, created_on=date(2026, 10, 1))
        for v, p in (kinds[i % 3] for i in range(seats - 2))
    )
    services.member_invite(account=account, email=f"invited@{name.lower()}.example",
                           role=MemberRole.USER, actor=None, as_of=AS_OF)
    # a member who lost their seat: active, seatless, so eligible for a free one
    user = get_user_model().objects.create_user(f"seatless@{name.lower()}.example",
                                                f"seatless@{name.lower()}.example")
    Member.objects.create(account=account, user=user, role=MemberRole.USER,
                          state=MemberState.ACTIVE)
    return account, admin


def count_queries(call):
    with CaptureQueriesContext(connection) as context:
        result = call()
    return len(context.captured_queries), result


@pytest.mark.parametrize("seat_filter", ["", "free", "occupied", "expiring"])
def test_the_users_page_costs_the_same_queries_for_10_and_1000_seats(make_account, seat_filter):
    small, small_admin = account_with_seats(make_account, "Small", 10)
    large, large_admin = account_with_seats(make_account, "Large", 1000)
    results = []
    with time_machine.travel(WARSAW_NOON, tick=False):
        for admin in (small_admin, large_admin):
            client = Client()
            client.force_login(admin.user)
            results.append(count_queries(
                lambda client=client: client.get(reverse("account_users"),
                                                 {"seats": seat_filter} if seat_filter else {})))
    (small_queries, small_page), (large_queries, large_page) = results
    assert (small_page.status_code, large_page.status_code) == (200, 200)
    # the free seats on the page offer the seatless member (one form each, no query each)
    if seat_filter in ("", "free"):
        assert large_page.content.count(b"seatless@large.example") >= 40
    assert large_page.context["counts"]["total"] == Seat.objects.filter(
        account=large, removed_on__isnull=True).count()
    assert large_page.context["seats_page"].paginator.count == len(
        list(large_page.context["seats_page"].paginator.object_list))
    assert small_queries == large_queries == USERS_PAGE_QUERIES <= 6
