"""Issue 13, item 3: every pending invitation holds one seat the same way, whoever owns the
address (an address without a login, another organisation's member, a vendor staff login), so
that the Seats table, the seat counts, the "seats addable" figure and the seats API do not tell
one organisation that an address has a login elsewhere. A held seat is "reserved for an
invitation" with the invited address; it is not free for other invitations or assignments;
cancelling frees it; when no seat can be had the invitation is refused the same way."""

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from billing_site.errors import DomainError
from catalogue.models import BillingPolicy
from seats import selectors, services
from seats.models import AuditEntry, Invitation, InvitationStatus, MemberRole, Seat
from tests.helpers import token_client

pytestmark = pytest.mark.django_db

API = "/api/v1/accounts/"
NOON = datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
KINDS = {"fresh": "fresh@acme.example", "member": "boss@globex.example",
         "staff": "ops@vendor.example"}


@pytest.fixture(autouse=True)
def _fixed_time():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def owners(make_account, django_user_model):
    """The logins that make "member" and "staff" addresses taken (none for "fresh")."""
    make_account("Globex", country="DE", admin_email=KINDS["member"])
    django_user_model.objects.create_user(KINDS["staff"], KINDS["staff"], "pass-Word-123",
                                          is_staff=True)


@pytest.fixture
def trial(make_account, owners):
    """A trial account capped at 3 seats: its admin's seat, and `free` more (0 or 1)."""
    BillingPolicy.objects.filter(pk=BillingPolicy.current().pk).update(trial_max_seats=3)

    def _make(free):
        return make_account("Acme", trial=True, extra_seats=free)

    return _make


def admin_client(admin):
    client = Client()
    client.force_login(admin.user)
    return client


def mask(text, email):
    """`text` with the invited address and every database id written as placeholders."""
    text = text.replace("<wbr>", "").replace(email, "<email>")
    return re.sub(r"\b(seat|invitation|assign|member)-\d+\b|/\d+/", "<id>", text)


def plain(fragment):
    fragment = fragment.replace("<wbr>", "")  # the line-break hints in addresses
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def seats_view(client, account, email, api):
    """What an admin sees of the seats: the Seats table rows (as text, and whether each has the
    checkbox and the assign form of a free seat), the count boxes, the trial's "seats
    addable" note, the "free" and "occupied" filters, and the seats API body."""
    page = client.get(reverse("account_users")).content.decode()
    table = re.search(r'data-testid="seats-table">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = [(mask(plain(row), email), 'type="checkbox"' in row, "seat_assign" in row or
             "/assign/" in row) for row in re.findall(r"<tr[ >].*?</tr>", table, re.S)]
    counts = tuple(int(re.search(rf'data-testid="seats-{name}">(\d+)<', page).group(1))
                   for name in ("total", "occupied", "free"))
    cap = plain(re.search(r'data-testid="trial-seat-cap">(.*?)</p>', page, re.S).group(1))
    filtered = {}
    for which in ("free", "occupied"):
        listed = client.get(reverse("account_users"), {"seats": which}).content.decode()
        table = re.search(r'data-testid="seats-table">.*?<tbody>(.*?)</tbody>', listed,
                          re.S).group(1)
        filtered[which] = [mask(plain(row), email) for row in re.findall(r"<tr[ >].*?</tr>",
                                                                         table, re.S)]
    body = api.get(f"{API}{account.pk}/seats/").json()
    ids = {account.pk: "<account>"}
    for seat in body:
        for key in ("id", "member", "reserved_for_invitation"):
            if seat.get(key) is not None:
                seat[key] = ids.setdefault((key, seat[key]), f"<{key} {len(ids)}>")
    return {"rows": rows, "counts": counts, "cap": cap, "filtered": filtered, "api": body}


ADMIN_ROW = ("no. 1 Nov. 29, 2026 not paid yet admin@acme.example "
             "To free it, suspend or delete its user.")
HELD_ROW = ("no. 2 Nov. 29, 2026 not paid yet reserved for an invitation <email> "
            "To free it, cancel the invitation.")


