"""End-to-end: an admin manages seats and members on "Account settings → Users" in Chromium."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from billing_site.dates import today
from seats import services
from seats.models import Member, MemberRole, MemberState, Seat

from .browser import browser_page, log_in, screenshot, seat_counts, success_message

PASSWORD = "pass-Word-123"

# the live server runs in another thread: it sees only committed rows
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_adds_seats_invites_and_suspends_with_seat_counts_following(
    live_server, make_account, make_member
):
    as_of = today()
    account, admin = make_account("Acme", as_of=as_of)
    ben = make_member(account, "ben@acme.example", MemberRole.MANAGER, as_of=as_of)
    services.member_release(account=account, member=ben, state=MemberState.DELETED,
                            effective=as_of + timedelta(days=7), remove_seat=True, actor=None,
                            as_of=as_of)

    with browser_page(live_server.url) as page:
        log_in(page, admin.email, PASSWORD)
        expect(page).to_have_url(f"{live_server.url}/account/users/")
        expect(page.get_by_role("heading", name="Users")).to_be_visible()
        assert seat_counts(page) == (2, 2, 0)

        # two seats with the + button (the counter starts at 1)
        counter = page.get_by_label("Number of seats")
        expect(counter).to_have_value("1")
        page.get_by_role("button", name="One seat more").click()
        expect(counter).to_have_value("2")
        page.get_by_role("button", name="Add seats").click()
        assert "Added 2 seats" in success_message(page)
        assert seat_counts(page) == (4, 2, 2)
        assert Seat.objects.filter(account=account, member__isnull=True).count() == 2

        # an invited user takes one of the free seats
        invite = page.locator("#invite")
        invite.get_by_label("E-mail").fill("uma@acme.example")
        invite.get_by_label("Role").select_option("user")
        invite.get_by_role("button", name="Send invitation").click()
        assert "An invitation has been sent to uma@acme.example." in success_message(page)
        assert seat_counts(page) == (4, 3, 1)
        uma = Member.objects.select_related("user").get(user__username="uma@acme.example")
        # issues 12/13: listed as an invitation until she sets her password
        expect(page.get_by_test_id("invitation-row")).to_contain_text("uma@acme.example")
        expect(page.locator(f"#member-{uma.pk}")).to_have_count(0)
        uma.user.set_password(PASSWORD)
        uma.user.save()
        page.reload()

        # suspend her and remove the seat too
        row = page.locator(f"#member-{uma.pk}")
        row.get_by_text("Suspend or delete…").click()
        row.get_by_label("Effective date").fill(as_of.isoformat())
        row.get_by_label("Remove the seat too").check()
        row.get_by_role("button", name="Suspend", exact=True).click()
        # nothing happens until the consequence is confirmed
        confirm = page.get_by_test_id("confirm")
        expect(confirm).to_contain_text("uma@acme.example is suspended today")
        expect(confirm).to_contain_text("is removed too")
        assert Member.objects.get(pk=uma.pk).state == MemberState.ACTIVE
        confirm.get_by_role("button", name="Suspend", exact=True).click()
        assert "uma@acme.example has been suspended. Their seat has been removed." in (
            success_message(page))
        assert seat_counts(page) == (3, 2, 1)
        expect(page.locator(f"#member-{uma.pk}")).to_contain_text("suspended")
        uma.refresh_from_db()
        assert uma.state == MemberState.SUSPENDED
        assert not Seat.objects.filter(member=uma).exists()

        screenshot(page, "users-page")

        # the seatless user cannot log in and is told why
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(f"{live_server.url}/login/")
        log_in(page, "uma@acme.example", PASSWORD)
        expect(page.get_by_role("alert")).to_contain_text(
            "Your user in Acme is suspended and has no seat."
        )
        expect(page).to_have_url(f"{live_server.url}/login/")


def test_seats_can_be_added_without_javascript(live_server, make_account):
    account, admin = make_account("Acme", as_of=today())

    with browser_page(live_server.url, javascript=False) as page:
        log_in(page, admin.email, PASSWORD)
        expect(page.get_by_role("button", name="One seat more")).to_be_hidden()
        page.get_by_label("Number of seats").fill("3")
        page.get_by_role("button", name="Add seats").click()
        assert "Added 3 seats" in success_message(page)
        assert seat_counts(page) == (4, 1, 3)
    assert Seat.objects.filter(account=account, member__isnull=True).count() == 3


def test_users_page_fits_a_phone_screen_without_sideways_scrolling(live_server, make_account):
    """Wide tables scroll inside their card; the page itself must not scroll sideways."""
    _account, admin = make_account("Acme", as_of=today(), extra_seats=2)

    with browser_page(live_server.url, width=390, height=844) as page:
        log_in(page, admin.email, PASSWORD)
        assert seat_counts(page) == (3, 1, 2)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "users-page-narrow")
