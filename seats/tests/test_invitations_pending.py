"""Issues 12/13, item 2: every invitation is listed the same way whoever owns the address.

Inviting an address without a login, a member of another organisation's address or a vendor
staff address gives the same answer and the same entry on the members list (page and API):
"invited, waiting for acceptance", with the date, re-send and cancel, until the invitee acts
(sets a password through the link; an address with a login elsewhere stays pending until
cancelled)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from seats.models import Invitation, Member, Seat
from tests.helpers import token_client

pytestmark = pytest.mark.django_db

API = "/api/v1/accounts/"
NOON = datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
FRESH = "fresh@acme.example"


@pytest.fixture(autouse=True)
def _fixed_time():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def acme(make_account):
    return make_account("Acme", extra_seats=3)


@pytest.fixture
def addresses(make_account, django_user_model):
    """An address without a login, another organisation's member, a vendor staff login."""
    make_account("Globex", country="DE", admin_email="boss@globex.example")
    django_user_model.objects.create_user("ops@vendor.example", "ops@vendor.example",
                                          "pass-Word-123", is_staff=True)
    return {"fresh": FRESH, "member": "boss@globex.example", "staff": "ops@vendor.example"}


def admin_client(admin):
    client = Client()
    client.force_login(admin.user)
    return client


def neutral(text, email, invitation):
    """`text` with the address and the invitation's id written as placeholders (the page
    writes addresses with line-break hints, <wbr>)."""
    text = text.replace("<wbr>", "").replace(email, "<email>")
    text = re.sub(r'value="[^"]{20,}"', 'value="<csrf>"', text)
    return re.sub(rf"\b{invitation.pk}\b", "<id>", text)


def invitation_row(page, invitation):
    match = re.search(rf'<tr id="invitation-{invitation.pk}".*?</tr>', page, re.S)
    assert match, "no invitation row"
    return match.group(0)


def test_the_users_page_lists_every_invitation_alike(acme, addresses):
    account, admin = acme
    client = admin_client(admin)
    rows, answers = {}, {}

    for kind, email in addresses.items():
        answer = client.post(reverse("account_member_invite"), {"email": email,
                                                                "role": "manager"},
                             follow=True)
        invitation = Invitation.objects.get(account=account, email=email)
        page = answer.content.decode()
        rows[kind] = neutral(invitation_row(page, invitation), email, invitation)
        answers[kind] = (answer.redirect_chain, neutral(
            re.search(r'<ul class="messages">.*?</ul>', page, re.S).group(0), email,
            invitation))

    assert rows["fresh"] == rows["member"] == rows["staff"]
    assert answers["fresh"] == answers["member"] == answers["staff"]
    row = rows["fresh"]
    assert "invited, waiting for acceptance" in row and "Invited on Nov. 16, 2026" in row
    assert "Re-send invitation" in row and "Cancel invitation" in row
    # the new address's member is shown only as its invitation, not as a member row
    fresh = Member.objects.get(user__username=FRESH)
    assert f'id="member-{fresh.pk}"' not in client.get(reverse("account_users")).content.decode()


def test_the_api_lists_every_invitation_alike(acme, addresses):
    account, admin = acme
    api = token_client(admin.user)

    answers = {kind: api.post(f"{API}{account.pk}/members/", {"email": email, "role": "user"},
                              format="json")
               for kind, email in addresses.items()}
    listed = api.get(f"{API}{account.pk}/invitations/")
    members = api.get(f"{API}{account.pk}/members/").json()

    assert {a.status_code for a in answers.values()} == {202}
    assert listed.status_code == 200
    entries = {entry["email"]: entry for entry in listed.json()}
    assert set(entries) == set(addresses.values())
    shapes = {tuple(sorted((k, v) for k, v in entry.items() if k not in ("id", "email")))
              for entry in entries.values()}
    assert shapes == {(("invited_on", "2026-11-16"), ("role", "user"),
                       ("sent_on", "2026-11-16"), ("status", "pending"))}
    assert FRESH not in {m["email"] for m in members}


def test_inviting_a_pending_address_again_answers_alike(acme, addresses):
    account, admin = acme
    api = token_client(admin.user)
    for email in addresses.values():
        api.post(f"{API}{account.pk}/members/", {"email": email, "role": "user"}, format="json")

    again = {kind: api.post(f"{API}{account.pk}/members/", {"email": email, "role": "user"},
                            format="json") for kind, email in addresses.items()}

    assert {a.status_code for a in again.values()} == {409}
    bodies = {a.content.decode().replace(addresses[kind], "<email>")
              for kind, a in again.items()}
    assert len(bodies) == 1
    assert again["fresh"].json()["code"] == "already_invited"


