"""Issue 12 follow-up: every date a person reads on an HTML page is written the one way the
`|day` filter writes it ("Dec. 31, 2026" / "31 grudnia 2026"), never as ISO ("2026-12-31").

The main pages are rendered per role (account admin, plain user, finance staff) over state that
puts a date in every place one is shown (paid seats, a scheduled deletion, an order, issued
documents, a confirmation step, the welcome message), and the visible text (no tags, scripts,
styles or attribute values) is searched for an ISO date. The API and the CSV export keep ISO.
The package-change preview names seats by their number in the account, as the Users page does.
"""

import re
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client

from invoices.tests.factories import issued_document, order_with_proforma, rendered, staff_user
from seats import services
from seats.models import MemberRole, MemberState, Seat
from seats.tests.helpers import seats_pay_through

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 16)
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


class _VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside <script>, <style> and <template>."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self):
        super().__init__()
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def iso_dates(response) -> list[str]:
    assert response.status_code == 200, (response.status_code, response.request["PATH_INFO"])
    return ISO_DAY.findall(visible_text(response.content.decode()))


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def books(make_account, make_member):
    """An account with paid and unpaid seats, a user, a member whose deletion is scheduled, a
    pending renewal with its pro-forma and an issued, rendered invoice."""
    account, admin = make_account("Acme", extra_seats=4)
    user = make_member(account, "user@acme.example", MemberRole.USER)
    leaving = make_member(account, "leaving@acme.example", MemberRole.USER)
    services.member_release(account=account, member=leaving, state=MemberState.DELETED,
                            effective=date(2026, 11, 30), remove_seat=False, actor=None,
                            as_of=AS_OF)
    seats = list(Seat.objects.filter(account=account).order_by("number"))
    seats_pay_through(seats[:2], date(2026, 12, 31))
    order, _proforma = order_with_proforma(account)
    rendered(issued_document(account, issue_date=date(2026, 11, 3)))
    return {"account": account, "admin": admin, "user": user, "order": order,
            "free_seat": next(s for s in seats if s.member_id is None)}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _admin_pages(books):
    order = books["order"]
    return ["/account/users/", "/account/users/?seats=expiring", "/account/renew/",
            "/account/package/", "/account/package/?package=automation", "/account/history/",
            "/account/payments/", "/account/invoice-data/", f"/account/orders/{order.pk}/",
            f"/account/orders/{order.pk}/pay/", "/account/api-tokens/"]


@pytest.mark.parametrize("language", ["en", "pl"])
def test_no_iso_date_on_the_pages_of_an_account_admin(books, language):
    services.api_token_create(user=books["admin"].user)  # its creation and expiry are shown
    client = _client(books["admin"].user)
    client.cookies["django_language"] = language
    found = {path: iso_dates(client.get(path, HTTP_ACCEPT_LANGUAGE=language))
             for path in _admin_pages(books)}
    assert {path: dates for path, dates in found.items() if dates} == {}


def test_no_iso_date_on_the_home_page_of_a_user(books):
    response = _client(books["user"].user).get("/")
    assert iso_dates(response) == []
    # the page does show the seat's date, the way |day writes it
    assert "Dec. 31, 2026" in visible_text(response.content.decode()) or \
        "Nov. 30, 2026" in visible_text(response.content.decode())


def test_no_iso_date_on_the_confirmation_step_and_in_flash_messages(books):
    client = _client(books["admin"].user)
    seat = books["free_seat"]
    confirm = client.post(f"/account/users/seats/{seat.pk}/remove/")
    assert iso_dates(confirm) == []
    leaving = services.member_invite(account=books["account"], email="later@acme.example",
                                     role=MemberRole.USER, actor=None, as_of=AS_OF)
    step = client.post(f"/account/users/members/{leaving.pk}/delete/",
                       {"effective": "2026-11-27", "remove_seat": ""})
    assert iso_dates(step) == []
    assert "Nov. 27, 2026" in visible_text(step.content.decode())
    done = client.post(f"/account/users/members/{leaving.pk}/delete/",
                       {"effective": "2026-11-27", "remove_seat": "", "confirm": "1"},
                       follow=True)
    assert "later@acme.example will be deleted on Nov. 27, 2026." in \
        visible_text(done.content.decode())
    assert iso_dates(done) == []
    added = client.post("/account/users/seats/add/", {"count": "1"}, follow=True)
    assert iso_dates(added) == []
    assert "Added 1 seat, valid until Nov. 30, 2026." in visible_text(added.content.decode())


def test_the_welcome_message_after_sign_up_shows_the_trial_end_as_a_day(
        catalogue, mailoutbox, django_capture_on_commit_callbacks):
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/signup/", {
            "organisation": "Newco", "email": "owner@newco.example",
            "password": "pass-Word-123-x", "country": "PL", "package": "base"})
    # the welcome comes with the e-mailed link that finishes the sign-up (issue 13)
    [link] = re.findall(r"https?://\S+/signup/confirm/\S+/", mailoutbox[-1].body)
    # issues 12/13: the link's page confirms with a button (a POST)
    response = browser.post(urlsplit(link).path, follow=True)
    text = visible_text(response.content.decode())
    assert "Welcome! Your free trial of Newco runs until" in text
    assert iso_dates(response) == []


def test_no_iso_date_on_the_finance_pages(books, django_user_model):
    finance = staff_user(django_user_model, "finance@vendor.example", groups=["finance"])
    finance.user_permissions.add(*Permission.objects.filter(
        codename__in=["add_transferbooking", "add_refund", "add_accesshold"]))
    client = _client(finance)
    for path in ["/finance/documents/", "/finance/transfers/", "/finance/refunds/",
                 "/finance/contracts/"]:
        assert iso_dates(client.get(path)) == [], path


def test_the_csv_export_keeps_iso_dates(books, django_user_model):
    finance = staff_user(django_user_model, "finance@vendor.example", groups=["finance"])
    response = _client(finance).get("/finance/documents/documents.csv")
    body = b"".join(response.streaming_content).decode()
    assert "2026-11-03" in body


def test_the_package_preview_names_seats_by_their_number_in_the_account(make_account):
    make_account("Globex", extra_seats=3)  # so that Acme's seat ids and numbers differ
    account, admin = make_account("Acme", extra_seats=2)
    seats = list(Seat.objects.filter(account=account).order_by("number"))
    seats_pay_through(seats, date(2026, 12, 31))
    assert [s.pk for s in seats] != [1, 2, 3]

    response = _client(admin.user).get("/account/package/?package=automation")

    text = " ".join(visible_text(response.content.decode()).split())
    assert "3 seats no. 1, 2, 3" in text
    assert not re.search(r"#\d", text)
    assert iso_dates(response) == []


def test_the_order_page_names_the_target_month_in_words(books):
    response = _client(books["admin"].user).get(f"/account/orders/{books['order'].pk}/")

    text = " ".join(visible_text(response.content.decode()).split())
    assert "Extend seats until the end of January 2027" in text
    assert "2027-01" not in text
