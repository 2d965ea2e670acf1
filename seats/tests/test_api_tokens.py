"""API tokens (issue 13, item 11): a login lists, makes and revokes its own token on
/account/api-tokens/ (the key shown once, then its first characters only; revoking asks first);
ops list and revoke tokens in the admin; a staff token expires STAFF_TOKEN_TTL_HOURS after it
was made, with a clear 401."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from seats.models import AuditEntry, MemberRole

PAGE = "/account/api-tokens/"
CREATE = "/account/api-tokens/new/"
REVOKE = "/account/api-tokens/revoke/"
API = "/api/v1/accounts/"
NOON = datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))


@pytest.fixture(autouse=True)
def at_noon():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def member(make_account, make_member):
    account, _admin = make_account("Acme")
    return make_member(account, "user@acme.example", MemberRole.USER)


def logged_in(client, user):
    client.force_login(user)
    return client


def test_page_without_a_token_offers_to_make_one(client, member):
    response = logged_in(client, member.user).get(PAGE)

    assert response.status_code == 200
    assert b'data-testid="no-token"' in response.content
    assert b'data-testid="token-create"' in response.content


def test_making_a_token_shows_the_key_once_then_only_its_prefix(client, member):
    client = logged_in(client, member.user)

    made = client.post(CREATE)

    # post → redirect → get (issues 12/13): the key is on the next view of the page, only there
    token = Token.objects.get(user=member.user)
    assert (made.status_code, made["Location"]) == (302, PAGE)
    assert token.key not in made.content.decode()
    shown = client.get(PAGE)
    assert token.key in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    later = client.get(PAGE).content.decode()
    assert token.key not in later
    assert f"{token.key[:8]}…" in later
    entry = AuditEntry.objects.get(action="api_token.create")
    assert entry.actor == member.user and entry.after == {"key_prefix": token.key[:8]}
    assert APIClient().get(API, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200


def test_a_new_token_replaces_the_old_one(client, member):
    client = logged_in(client, member.user)
    client.post(CREATE)
    old = Token.objects.get(user=member.user).key

    asked = client.post(CREATE)  # asks first (issues 12/13): the old token stops working

    assert asked.status_code == 200 and b'data-testid="confirm"' in asked.content
    assert "stops working at once" in asked.content.decode() and old[:8] in asked.content.decode()
    assert Token.objects.get(user=member.user).key == old
    assert APIClient().get(API, HTTP_AUTHORIZATION=f"Token {old}").status_code == 200

    assert client.post(CREATE, {"confirm": "1"}).status_code == 302

    new = Token.objects.get(user=member.user).key
    assert new != old
    assert APIClient().get(API, HTTP_AUTHORIZATION=f"Token {old}").status_code == 401
    assert new in client.get(PAGE).content.decode()
    assert new not in client.get(PAGE).content.decode()  # shown once


def test_revoking_asks_first_then_deletes_the_token(client, member):
    client = logged_in(client, member.user)
    client.post(CREATE)
    key = Token.objects.get(user=member.user).key

    asked = client.post(REVOKE)

    assert asked.status_code == 200
    assert b'data-testid="confirm"' in asked.content
    assert key[:8] in asked.content.decode() and key not in asked.content.decode()
    assert Token.objects.filter(user=member.user).exists()

    done = client.post(REVOKE, {"confirm": "1"}, follow=True)

    assert not Token.objects.filter(user=member.user).exists()
    assert "The API token was revoked." in done.content.decode()
    entry = AuditEntry.objects.get(action="api_token.revoke")
    assert entry.before == {"key_prefix": key[:8]} and entry.actor == member.user
    response = APIClient().get(API, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401


def test_revoking_without_a_token_says_so(client, member):
    response = logged_in(client, member.user).post(REVOKE, {"confirm": "1"}, follow=True)

    assert "You have no API token to revoke." in response.content.decode()
    assert not AuditEntry.objects.filter(action="api_token.revoke").exists()


def test_making_and_revoking_take_only_post(client, member):
    client = logged_in(client, member.user)

    for address in (CREATE, REVOKE):
        response = client.get(address)
        assert response.status_code == 302 and response["Location"] == PAGE
    assert client.put(CREATE).status_code == 405
    assert not Token.objects.exists()


def test_the_page_needs_a_login(client, db):
    response = client.get(PAGE)

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_each_login_sees_only_its_own_token(client, member, make_member):
    other = make_member(member.account, "other@acme.example", MemberRole.USER)
    other_token = Token.objects.create(user=other.user)

    page = logged_in(client, member.user).get(PAGE).content.decode()

    assert other_token.key[:8] not in page
    client.post(REVOKE, {"confirm": "1"})
    assert Token.objects.filter(pk=other_token.pk).exists()


# --- staff tokens expire ------------------------------------------------------------------------


def test_a_staff_token_works_until_its_lifetime_ends_then_is_refused(staff, at_noon, settings):
    settings.STAFF_TOKEN_TTL_HOURS = 8
    token = Token.objects.create(user=staff)
    api = APIClient()

    at_noon.move_to(NOON + timedelta(hours=7, minutes=59))
    assert api.get(API, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200

    at_noon.move_to(NOON + timedelta(hours=8))
    refused = api.get(API, HTTP_AUTHORIZATION=f"Token {token.key}")

    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["detail"] == (
        "This API token of a staff login expired 8 hours after it was made. Make a new one on "
        "the API tokens page.")


def test_a_staff_login_replaces_its_expired_token_on_the_page(client, staff, at_noon):
    Token.objects.create(user=staff)
    at_noon.move_to(NOON + timedelta(days=1))
    client = logged_in(client, staff)

    assert b'data-testid="token-expired"' in client.get(PAGE).content
    client.post(CREATE)

    key = Token.objects.get(user=staff).key
    assert APIClient().get(API, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_a_members_token_does_not_expire(member, at_noon):
    token = Token.objects.create(user=member.user)

    at_noon.move_to(NOON + timedelta(days=10))

    assert APIClient().get(API, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200


# --- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def ops(staff):
    staff.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="authtoken", codename__in=["view_tokenproxy",
                                                            "delete_tokenproxy"]))
    return staff


def test_ops_list_tokens_in_the_admin_without_their_keys(client, ops, member):
    token = Token.objects.create(user=member.user)

    page = logged_in(client, ops).get("/admin/authtoken/tokenproxy/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "user@acme.example" in html and f"{token.key[:8]}…" in html
    assert token.key not in html
    assert client.get("/admin/authtoken/tokenproxy/add/").status_code == 403


def test_ops_revoke_a_token_in_the_admin(client, ops, member):
    token = Token.objects.create(user=member.user)
    client = logged_in(client, ops)
    url = f"/admin/authtoken/tokenproxy/{member.user.pk}/delete/"

    assert client.get(url).status_code == 200
    response = client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Token.objects.filter(pk=token.pk).exists()
    entry = AuditEntry.objects.get(action="api_token.revoke")
    assert entry.actor == ops and entry.before == {"key_prefix": token.key[:8]}
