"""The late-payment phases applied to access, banners and the status API (SPEC §6; issue 10
"Phases and access"), at fixed business dates. Seats created on 2026-10-25 are valid until
2026-10-31: d = 1 on 2026-11-01, 8 on 2026-11-08, 15 on 2026-11-15."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from seats.access import access_decision
from seats.context_processors import membership
from seats.middleware import MemberAccessMiddleware
from seats.models import MemberRole, Seat, SeatPeriodCause
from seats.phases import Phase
from seats.services import seat_periods_append, seats_add
from seats.services.contracts import account_hold_lift, account_hold_place, contract_set
from seats.tests.helpers import seats_pay_through
from tests.helpers import token_client

pytestmark = pytest.mark.django_db

D = date.fromisoformat
CREATED = D("2026-10-25")
WARSAW = ZoneInfo("Europe/Warsaw")


def on(day):
    """Travel to noon of business day `day` (pages and the API read today())."""
    return time_machine.travel(datetime.combine(D(day), datetime.min.time().replace(hour=12),
                                                tzinfo=WARSAW), tick=False)


@pytest.fixture
def acme(make_account, make_member):
    account, admin = make_account("Acme", as_of=CREATED)
    manager = make_member(account, "manager@acme.example", role=MemberRole.MANAGER,
                          as_of=CREATED)
    user = make_member(account, "user@acme.example", as_of=CREATED)
    return account, admin, manager, user


# --- the access decision at each boundary ------------------------------------------------------


@pytest.mark.parametrize(("day", "user_allowed", "admin_billing_only", "phase"), [
    ("2026-10-31", True, False, Phase.ACTIVE),      # d = 0
    ("2026-11-01", True, False, Phase.GRACE),       # d = 1
    ("2026-11-07", True, False, Phase.GRACE),       # d = 7
    ("2026-11-08", False, True, Phase.BLOCKED),     # d = 8
    ("2026-11-14", False, True, Phase.BLOCKED),     # d = 14
    ("2026-11-15", False, True, Phase.SUSPENDED),   # d = 15 (account level)
])
def test_phase_boundaries_apply_to_access(acme, day, user_allowed, admin_billing_only, phase):
    _account, admin, _manager, user = acme
    decision = access_decision(user.user, as_of=D(day))
    assert decision.allowed is user_allowed
    assert decision.standing.phase == phase
    admin_decision = access_decision(admin.user, as_of=D(day))
    assert admin_decision.allowed is True
    assert admin_decision.billing_only is admin_billing_only


def test_blocked_user_is_told_why_and_who_can_pay(acme):
    _account, admin, _manager, user = acme
    decision = access_decision(user.user, as_of=D("2026-11-08"))
    assert decision.code == "blocked"
    assert "Acme" in decision.message and "overdue" in decision.message
    assert admin.user.email in decision.message


def test_a_seat_blocked_while_the_account_is_valid_blocks_only_its_member(acme):
    account, admin, manager, user = acme
    seats_pay_through(Seat.objects.filter(member__in=[admin, manager]), D("2026-12-31"),
                      as_of=CREATED)
    assert access_decision(user.user, as_of=D("2026-11-08")).code == "blocked"
    assert access_decision(manager.user, as_of=D("2026-11-08")).allowed
    assert access_decision(admin.user, as_of=D("2026-11-08")).billing_only is False


def test_unpaid_trial_blocks_the_day_after_it_ends_and_paying_ends_the_trial(
        make_account, make_member):
    account, admin = make_account("Trial", trial=True, as_of=CREATED)
    user = make_member(account, "u@trial.example", as_of=CREATED)
    ends = account.trial_ends_on
    assert access_decision(user.user, as_of=ends).allowed
    refused = access_decision(user.user, as_of=ends + timedelta(days=1))
    assert refused.code == "blocked" and "free trial" in refused.message
    assert access_decision(admin.user, as_of=ends + timedelta(days=1)).billing_only
    # a paid order ends the trial; the seats then follow their dates
    seat_periods_append(
        account=account, cause=SeatPeriodCause.ORDER, actor=None, as_of=ends + timedelta(days=2),
        changes=[(s, D("2026-12-31"), D("2026-12-31")) for s in Seat.objects.filter(
            account=account)])
    account.refresh_from_db()
    assert account.trial is False
    assert access_decision(user.user, as_of=ends + timedelta(days=2)).allowed


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_trial_member_is_told_the_trial_ends_not_that_the_seat_is_paid(
        make_account, make_member, client, lang):
    account, _admin = make_account("Trial", trial=True, as_of=CREATED)
    user = make_member(account, "u@trial.example", as_of=CREATED)
    ends = account.trial_ends_on
    with on((ends - timedelta(days=2)).isoformat()):
        client.force_login(user.user)
        body = client.get("/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    banner = " ".join(body.split('data-banner="upcoming"', 1)[1].split("</div>", 1)[0].split())
    assert ("free trial ends on" if lang == "en" else "bezpłatny okres testowy") in banner.lower()
    assert ("paid" if lang == "en" else "opłacone") not in banner


def test_contract_account_is_never_blocked_by_expiry_but_finance_can_block_it(
        make_account, make_member, staff):
    account, admin = make_account("Big", extra_seats=9, as_of=CREATED)
    user = make_member(account, "u@big.example", as_of=CREATED)
    contract_set(account=account, starts_on=CREATED, ends_on=None, actor=staff, as_of=CREATED)
    assert access_decision(user.user, as_of=D("2026-12-20")).allowed
    account_hold_place(account=account, reason="Invoice FV/2026/11/0001 unpaid", actor=staff)
    decision = access_decision(user.user, as_of=D("2026-11-02"))
    assert decision.code == "blocked" and "finance team" in decision.message
    assert access_decision(admin.user, as_of=D("2026-11-02")).billing_only
    account_hold_lift(account=account, actor=staff)
    assert access_decision(user.user, as_of=D("2026-11-02")).allowed


# --- pages -----------------------------------------------------------------------------------


def test_blocked_user_is_refused_at_login_with_the_reason(acme, client):
    _account, admin, _manager, user = acme
    with on("2026-11-08"):
        response = client.post("/login/", {"username": user.user.email,
                                           "password": "pass-Word-123"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "overdue" in body and admin.user.email in body
    assert "_auth_user_id" not in client.session


def test_a_signed_in_user_is_signed_out_on_the_first_request_after_blocking(acme, client):
    _account, _admin, _manager, user = acme
    client.force_login(user.user)
    with on("2026-11-07"):
        assert client.get("/").status_code == 200
    with on("2026-11-08"):
        response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    with on("2026-11-08"):
        page = client.get(response["Location"]).content.decode()
    assert "overdue" in page


def test_blocked_admin_reaches_only_the_billing_pages(acme, client):
    _account, admin, _manager, _user = acme
    client.force_login(admin.user)
    with on("2026-11-08"):
        for path in ("/account/renew/", "/account/users/", "/account/invoice-data/",
                     "/account/history/", "/account/payments/"):
            assert client.get(path).status_code == 200, path
        refused = client.get("/account/package/")
    assert refused.status_code == 403
    assert "only the billing pages are open" in refused.content.decode()


def test_blocked_admin_api_answers_403_outside_billing(acme):
    account, admin, _manager, _user = acme
    api = token_client(admin.user)
    with on("2026-11-08"):
        refused = api.get(f"/api/v1/accounts/{account.pk}/entitlements/")
        quote = api.post(f"/api/v1/accounts/{account.pk}/renewal-quote/", {"until": "2026-12"},
                         format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "billing_only"
    assert "billing pages" in refused.json()["detail"]
    assert quote.status_code == 200


# --- banners ----------------------------------------------------------------------------------


def page(client, member, day):
    with on(day):  # sign in on that day: a session from today would have expired by then
        client.force_login(member.user)
        return client.get("/account/users/" if member.is_admin else "/").content.decode()


def test_admin_banner_from_seven_days_before_with_count_and_date(acme, client):
    _account, admin, _manager, _user = acme
    assert 'data-banner="upcoming"' not in page(client, admin, "2026-10-23")   # d = -8
    body = page(client, admin, "2026-10-24")                                  # d = -7
    assert 'data-banner="upcoming"' in body
    assert "3 seats need renewing soon" in body and "Renew now" in body


def test_grace_banner_cannot_be_dismissed_but_the_early_one_can(acme, client):
    _account, admin, _manager, _user = acme
    client.force_login(admin.user)
    with on("2026-10-26"):
        body = client.get("/account/users/").content.decode()
        assert "Dismiss" in body
        key = body.split('name="key" value="')[1].split('"')[0]
        client.post("/banner/dismiss/", {"key": key, "next": "/account/users/"})
        assert 'data-banner="upcoming"' not in client.get("/account/users/").content.decode()
    with on("2026-11-02"):
        body = client.get("/account/users/").content.decode()
        assert 'data-banner="grace"' in body and "Dismiss" not in body
        refused = client.post("/banner/dismiss/", {"key": "grace:2026-10-31:3"}, follow=True)
        assert "This notice cannot be hidden" in refused.content.decode()
        assert 'data-banner="grace"' in client.get("/account/users/").content.decode()
        assert client.get("/banner/dismiss/").status_code == 302  # a GET changes nothing


def test_manager_sees_a_banner_only_for_their_own_seat(acme, client):
    account, admin, manager, _user = acme
    seats_pay_through(Seat.objects.filter(member=manager), D("2026-12-31"), as_of=CREATED)
    assert 'data-banner=' not in page(client, manager, "2026-11-02")
    assert 'data-banner="grace"' in page(client, admin, "2026-11-02")
    seats_pay_through(Seat.objects.filter(account=account), D("2026-12-31"), as_of=CREATED)
    seats_pay_through(Seat.objects.filter(member=manager), D("2027-01-31"), as_of=CREATED)
    assert 'data-banner=' not in page(client, manager, "2026-12-26")
    assert 'data-banner="upcoming"' in page(client, admin, "2026-12-26")


@pytest.mark.parametrize("extra_seats", [0, 60])
def test_banner_and_access_check_cost_two_queries_whatever_the_seats(
        acme, extra_seats):
    account, admin, _manager, _user = acme
    if extra_seats:
        seats_add(account=account, count=extra_seats, actor=None, as_of=CREATED)
    request = RequestFactory().get("/account/users/")
    request.user = type(admin.user).objects.get(pk=admin.user.pk)
    request.session = {}
    seen = {}

    def view(req):
        seen.update(membership(req))
        return None

    with on("2026-11-02"), CaptureQueriesContext(connection) as queries:
        MemberAccessMiddleware(view)(request)
    assert seen["expiry_banner"].level == "grace"
    assert len(queries) == 2, [q["sql"] for q in queries]


# --- the status API ------------------------------------------------------------------------------


def test_status_api_reports_phase_days_overdue_and_seats(acme, staff, make_account):
    account, admin, _manager, user = acme
    seats_pay_through(Seat.objects.filter(member=admin), D("2026-11-30"), as_of=CREATED)
    with on("2026-11-02"):
        body = token_client(user.user).get(f"/api/v1/accounts/{account.pk}/status/").json()
    assert body["phase"] == "active" and body["days_overdue"] == 0
    assert body["valid_until"] == "2026-11-30" and body["automations_paused"] is False
    assert body["trial_ends_on"] is None
    phases = {seat["phase"] for seat in body["seats"]}
    assert phases == {"active", "grace"} and len(body["seats"]) == 3
    staff_api = token_client(staff)
    later = staff_api.get(f"/api/v1/accounts/{account.pk}/status/?as_of=2026-12-15").json()
    assert (later["phase"], later["days_overdue"], later["automations_paused"]) == (
        "suspended", 15, True)
    # others may not pick the date, nor see another tenant's account
    refused = token_client(user.user).get(f"/api/v1/accounts/{account.pk}/status/?as_of=2026-12-15")
    assert refused.status_code == 400
    other, other_admin = make_account("Other", as_of=CREATED)
    assert token_client(other_admin.user).get(
        f"/api/v1/accounts/{account.pk}/status/").status_code == 404
    bad = staff_api.get(f"/api/v1/accounts/{account.pk}/status/?as_of=tomorrow")
    assert bad.status_code == 400


@pytest.mark.parametrize("as_of", ["junk", "2026-12-15", ""])
def test_status_api_tells_a_member_as_of_is_for_staff_whatever_its_value(acme, as_of):
    account, _admin, _manager, user = acme
    response = token_client(user.user).get(
        f"/api/v1/accounts/{account.pk}/status/?as_of={as_of}")
    assert response.status_code == 400
    assert response.json()["code"] == "staff_only"


@pytest.mark.parametrize(("as_of", "status"), [
    ("9999-12-31", 400), ("0001-01-01", 400), ("2031-11-03", 400), ("2031-11-02", 200),
    ("2021-11-02", 200), ("2021-11-01", 400)])
def test_status_api_staff_dates_stay_within_five_years(acme, staff, as_of, status):
    account = acme[0]
    with on("2026-11-02"):
        response = token_client(staff).get(f"/api/v1/accounts/{account.pk}/status/?as_of={as_of}")
    assert response.status_code == status
    if status == 400:
        assert response.json()["code"] == "as_of_range"


def test_api_validation_errors_are_in_one_language(acme):
    account, admin, _manager, _user = acme
    api = token_client(admin.user)
    response = api.post(f"/api/v1/accounts/{account.pk}/seats/", {"count": "abc"},
                        format="json", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Nieprawidłowe dane."
    assert "liczb" in body["count"][0]  # the field's own error in Polish too


@pytest.mark.parametrize("extra_seats", [0, 40])
def test_status_api_costs_constant_queries(acme, extra_seats, django_assert_max_num_queries):
    account, admin, _manager, _user = acme
    if extra_seats:
        seats_add(account=account, count=extra_seats, actor=None, as_of=CREATED)
    api = token_client(admin.user)
    api.get(f"/api/v1/accounts/{account.pk}/status/")  # warm the token
    with django_assert_max_num_queries(4):  # token+user, account, seats (+ policy, hold, contract)
        response = api.get(f"/api/v1/accounts/{account.pk}/status/")
    assert len(response.json()["seats"]) == 3 + extra_seats


@pytest.mark.parametrize(("seats", "lang", "expected"), [
    (1, "en", "Payment required: access is blocked for everyone but administrators. 1 seat was "
              "valid until Oct. 31, 2026."),
    (5, "en", "5 seats need renewing, the first was valid until Oct. 31, 2026."),
    (1, "pl", "1 stanowisko było ważne do 31 października 2026."),
    (3, "pl", "3 stanowiska wymagają przedłużenia, pierwsze było ważne do 31 października 2026."),
    (5, "pl", "5 stanowisk wymaga przedłużenia, pierwsze było ważne do 31 października 2026."),
])
def test_blocked_banner_counts_seats_with_the_languages_plural_forms(
        make_account, client, seats, lang, expected):
    """The seats' last valid day is "valid until" it (not "expired on" it); the count takes the
    language's plural form (Polish has three)."""
    account, admin = make_account("Plural", as_of=CREATED, extra_seats=seats - 1)
    with on("2026-11-09"):  # d = 9: blocked
        client.force_login(admin.user)
        body = client.get("/account/users/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    banner = body.split('data-banner="blocked"', 1)[1].split("</div>", 1)[0]
    assert expected in " ".join(banner.split())
    assert "(s)" not in banner


@pytest.mark.parametrize(("extra", "label"), [(0, "1 stanowisko łącznie"),
                                              (4, "5 stanowisk łącznie"),
                                              (2, "3 stanowiska łącznie")])
def test_the_users_page_seat_total_takes_the_polish_plural(make_account, client, extra, label):
    """QA (issue 12): "5 stanowiska łącznie" / "1 stanowiska łącznie" from a fixed label."""
    _account, admin = make_account("Plural", as_of=CREATED, extra_seats=extra)
    with on("2026-10-26"):
        client.force_login(admin.user)
        page = client.get("/account/users/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    stats = " ".join(page.split('aria-label="Podsumowanie stanowisk"', 1)[-1]
                     .split("</section>", 1)[0].split())
    words = " ".join(part.split(">")[-1] for part in stats.split("<") if part.split(">")[-1])
    assert label in " ".join(words.split())


def test_dismissing_a_banner_shown_on_a_post_answer_goes_back_to_a_page_not_the_post_url(
        acme, client):
    """QA (issue 12): a refused POST re-renders a page with the dismissible banner; its form
    pointed back at the POST-only address, which answered a blank 405."""
    _account, admin, _manager, _user = acme
    with on("2026-10-26"):  # the upcoming banner is up
        client.force_login(admin.user)
        page = client.post("/account/users/seats/add/", {"count": "0"}).content.decode()
        assert 'name="next" value="/account/users/seats/add/"' not in page
        key = page.split('name="key" value="')[1].split('"')[0]
        next_url = page.split('class="banner-dismiss"', 1)[1].split('name="next" value="')[1]
        next_url = next_url.split('"')[0]
        response = client.post("/banner/dismiss/", {"key": key, "next": next_url})
        assert response.status_code == 302
        assert client.get(response.url, follow=True).status_code == 200
