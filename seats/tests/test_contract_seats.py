"""Contract accounts' confirmed seat counts (SPEC §3; issue 11): the ledger and its service, the
selector invoicing reads, the Users page card and the API, at fixed dates.

"Big" has 10 seats (its admin's and 9 free) since 2026-10-25 and a contract from that day; the
business date in the pages and the API is frozen at 2026-11-16.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from seats import services
from seats.models import AuditEntry, ConfirmedSeatCount, MemberRole
from seats.selectors import confirmed_seat_count, confirmed_seat_counts
from seats.services.contracts import contract_seats_confirm, contract_set

D = date.fromisoformat
CREATED = D("2026-10-25")
TODAY = D("2026-11-16")
USERS = "/account/users/"
CONFIRM = "/account/users/contract/confirm-seats/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today():
    moment = datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def big(make_account):
    account, admin = make_account("Big", extra_seats=9, as_of=CREATED)
    contract_set(account=account, starts_on=CREATED, ends_on=None, actor=None, as_of=CREATED)
    return account, admin


def api_url(account):
    return f"/api/v1/accounts/{account.pk}/contract/confirm-seats/"


# --- service and selector ----------------------------------------------------------------------


def test_contract_set_records_the_first_confirmed_count_once(big):
    account, _admin = big
    [row] = ConfirmedSeatCount.objects.filter(account=account)
    assert (row.count, row.confirmed_on, row.confirmed_by) == (10, CREATED, None)
    entry = AuditEntry.objects.get(action="contract.set")
    assert entry.after["confirmed_seats"] == 10
    # changing the term later does not confirm anything
    contract_set(account=account, starts_on=CREATED, ends_on=D("2027-12-31"), actor=None,
                 as_of=TODAY)
    assert ConfirmedSeatCount.objects.filter(account=account).count() == 1


def test_confirm_records_the_live_count_with_an_audit_row(big):
    account, admin = big
    services.seats_add(account=account, count=3, actor=None, as_of=TODAY)
    result = contract_seats_confirm(account=account, actor=admin.user, as_of=TODAY)
    assert (result.row.count, result.previous, result.changed) == (13, 10, True)
    assert (result.row.confirmed_on, result.row.confirmed_by) == (TODAY, admin.user)
    entry = AuditEntry.objects.get(action="contract.seats_confirm")
    assert (entry.before, entry.after) == ({"count": 10},
                                           {"count": 13, "confirmed_on": "2026-11-16"})
    assert entry.actor == admin.user


def test_confirming_an_unchanged_count_is_recorded_and_says_so(big):
    account, admin = big
    result = contract_seats_confirm(account=account, actor=admin.user, as_of=TODAY)
    assert (result.row.count, result.previous, result.changed) == (10, 10, False)
    assert ConfirmedSeatCount.objects.filter(account=account).count() == 2


def test_refusals(big, make_account):
    plain, plain_admin = make_account("Plain", extra_seats=9, as_of=CREATED)
    with pytest.raises(Exception, match="Only contract accounts confirm") as refused:
        contract_seats_confirm(account=plain, actor=plain_admin.user, as_of=TODAY)
    assert refused.value.code == "not_contract_account"

    account, admin = big
    seat = account.seats.filter(member__isnull=True).first()
    services.seat_remove(account=account, seat=seat, actor=None, as_of=TODAY)
    with pytest.raises(Exception, match="at least 10 seats; this one has 9") as refused:
        contract_seats_confirm(account=account, actor=admin.user, as_of=TODAY)
    assert refused.value.code == "contract_too_few_seats"

    ended, ended_admin = make_account("Ended", extra_seats=9, as_of=D("2026-01-01"))
    contract_set(account=ended, starts_on=D("2026-01-01"), ends_on=D("2026-10-31"), actor=None,
                 as_of=D("2026-01-01"))
    with pytest.raises(Exception, match="The contract ended on Oct. 31, 2026") as refused:
        contract_seats_confirm(account=ended, actor=ended_admin.user, as_of=TODAY)
    assert refused.value.code == "contract_ended"
    assert not AuditEntry.objects.filter(action="contract.seats_confirm").exists()


def test_selector_takes_the_last_count_confirmed_on_or_before_the_day(big, make_account):
    account, admin = big
    services.seats_add(account=account, count=2, actor=None, as_of=D("2026-11-10"))
    contract_seats_confirm(account=account, actor=admin.user, as_of=D("2026-11-10"))
    services.seats_add(account=account, count=3, actor=None, as_of=D("2026-11-20"))
    contract_seats_confirm(account=account, actor=admin.user, as_of=D("2026-11-20"))
    assert confirmed_seat_count(account, D("2026-11-01")) == 10
    assert confirmed_seat_count(account, D("2026-11-10")) == 12
    assert confirmed_seat_count(account, D("2026-12-01")) == 15
    # before the first confirmation: the count at contract time
    assert confirmed_seat_count(account, D("2026-10-01")) == 10
    plain, _ = make_account("Plain", as_of=CREATED)
    assert confirmed_seat_count(plain, TODAY) is None
    assert confirmed_seat_counts([account.pk, plain.pk], D("2026-12-01")) == {account.pk: 15}


def test_selector_costs_one_query_whatever_the_accounts(big, make_account,
                                                          django_assert_num_queries):
    ids = [big[0].pk]
    for i in range(5):
        account, _ = make_account(f"More {i}", extra_seats=9, as_of=CREATED)
        contract_set(account=account, starts_on=CREATED, ends_on=None, actor=None,
                     as_of=TODAY)  # confirmed after the day asked: the earliest count
        ids.append(account.pk)
    with django_assert_num_queries(1):
        counts = confirmed_seat_counts(ids, D("2026-11-01"))
    assert set(counts.values()) == {10}


# --- the Users page ----------------------------------------------------------------------------


def test_page_shows_live_and_confirmed_counts_and_the_button_sends_the_new_count(big, client):
    account, admin = big
    services.seats_add(account=account, count=2, actor=None, as_of=TODAY)
    client.force_login(admin.user)
    page = client.get(USERS).content.decode()
    assert 'data-testid="contract-seats-live">12<' in page
    assert 'data-testid="contract-seats-confirmed">10<' in page
    assert "confirmed for billing on Oct. 25, 2026" in page
    assert 'data-testid="contract-seats-differs"' in page
    assert f'action="{CONFIRM}"' in page
    assert "Send the new seat count for recurring billing" in page

    response = client.post(CONFIRM, follow=True)
    assert response.redirect_chain[-1][0] == f"{USERS}#contract-seats"
    page = response.content.decode()
    assert "recurring billing uses 12 seats" in page
    assert 'data-testid="contract-seats-confirmed">12<' in page
    assert 'data-testid="contract-seats-same"' in page
    assert confirmed_seat_count(account, D("2026-12-01")) == 12

    again = client.post(CONFIRM, follow=True).content.decode()
    assert "Confirmed again: recurring billing already used 12 seats" in again


@pytest.mark.parametrize(("extra", "label"), [(2, "stanowisk teraz"), (-8, "stanowiska teraz")])
def test_the_live_count_takes_the_polish_plural(big, client, extra, label):
    """QA: "12 stanowiska teraz" (12 takes "stanowisk")."""
    account, admin = big
    if extra > 0:
        services.seats_add(account=account, count=extra, actor=None, as_of=TODAY)
    else:
        for seat in account.seats.filter(member__isnull=True)[:-extra]:
            services.seat_remove(account=account, seat=seat, actor=None, as_of=TODAY)
    client.force_login(admin.user)
    page = client.get(USERS, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    card = page.split('data-testid="contract-seats"', 1)[1].split("</section>", 1)[0]
    assert label in " ".join(card.split())


def test_page_shows_no_card_to_an_account_without_contract(make_account, client):
    _account, admin = make_account("Plain", extra_seats=9, as_of=CREATED)
    client.force_login(admin.user)
    page = client.get(USERS).content.decode()
    assert 'data-testid="contract-seats"' not in page
    refused = client.post(CONFIRM, follow=True).content.decode()
    assert "Only contract accounts confirm their seat count" in refused  # a message, not a 500


def test_page_refusal_is_a_message(big, client):
    account, admin = big
    seat = account.seats.filter(member__isnull=True).first()
    services.seat_remove(account=account, seat=seat, actor=None, as_of=TODAY)
    client.force_login(admin.user)
    response = client.post(CONFIRM, follow=True)
    assert response.status_code == 200
    assert "at least 10 seats; this one has 9" in response.content.decode()
    assert ConfirmedSeatCount.objects.filter(account=account).count() == 1


def test_page_confirm_is_post_only_admin_only_and_csrf_protected(big, make_member, client):
    account, admin = big
    manager = make_member(account, "manager@big.example", MemberRole.MANAGER, as_of=CREATED)
    client.force_login(admin.user)
    response = client.get(CONFIRM)  # the form is on the Users page: a GET goes there
    assert (response.status_code, response["Location"]) == (
        302, reverse("account_users") + "#contract-seats")
    client.force_login(manager.user)
    assert client.post(CONFIRM).status_code == 403
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.force_login(admin.user)
    assert csrf_client.post(CONFIRM).status_code == 403
    assert ConfirmedSeatCount.objects.filter(account=account).count() == 1


# --- the API -----------------------------------------------------------------------------------


def test_api_admin_confirms(big):
    account, admin = big
    services.seats_add(account=account, count=1, actor=None, as_of=TODAY)
    api = APIClient()
    api.force_authenticate(admin.user)
    response = api.post(api_url(account))
    assert response.status_code == 201
    assert response.json() == {"count": 11, "confirmed_on": "2026-11-16", "previous": 10,
                               "changed": True}


def test_api_manager_403_other_tenant_404_refusal_400(big, make_account, make_member):
    account, _admin = big
    manager = make_member(account, "manager@big.example", MemberRole.MANAGER, as_of=CREATED)
    other, other_admin = make_account("Other", extra_seats=9, as_of=CREATED)
    api = APIClient()
    api.force_authenticate(manager.user)
    assert api.post(api_url(account)).status_code == 403
    api.force_authenticate(other_admin.user)
    assert api.post(api_url(account)).status_code == 404
    refused = api.post(api_url(other))  # its own account, not a contract account
    assert refused.status_code == 409  # a state conflict (issue 13, item 10)
    assert refused.json()["code"] == "not_contract_account"
    assert "Only contract accounts" in refused.json()["detail"]
    assert APIClient().post(api_url(account)).status_code in (401, 403)
    assert ConfirmedSeatCount.objects.filter(account=account).count() == 1


def test_api_is_in_the_openapi_schema():
    schema = APIClient().get("/api/schema/",
                             HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/accounts/{account_id}/contract/confirm-seats/"]["post"]
    assert operation["operationId"] == "contract_seats_confirm"
    # 429: every API call is throttled (issue 13)
    # 409: a state conflict, e.g. not a contract account (issue 13, item 10)
    assert set(operation["responses"]) == {"201", "400", "401", "403", "404", "409", "429"}
    output = schema["components"]["schemas"]["ConfirmedSeatCount"]
    assert set(output["properties"]) == {"count", "confirmed_on", "previous", "changed"}


# --- the Django admin --------------------------------------------------------------------------


def test_staff_mark_a_contract_account_in_the_admin_with_its_first_confirmed_count(
        make_account, admin_client, admin_user):
    """The contract admin (dunning.admin_contracts) saves through `contract_set`: audit row,
    refusals on the form, and the first confirmed count, by the staff member."""
    account, _admin = make_account("Big", extra_seats=11, as_of=CREATED)
    small, _ = make_account("Small", extra_seats=3, as_of=CREATED)
    add = "/admin/seats/contract/add/"
    refused = admin_client.post(add, {"account": small.pk, "starts_on": "2026-12-01",
                                      "ends_on": ""})
    assert refused.status_code == 200
    assert "at least 10 seats; this one has 4" in refused.content.decode()
    assert not ConfirmedSeatCount.objects.exists()
    saved = admin_client.post(add, {"account": account.pk, "starts_on": "2026-12-01",
                                    "ends_on": ""})
    assert saved.status_code == 302
    [row] = ConfirmedSeatCount.objects.all()
    assert (row.account, row.count, row.confirmed_on, row.confirmed_by) == (
        account, 12, TODAY, admin_user)
    assert AuditEntry.objects.get(action="contract.set").after == {
        "starts_on": "2026-12-01", "ends_on": None, "confirmed_seats": 12}
    listing = admin_client.get("/admin/seats/confirmedseatcount/")
    assert listing.status_code == 200 and "Big" in listing.content.decode()
    assert admin_client.get("/admin/seats/confirmedseatcount/add/").status_code == 403


def test_migration_gives_existing_contracts_their_first_confirmed_count(big):
    """Contracts made before the ledger existed get their live count, dated from their start."""
    from importlib import import_module

    from django.apps import apps

    account, _admin = big
    services.seats_add(account=account, count=2, actor=None, as_of=TODAY)
    ConfirmedSeatCount.objects.all().delete()  # as before the migration
    import_module("seats.migrations.0008_confirmed_seat_count").backfill(apps, None)
    [row] = ConfirmedSeatCount.objects.all()
    assert (row.account, row.count, row.confirmed_on, row.confirmed_by) == (
        account, 12, CREATED, None)
