"""Changing a member's role (issue 12, item 5): the service with its last-admin guard and audit
row, the API operation, and the control on the Users page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from billing_site.errors import DomainError
from seats import services
from seats.models import AuditEntry, MemberRole, MemberState
from tests.helpers import token_client

TODAY = date(2026, 11, 16)
API = "/api/v1/accounts/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_frozen(settings):
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def acme(make_account, make_member):
    account, admin = make_account("Acme")
    bob = make_member(account, "bob@acme.example", MemberRole.USER)
    return account, admin, bob


def test_service_changes_the_role_and_writes_an_audit_row(acme):
    account, admin, bob = acme

    services.member_role_change(account=account, member=bob, role=MemberRole.ADMIN,
                                actor=admin.user, as_of=TODAY)

    bob.refresh_from_db()
    assert bob.role == MemberRole.ADMIN
    entry = AuditEntry.objects.get(action="member.role", target_id=bob.pk)
    assert (entry.before["role"], entry.after["role"], entry.actor_label) == (
        "user", "admin", admin.user.username)


def test_the_last_admin_cannot_give_up_the_role_until_someone_else_is_admin(acme):
    account, admin, bob = acme

    with pytest.raises(DomainError) as refused:
        services.member_role_change(account=account, member=admin, role=MemberRole.USER,
                                    actor=admin.user, as_of=TODAY)
    assert refused.value.code == "last_admin"
    assert "make someone else an administrator first" in str(refused.value)

    # what the message asks for is now possible: promote bob, then step down
    services.member_role_change(account=account, member=bob, role=MemberRole.ADMIN,
                                actor=admin.user, as_of=TODAY)
    services.member_role_change(account=account, member=admin, role=MemberRole.MANAGER,
                                actor=admin.user, as_of=TODAY)
    admin.refresh_from_db()
    assert admin.role == MemberRole.MANAGER


def test_a_deleted_member_keeps_their_role(acme):
    account, admin, bob = acme
    services.member_release(account=account, member=bob, state=MemberState.DELETED,
                            effective=None, remove_seat=False, actor=None, as_of=TODAY)
    with pytest.raises(DomainError) as refused:
        services.member_role_change(account=account, member=bob, role=MemberRole.ADMIN,
                                    actor=admin.user, as_of=TODAY)
    assert refused.value.code == "member_deleted"


def test_api_changes_the_role(acme):
    account, admin, bob = acme

    response = token_client(admin.user).post(
        f"{API}{account.pk}/members/{bob.pk}/role/", {"role": "manager"}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "manager"
    assert AuditEntry.objects.filter(action="member.role", target_id=bob.pk).exists()


def test_api_refuses_demoting_the_last_admin_with_the_error_shape(acme):
    account, admin, _bob = acme

    response = token_client(admin.user).post(
        f"{API}{account.pk}/members/{admin.pk}/role/", {"role": "user"}, format="json")

    assert response.status_code == 409  # a state conflict (issue 13, item 10)
    assert response.json()["code"] == "last_admin"
    admin.refresh_from_db()
    assert admin.role == MemberRole.ADMIN


@pytest.mark.parametrize(("language", "message"), [
    ("en", "“owner” is not one of the accepted values: admin (administrator), manager, user."),
    # the codes stay (a program sends them); the names are Polish, never a code in a Polish
    # sentence alone (issue 12 follow-up)
    ("pl", "„owner” nie jest jedną z akceptowanych wartości: admin (administrator), manager, "
           "user (użytkownik)."),
])
def test_api_refuses_an_unknown_role_naming_the_accepted_values(acme, language, message):
    account, admin, bob = acme

    response = token_client(admin.user).post(
        f"{API}{account.pk}/members/{bob.pk}/role/", {"role": "owner"}, format="json",
        HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert response.json()["role"] == [message]
    bob.refresh_from_db()
    assert bob.role == MemberRole.USER


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Choose a role: administrator, manager, user."),
    ("pl", "Wybierz rolę: administrator, manager, użytkownik."),
])
def test_the_users_page_names_the_roles_in_the_page_language(client, acme, language, message):
    account, admin, bob = acme
    client.force_login(admin.user)

    response = client.post(reverse("account_member_role", args=[bob.pk]), {"role": "owner"},
                           HTTP_ACCEPT_LANGUAGE=language, follow=True)

    assert message in response.content.decode()
    bob.refresh_from_db()
    assert bob.role == MemberRole.USER


def test_the_service_names_the_accepted_roles_with_their_names(acme):
    account, _admin, bob = acme
    with pytest.raises(DomainError) as refused:
        services.member_role_change(account=account, member=bob, role="owner", actor=None,
                                    as_of=TODAY)
    assert refused.value.message == (
        "Choose a role: admin (administrator), manager, user.")


def test_api_is_for_admins_only(acme):
    account, _admin, bob = acme

    response = token_client(bob.user).post(
        f"{API}{account.pk}/members/{bob.pk}/role/", {"role": "admin"}, format="json")

    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.role == MemberRole.USER


def test_users_page_has_a_role_control_that_changes_the_role(client, acme):
    account, admin, bob = acme
    client.force_login(admin.user)

    page = client.get(reverse("account_users")).content.decode()
    assert reverse("account_member_role", args=[bob.pk]) in page

    # the change is confirmed first (issues 12/13 item 3)
    response = client.post(reverse("account_member_role", args=[bob.pk]), {"role": "admin"},
                           follow=True)
    assert "Nothing has been changed yet" in response.content.decode()
    response = client.post(reverse("account_member_role", args=[bob.pk]),
                           {"role": "admin", "confirm": "1"}, follow=True)
    assert "bob@acme.example is now administrator." in response.content.decode()
    bob.refresh_from_db()
    assert bob.role == MemberRole.ADMIN


@pytest.mark.parametrize(("start", "role", "consequence"), [
    (MemberRole.USER, "admin", "As an administrator they can manage seats and members"),
    (MemberRole.ADMIN, "user", "They lose access to billing at once"),
    (MemberRole.ADMIN, "manager", "The last active administrator cannot give up the role."),
    (MemberRole.USER, "manager", "Their access to billing does not change"),
])
def test_every_role_change_states_its_consequence_and_waits_for_confirmation(
        client, acme, start, role, consequence):
    """Issues 12/13 item 3: no role changes in one click; the page says what the member gains or
    loses, and its button posts the same role again with confirm=1."""
    account, admin, bob = acme
    if start != bob.role:
        services.member_role_change(account=account, member=bob, role=start, actor=None,
                                    as_of=TODAY)
    client.force_login(admin.user)
    url = reverse("account_member_role", args=[bob.pk])

    response = client.post(url, {"role": role})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing has been changed yet" in page
    assert consequence in page
    assert f'name="role" value="{role}"' in page and 'name="confirm" value="1"' in page
    bob.refresh_from_db()
    assert bob.role == start

    assert client.post(url, {"role": role, "confirm": "1"}).status_code == 302
    bob.refresh_from_db()
    assert bob.role == role


def test_an_admin_giving_up_their_own_role_confirms_first(client, acme):
    account, admin, bob = acme
    services.member_role_change(account=account, member=bob, role=MemberRole.ADMIN,
                                actor=None, as_of=TODAY)
    client.force_login(admin.user)
    url = reverse("account_member_role", args=[admin.pk])

    response = client.post(url, {"role": "user"})
    assert response.status_code == 200
    assert "Nothing has been changed yet" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == MemberRole.ADMIN

    response = client.post(url, {"role": "user", "confirm": "1"})
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.role == MemberRole.USER


def test_the_last_admin_is_told_on_the_page_to_make_someone_else_admin(client, acme):
    account, admin, _bob = acme
    client.force_login(admin.user)

    response = client.post(reverse("account_member_role", args=[admin.pk]), {"role": "user"},
                           follow=True)

    assert "make someone else an administrator first" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == MemberRole.ADMIN
