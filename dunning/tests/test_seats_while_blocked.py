"""Seats added outside a renewal while the account is blocked (issue 10 fault): a new seat is
valid until the month end (SPEC §3) and the account's phase follows its latest seat (SPEC §6), so
such a seat would make a blocked account active for free. Outside a renewal it is refused (service,
page, API and an invitation that needs a new seat); a paid renewal still adds seats. Seats created
on 2026-10-25 are valid until 2026-10-31: d = 7 on 2026-11-07, 8 on 2026-11-08."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing_site.errors import DomainError
from dunning.tests.test_paying_in_dunning import pay
from invoices.tests import billing_profile
from seats import services
from seats.access import access_decision, standing_of
from seats.models import Member, MemberRole, Seat
from seats.phases import Phase
from tests.helpers import token_client

pytestmark = pytest.mark.django_db

D = date.fromisoformat
CREATED = D("2026-10-25")


@pytest.fixture
def acme(make_account, make_member):
    account, admin = make_account("Acme", as_of=CREATED)
    user = make_member(account, "user@acme.example", as_of=CREATED)
    billing_profile(account)
    return account, admin, user


def live_seats(account):
    return Seat.objects.filter(account=account, removed_on__isnull=True).count()


@pytest.mark.parametrize("day", ["2026-11-08", "2026-11-20"])  # blocked (d = 8), suspended
def test_seats_add_while_blocked_is_refused_and_the_account_stays_blocked(acme, day):
    account, admin, user = acme
    with pytest.raises(DomainError) as exc:
        services.seats_add(account=account, count=1, actor=admin.user, as_of=D(day))
    assert exc.value.code == "account_blocked"
    assert "renewal" in exc.value.message
    assert live_seats(account) == 2
    assert standing_of(account, D(day)).blocked
    assert access_decision(user.user, as_of=D(day)).code == "blocked"


def test_seats_add_in_grace_is_allowed(acme):
    account, admin, _user = acme
    [seat] = services.seats_add(account=account, count=1, actor=admin.user, as_of=D("2026-11-07"))
    assert seat.valid_until == D("2026-11-30")


def test_seats_add_after_an_unpaid_trial_ended_is_refused(make_account):
    account, admin = make_account("Trialco", trial=True, as_of=D("2026-11-01"))
    after = account.trial_ends_on + timedelta(days=1)
    assert standing_of(account, after).phase == Phase.BLOCKED
    with pytest.raises(DomainError) as exc:
        services.seats_add(account=account, count=2, actor=admin.user, as_of=after)
    assert exc.value.code == "account_blocked"
    assert live_seats(account) == 1


def test_an_invitation_needing_a_new_seat_while_blocked_is_refused_and_leaves_nothing(acme):
    account, admin, _user = acme
    with pytest.raises(DomainError) as exc:
        services.member_invite(account=account, email="new@acme.example", role=MemberRole.USER,
                               actor=admin.user, as_of=D("2026-11-08"))
    assert exc.value.code == "account_blocked"
    assert not Member.objects.filter(user__email="new@acme.example").exists()
    assert live_seats(account) == 2


def test_a_paid_renewal_adds_seats_to_a_blocked_account(acme):
    account, admin, user = acme
    day = D("2026-11-10")
    order = pay(account, admin, day, add_seats=2)
    assert order.quote["valid_until"] == "2026-12-31"
    assert live_seats(account) == 4
    assert set(Seat.objects.filter(account=account).values_list("valid_until", flat=True)) == {
        D("2026-12-31")}
    assert access_decision(user.user, as_of=day).allowed


def _noon(day):
    """Pages and the API read today(): travel to noon of `day` in Warsaw."""
    return time_machine.travel(datetime(*D(day).timetuple()[:3], 12,
                                        tzinfo=ZoneInfo("Europe/Warsaw")), tick=False)


def test_the_users_page_says_seats_come_with_a_renewal(client, acme):
    account, admin, _user = acme
    client.force_login(admin.user)
    with _noon("2026-11-09"):
        response = client.post("/account/users/seats/add/", {"count": "3"}, follow=True)
    assert response.status_code == 200
    assert "only be added in a renewal" in response.content.decode()
    assert live_seats(account) == 2


def test_the_api_refuses_with_the_code_and_message(acme):
    account, admin, _user = acme
    api = token_client(admin.user)
    with _noon("2026-11-09"):
        response = api.post(f"/api/v1/accounts/{account.pk}/seats/", {"count": 1},
                            format="json")
    assert response.status_code == 409  # a state conflict (issue 13, item 10)
    body = response.json()
    assert "renewal" in str(body)
    assert "account_blocked" in str(body)
    assert live_seats(account) == 2


def test_the_users_page_offers_the_renewal_instead_of_the_add_form_while_blocked(client, acme):
    _account, admin, _user = acme
    client.force_login(admin.user)
    with _noon("2026-11-07"):  # grace: the form is there
        page = client.get("/account/users/").content.decode()
    assert 'data-testid="seats-only-in-renewal"' not in page
    assert 'action="/account/users/seats/add/"' in page
    with _noon("2026-11-08"):  # blocked: a note with the way to add seats
        page = client.get("/account/users/").content.decode()
    assert 'data-testid="seats-only-in-renewal"' in page
    assert 'action="/account/users/seats/add/"' not in page
    assert 'href="/account/renew/"' in page


# --- the Renew page of a blocked admin: every way shown leads to paying ------------------------


def test_a_blocked_admins_renew_page_has_no_package_change_and_sends_packs_to_the_renewal(
    client, acme
):
    _account, admin, _user = acme
    client.force_login(admin.user)
    with _noon("2026-10-30"):  # valid: package change offered, packs sold alone
        page = client.get("/account/renew/").content.decode()
    assert 'href="/account/package/"' in page
    assert 'action="/account/renew/add-ons/"' in page
    with _noon("2026-11-09"):  # blocked
        page = client.get("/account/renew/").content.decode()
    assert 'href="/account/package/"' not in page  # a page that would answer 403
    assert 'action="/account/renew/add-ons/"' not in page
    assert 'data-testid="addons-need-renewal"' in page
    assert "Outside a renewal, packs are charged from today until" not in page
    assert 'id="renew-order-form"' in page  # the way to pay is there


def test_packs_refused_for_lapsed_seats_say_why_in_the_add_on_card(client, acme):
    from plans.models import Order

    _account, admin, _user = acme
    client.force_login(admin.user)
    with _noon("2026-11-03"):  # grace: nothing is valid today
        response = client.post("/account/renew/add-ons/", {"buy-addon_chatbot": "1"})
    assert response.status_code == 200
    section = response.content.decode().split('id="buy-addons"', 1)[1].split("</section>", 1)[0]
    assert "buy add-on packs together with a renewal" in section
    assert not Order.objects.exists()


def test_the_invite_card_points_to_the_renewal_when_no_seat_is_free_while_blocked(client, acme):
    account, admin, user = acme
    client.force_login(admin.user)
    with _noon("2026-11-09"):  # blocked, both seats occupied
        page = client.get("/account/users/").content.decode()
        assert 'data-testid="invite-needs-renewal"' in page
        assert 'action="/account/users/members/invite/"' not in page
        # a form posted from a stale page: refused above the form, the typed address kept
        response = client.post("/account/users/members/invite/",
                               {"email": "new@acme.example", "role": "user"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "only be added in a renewal" in body
    assert 'value="new@acme.example"' in body
    services.member_release(account=account, member=user, state="deleted",
                            effective=D("2026-11-09"), remove_seat=False, actor=admin.user,
                            as_of=D("2026-11-09"))
    with _noon("2026-11-09"):  # a free seat: inviting onto it is allowed
        page = client.get("/account/users/").content.decode()
    assert 'action="/account/users/members/invite/"' in page