@pytest.mark.parametrize("free", [1, 0], ids=["takes-the-free-seat", "adds-a-seat"])
@pytest.mark.parametrize("kind", KINDS)
def test_an_invitation_holds_a_seat_the_same_whoever_owns_the_address(trial, kind, free):
    account, admin = trial(free)
    email = KINDS[kind]
    client, api = admin_client(admin), token_client(admin.user)

    answer = client.post(reverse("account_member_invite"), {"email": email, "role": "user"},
                         follow=True)
    view = seats_view(client, account, email, api)

    assert answer.redirect_chain == [(reverse("account_users") + "#members", 302)]
    assert view["rows"] == [(ADMIN_ROW, False, False), (HELD_ROW, False, False)]
    assert view["counts"] == (2, 2, 0)
    assert view["cap"] == ("During the free trial the organisation can have at most 3 seats. "
                           "You can add up to 1 more seat now.")
    assert view["filtered"] == {"free": ["No seats match this filter."],
                                "occupied": [ADMIN_ROW, HELD_ROW]}
    assert view["api"] == [
        {"id": "<id 1>", "number": 1, "valid_until": "2026-11-29", "paid_through": None,
         "created": "2026-11-16", "member": "<member 2>", "reserved_for_invitation": None},
        {"id": "<id 3>", "number": 2, "valid_until": "2026-11-29", "paid_through": None,
         "created": "2026-11-16", "member": None,
         "reserved_for_invitation": "<reserved_for_invitation 4>"},
    ]
    invitation = Invitation.objects.get(account=account, email=email)
    assert view["api"][1]["reserved_for_invitation"] is not None
    assert api.get(f"{API}{account.pk}/seats/").json()[1]["reserved_for_invitation"] \
        == invitation.pk
    assert invitation.seat.number == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_held_seat_is_refused_to_assignments_and_removal_alike(trial, make_member, kind):
    account, admin = trial(1)
    email = KINDS[kind]
    api = token_client(admin.user)
    api.post(f"{API}{account.pk}/members/", {"email": email, "role": "user"}, format="json")
    seat = Invitation.objects.get(account=account, email=email).seat
    # a suspended member whose seat went: restoring them needs a free seat, and there is none
    seatless = make_member(account, "seatless@acme.example")  # on a new, third seat
    services.member_release(account=account, member=seatless, state="suspended",
                            effective=None, remove_seat=True, actor=None, as_of=NOON.date())

    assign = api.post(f"{API}{account.pk}/seats/{seat.pk}/assign/", {"member": admin.pk},
                      format="json")
    remove = api.delete(f"{API}{account.pk}/seats/{seat.pk}/")
    with pytest.raises(DomainError) as restore:
        services.member_restore(account=account, member=seatless, actor=None, as_of=NOON.date())

    expected = {"detail": "Seat no. 2 is reserved for the invitation of <email>. Cancel the "
                          "invitation in the members list to free it.",
                "code": "seat_reserved"}
    assert (assign.status_code, remove.status_code) == (409, 409)
    assert mask(assign.content.decode(), email) == mask(remove.content.decode(), email)
    assert {k: mask(v, email) for k, v in assign.json().items() if k in expected} == expected
    assert restore.value.code == "no_free_seat"


@pytest.mark.parametrize("kind", KINDS)
def test_cancelling_frees_the_held_seat_whoever_owns_the_address(trial, make_member, kind):
    account, admin = trial(1)
    email = KINDS[kind]
    client, api = admin_client(admin), token_client(admin.user)
    client.post(reverse("account_member_invite"), {"email": email, "role": "user"})
    invitation = Invitation.objects.get(account=account, email=email)
    seat = invitation.seat

    client.post(reverse("account_invitation_cancel", args=[invitation.pk]))
    view = seats_view(client, account, email, api)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.CANCELLED
    assert view["counts"] == (2, 1, 1)
    assert view["rows"][1] == ("no. 2 Nov. 29, 2026 not paid yet free Remove seat", True, False)
    assert view["api"][1]["member"] is None and view["api"][1]["reserved_for_invitation"] is None
    # free for anyone now: the next invitation takes it instead of adding a seat
    late = make_member(account, "late@acme.example")
    assert late.seat.pk == seat.pk
    assert Seat.objects.filter(account=account).count() == 2


@pytest.mark.parametrize("kind", ["fresh"])  # a login elsewhere stays pending until cancelled
def test_accepting_leaves_the_member_on_the_held_seat(trial, kind):
    """Only a new address's member can accept (by setting a password); the seat their invitation
    held is theirs from then on, shown with their address."""
    account, admin = trial(1)
    api = token_client(admin.user)
    api.post(f"{API}{account.pk}/members/", {"email": KINDS[kind], "role": "user"},
             format="json")
    invitation = Invitation.objects.get(account=account, email=KINDS[kind])
    user = invitation.member.user
    user.set_password("pass-Word-123")
    user.save()

    assert services.invitations_accept(user=user) == 1
    body = api.get(f"{API}{account.pk}/seats/").json()
    assert body[1]["member"] == invitation.member.pk
    assert body[1]["reserved_for_invitation"] is None
    assert selectors.account_seat_counts(account) == {"total": 2, "free": 0}