def test_cancelling_answers_alike_and_frees_what_the_invitation_took(acme, addresses):
    account, admin = acme
    client = admin_client(admin)
    for email in addresses.values():
        client.post(reverse("account_member_invite"), {"email": email, "role": "user"},
                    follow=True)
    free_before = Seat.objects.filter(account=account, member__isnull=True).count()

    answers = {}
    for kind, email in addresses.items():
        invitation = Invitation.objects.get(account=account, email=email)
        answer = client.post(reverse("account_invitation_cancel", args=[invitation.pk]),
                             follow=True)
        answers[kind] = neutral(
            re.search(r'<ul class="messages">.*?</ul>', answer.content.decode(),
                      re.S).group(0), email, invitation)
        assert 'data-testid="invitation-row"' not in answer.content.decode() or \
            f"invitation-{invitation.pk}" not in answer.content.decode()

    assert answers["fresh"] == answers["member"] == answers["staff"]
    assert "The invitation of <email> has been cancelled." in answers["fresh"]
    assert set(Invitation.objects.filter(account=account, email__in=addresses.values())
               .values_list("status", flat=True)) == {"cancelled"}
    # the new address is unknown again and its seat free; the other logins untouched
    assert not get_user_model().objects.filter(username=FRESH).exists()
    assert Seat.objects.filter(account=account, member__isnull=True).count() == free_before + 1
    assert get_user_model().objects.filter(username__in=[addresses["member"],
                                                         addresses["staff"]]).count() == 2
    again = client.post(reverse("account_invitation_cancel",
                                args=[Invitation.objects.get(email=FRESH).pk]), follow=True)
    assert "no longer waiting for acceptance" in again.content.decode()


def test_re_sending_answers_alike_and_sends_the_e_mail_again(
        acme, addresses, mailoutbox, django_capture_on_commit_callbacks):
    account, admin = acme
    api = token_client(admin.user)
    for email in addresses.values():
        api.post(f"{API}{account.pk}/members/", {"email": email, "role": "user"}, format="json")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answers = {}
        for kind, email in addresses.items():
            invitation = Invitation.objects.get(account=account, email=email)
            answer = api.post(f"{API}{account.pk}/invitations/{invitation.pk}/resend/")
            answers[kind] = (answer.status_code,
                             neutral(answer.content.decode(), email, invitation))

    assert answers["fresh"] == answers["member"] == answers["staff"]
    assert answers["fresh"][0] == 200
    assert sorted(m.to[0] for m in mailoutbox) == sorted(addresses.values())
    by_address = {m.to[0]: m for m in mailoutbox}
    assert "/reset/" in by_address[FRESH].body
    # the staff login is told it is a staff login, never customer wording
    staff_note = by_address["ops@vendor.example"].body
    assert "is a vendor staff login of Seat Billing" in staff_note
    assert "leave your current organisation" not in staff_note


def test_setting_the_password_accepts_the_invitation(acme, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    account, admin = acme
    with django_capture_on_commit_callbacks(execute=True):
        admin_client(admin).post(reverse("account_member_invite"), {"email": FRESH,
                                                                    "role": "user"})
    link = re.search(r"https?://\S+(/reset/\S+/)", mailoutbox[-1].body).group(1)
    invitee = Client()
    form_page = invitee.get(link, follow=True)
    # never had a password: asked to choose one, not to "set a new" one (QA)
    assert "Choose your password" in form_page.content.decode()
    assert "Set a new password" not in form_page.content.decode()
    invitee.post(form_page.redirect_chain[-1][0], {"new_password1": "Sturdy-Password-77",
                                                   "new_password2": "Sturdy-Password-77"})

    invitation = Invitation.objects.get(email=FRESH)
    assert invitation.status == "accepted"
    page = admin_client(admin).get(reverse("account_users")).content.decode()
    member = Member.objects.get(user__username=FRESH)
    assert f'id="member-{member.pk}"' in page and f'id="invitation-{invitation.pk}"' not in page


def test_ops_see_invitations_read_only_in_the_admin(acme, addresses, admin_client):
    account, admin = acme
    token_client(admin.user).post(f"{API}{account.pk}/members/",
                                  {"email": addresses["staff"], "role": "user"}, format="json")
    invitation = Invitation.objects.get(account=account, email=addresses["staff"])

    listing = admin_client.get(reverse("admin:seats_invitation_changelist"))
    change = admin_client.post(reverse("admin:seats_invitation_change", args=[invitation.pk]),
                               {"status": "cancelled"})

    assert listing.status_code == 200 and addresses["staff"] in listing.content.decode()
    assert change.status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == "pending"