@pytest.mark.parametrize("kind", KINDS)
def test_with_no_seat_to_hold_the_invitation_is_refused_alike(trial, kind):
    """The trial's cap reached and every seat taken: the invitation cannot hold a seat, and it
    is refused with the message an address without a login always got."""
    account, admin = trial(0)
    services.seats_add(account=account, count=2, actor=None, as_of=NOON.date())
    client, api = admin_client(admin), token_client(admin.user)
    for other in ("a@acme.example", "b@acme.example"):
        api.post(f"{API}{account.pk}/members/", {"email": other, "role": "user"}, format="json")
    email = KINDS[kind]

    page = client.post(reverse("account_member_invite"), {"email": email, "role": "user"})
    answer = api.post(f"{API}{account.pk}/members/", {"email": email, "role": "user"},
                      format="json")

    refusal = ("During the free trial an organisation can have at most 3 seats; it has 3. "
               "To add more, renew (pay) first, or remove free seats.")
    assert page.status_code == 200 and refusal in html.unescape(page.content.decode())
    assert (answer.status_code, answer.json()["detail"], answer.json()["code"]) \
        == (400, refusal, "trial_seat_cap")
    assert not Invitation.objects.filter(account=account, email=email).exists()
    assert Seat.objects.filter(account=account).count() == 3


def test_the_database_refuses_a_pending_invitation_without_a_seat_or_on_a_held_seat(trial):
    account, admin = trial(1)
    services.member_invite(account=account, email=KINDS["member"], role=MemberRole.USER,
                           actor=admin.user, as_of=NOON.date())
    held = Invitation.objects.get(account=account, email=KINDS["member"])
    fields = {"account": account, "role": "user", "invited_on": NOON.date(),
              "sent_on": NOON.date()}

    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(email="x@acme.example", seat=None, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(email="y@acme.example", seat=held.seat, **fields)
    # a closed invitation keeps its seat as a record and holds it no longer
    Invitation.objects.create(email="z@acme.example", seat=held.seat,
                              status=InvitationStatus.CANCELLED, **fields)


@pytest.mark.parametrize("kind", KINDS)
def test_a_seat_left_by_an_invitee_who_accepted_can_be_held_again(trial, kind):
    """An invitee set a password (the invitation not recorded as accepted yet) and was then
    suspended: their seat is free, and the next invitation holds it, whoever it invites."""
    account, admin = trial(0)
    first = services.member_invite(account=account, email="first@acme.example",
                                   role=MemberRole.USER, actor=admin.user, as_of=NOON.date())
    first.user.set_password("pass-Word-123")
    first.user.save()
    seat = first.seat
    services.member_release(account=account, member=first, state="suspended", effective=None,
                            remove_seat=False, actor=admin.user, as_of=NOON.date())
    assert selectors.account_seat_counts(account) == {"total": 2, "free": 1}

    services.member_invite(account=account, email=KINDS[kind], role=MemberRole.USER,
                           actor=admin.user, as_of=NOON.date())

    assert Invitation.objects.get(account=account, email=KINDS[kind]).seat == seat
    assert Invitation.objects.get(email="first@acme.example").status == InvitationStatus.ACCEPTED
    assert selectors.account_seat_counts(account) == {"total": 2, "free": 0}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["one", "ticked"])
def test_removing_a_held_seat_on_the_users_page_is_refused_alike(trial, kind, how):
    """No confirmation step first for one kind and not the other: the refusal straight away."""
    account, admin = trial(1)
    email = KINDS[kind]
    client = admin_client(admin)
    client.post(reverse("account_member_invite"), {"email": email, "role": "user"},
                follow=True)  # its message shown
    seat = Invitation.objects.get(account=account, email=email).seat

    if how == "one":
        answer = client.post(reverse("account_seat_remove", args=[seat.pk]), follow=True)
    else:
        answer = client.post(reverse("account_seats_remove"), {"seat": [seat.pk]}, follow=True)

    messages = plain(re.search(r'<ul class="messages">.*?</ul>', answer.content.decode(),
                               re.S).group(0))
    assert mask(messages, email) == ("Seat no. 2 is reserved for the invitation of <email>. "
                                     "Cancel the invitation in the members list to free it.")
    seat.refresh_from_db()
    assert seat.removed_on is None


def test_the_data_migration_gives_existing_pending_invitations_a_seat(make_account, owners):
    """Invitations made before seats were held: the new address's gets its member's seat, an
    address with a login elsewhere a free seat, and one left without a seat (none free) is
    cancelled with an audit row. The constraint is dropped inside the test's transaction to
    write such rows (PostgreSQL rolls the DDL back with it)."""
    from django.apps import apps as django_apps
    from django.db import connection

    migration = __import__("seats.migrations.0012_invitation_seat",
                           fromlist=["hold_seats"])
    account, admin = make_account("Acme", extra_seats=1)
    fresh = services.member_invite(account=account, email=KINDS["fresh"], role=MemberRole.USER,
                                   actor=admin.user, as_of=NOON.date())
    services.member_invite(account=account, email=KINDS["member"], role=MemberRole.USER,
                           actor=admin.user, as_of=NOON.date())
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events: ALTER may run
        cursor.execute("ALTER TABLE seats_invitation DROP CONSTRAINT "
                       "invitation_pending_holds_a_seat")
    Invitation.objects.update(seat=None)
    fields = {"account": account, "role": "user", "invited_on": NOON.date(),
              "sent_on": NOON.date()}
    Invitation.objects.create(email=KINDS["staff"], **fields)  # no seat left for it

    migration.hold_seats(django_apps, None)

    rows = {i.email: i for i in Invitation.objects.filter(account=account)
            .exclude(email="admin@acme.example")}
    assert rows[KINDS["fresh"]].seat == fresh.seat
    assert rows[KINDS["member"]].seat.member_id is None
    assert rows[KINDS["member"]].seat != fresh.seat
    assert rows[KINDS["staff"]].status == InvitationStatus.CANCELLED
    assert rows[KINDS["staff"]].seat is None
    assert AuditEntry.objects.filter(action="invitation.cancelled",
                                     target_id=rows[KINDS["staff"]].pk).exists()


def test_the_seat_of_an_invitee_who_has_not_accepted_is_not_removed_with_them(trial):
    account, admin = trial(1)
    invitee = services.member_invite(account=account, email=KINDS["fresh"],
                                     role=MemberRole.USER, actor=admin.user, as_of=NOON.date())
    seat = invitee.seat

    with pytest.raises(DomainError) as refused:
        services.member_release(account=account, member=invitee, state="suspended",
                                effective=None, remove_seat=True, actor=admin.user,
                                as_of=NOON.date())
    services.member_release(account=account, member=invitee, state="suspended",
                            effective=None, remove_seat=False, actor=admin.user,
                            as_of=NOON.date())

    assert refused.value.code == "seat_reserved"
    seat.refresh_from_db()
    assert seat.removed_on is None and seat.member_id is None
    assert not Seat.objects.filter(pk=seat.pk).free().exists()  # still held by the invitation


def test_the_free_now_flag_of_each_seat_agrees_with_free(trial):
    """`Seat.objects.with_free_now(account)` (the Renew page reads it with the seats, issue 16)
    flags exactly the seats `free()` selects, and `free_in(account)` (the Users page's count)
    selects them too: the admin's seat is occupied, a seat held by an open
    invitation is not free, and the seat of a cancelled invitation (which keeps pointing at
    it) is free again."""
    account, admin = trial(1)
    held = services.member_invite(account=account, email=KINDS["fresh"], role=MemberRole.USER,
                                  actor=admin.user, as_of=NOON.date())
    services.member_invite(account=account, email=KINDS["member"], role=MemberRole.USER,
                           actor=admin.user, as_of=NOON.date())
    cancelled = Invitation.objects.get(account=account, email=KINDS["member"])
    services.invitation_cancel(account=account, invitation=cancelled, actor=admin.user,
                               as_of=NOON.date())
    seats = Seat.objects.filter(account=account, removed_on__isnull=True)

    flags = dict(seats.with_free_now(account).values_list("pk", "free_now"))
    free = set(seats.free().values_list("pk", flat=True))

    assert flags == {seat.pk: seat.pk in free for seat in seats}
    assert set(seats.free_in(account).values_list("pk", flat=True)) == free
    assert flags == {admin.seat.pk: False, held.seat.pk: False, cancelled.seat_id: True}
