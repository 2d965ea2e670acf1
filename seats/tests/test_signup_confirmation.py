"""Issues 12/13, item 1: a sign-up stays unusable until its address is confirmed.

The e-mailed link opens a page with a "Confirm my address" button (a GET changes nothing: mail
scanners prefetch links); the POST confirms, logs the new admin in and lands on their start
page. Before that, logging in says the address is not confirmed and offers to send the link
again (limited per address), and the API refuses the login. A used, expired or broken link gets
a 400 page with the next steps."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from seats.models import AuditEntry, Member
from tests.helpers import token_client

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
PASSWORD = "Sturdy-Password-77"
EMAIL = "founder@umbrella.example"


@pytest.fixture(autouse=True)
def _fixed_time():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def sign_up(mailoutbox, capture, email=EMAIL, language="en"):
    with capture(execute=True):
        response = Client().post(reverse("signup"), {
            "organisation": "Umbrella", "email": email, "password": PASSWORD,
            "country": "PL", "package": "base"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response["Location"] == reverse("signup_done")
    links = re.findall(r"https?://\S+(/signup/confirm/\S+/)", mailoutbox[-1].body)
    return links[0]


def log_in(client, email=EMAIL, language="en"):
    return client.post(reverse("login"), {"username": email, "password": PASSWORD},
                       HTTP_ACCEPT_LANGUAGE=language)


def test_the_login_is_refused_until_the_address_is_confirmed(
        catalogue, mailoutbox, django_capture_on_commit_callbacks):
    link = sign_up(mailoutbox, django_capture_on_commit_callbacks)
    client = Client()

    refused = log_in(client)

    page = refused.content.decode()
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "Your e-mail address is not confirmed yet." in page
    # a way to send the link again, to the address typed
    assert re.search(r'<form method="post" action="/signup/resend/"[^>]*data-testid='
                     r'"resend-link">.*?name="email" value="founder@umbrella.example"', page, re.S)
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))

    Client().post(link)
    assert log_in(client)["Location"] == reverse("home")


def test_the_login_refusal_is_in_polish(catalogue, mailoutbox,
                                        django_capture_on_commit_callbacks):
    sign_up(mailoutbox, django_capture_on_commit_callbacks)

    page = log_in(Client(), language="pl").content.decode()

    assert "Your e-mail address is not confirmed yet." not in page
    assert "Twój adres e-mail nie jest jeszcze potwierdzony." in page
    assert "Wyślij link ponownie" in page


def test_opening_the_link_changes_nothing_and_the_button_confirms_and_logs_in(
        catalogue, mailoutbox, django_capture_on_commit_callbacks):
    link = sign_up(mailoutbox, django_capture_on_commit_callbacks)
    browser = Client()

    shown = browser.get(link)

    founder = Member.objects.select_related("user").get(account__name="Umbrella")
    assert shown.status_code == 200
    assert not founder.email_confirmed and "_auth_user_id" not in browser.session
    page = shown.content.decode()
    assert f'<form method="post" action="{link}">' in page
    assert "Confirm my address" in page and EMAIL in page
    assert browser.get(link).status_code == 200  # a scanner's second fetch: still a button

    done = browser.post(link, follow=True)

    founder.refresh_from_db()
    assert founder.email_confirmed
    assert int(browser.session["_auth_user_id"]) == founder.user_id
    assert done.redirect_chain == [(reverse("home"), 302), (reverse("account_users"), 302)]
    assert "Welcome! Your free trial of Umbrella runs until Nov. 29, 2026." in \
        done.content.decode()
    entry = AuditEntry.objects.get(action="member.email_confirm")
    assert (entry.target_id, entry.before, entry.after, entry.actor_id) == (
        founder.pk, {"email_confirmed": False}, {"email_confirmed": True}, founder.user_id)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_used_link_is_a_400_page_with_the_next_steps(catalogue, mailoutbox, method,
                                                       django_capture_on_commit_callbacks):
    link = sign_up(mailoutbox, django_capture_on_commit_callbacks)
    Client().post(link)

    again = getattr(Client(), method)(link)

    page = again.content.decode()
    assert again.status_code == 400
    assert "This link no longer works" in page
    assert 'href="/login/"' in page and 'action="/signup/resend/"' in page
    assert AuditEntry.objects.filter(action="member.email_confirm").count() == 1


def test_an_expired_link_confirms_nothing(catalogue, settings, mailoutbox, _fixed_time,
                                          django_capture_on_commit_callbacks):
    link = sign_up(mailoutbox, django_capture_on_commit_callbacks)
    _fixed_time.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))

    shown, posted = Client().get(link), Client().post(link)

    assert (shown.status_code, posted.status_code) == (400, 400)
    assert "This link no longer works" in posted.content.decode()
    assert not Member.objects.get(account__name="Umbrella").email_confirmed


def test_the_api_refuses_an_unconfirmed_sign_up(catalogue, mailoutbox,
                                                django_capture_on_commit_callbacks):
    link = sign_up(mailoutbox, django_capture_on_commit_callbacks)
    founder = Member.objects.select_related("user").get(account__name="Umbrella")
    api = token_client(founder.user)  # e.g. a token made by staff
    url = f"/api/v1/accounts/{founder.account_id}/members/"

    refused = api.get(url)

    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Your e-mail address is not confirmed yet.")
    Client().post(link)
    assert api.get(url).status_code == 200


def resend(address, language="en"):
    return Client().post(reverse("signup_resend"), {"email": address},
                         HTTP_ACCEPT_LANGUAGE=language, follow=True)


def test_the_link_is_sent_again_only_to_a_sign_up_waiting_for_it_and_the_answer_is_the_same(
        make_account, mailoutbox, django_capture_on_commit_callbacks):
    sign_up(mailoutbox, django_capture_on_commit_callbacks)
    make_account("Acme")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answers = {address: resend(address, "pl") for address in
                   [EMAIL.upper(), "admin@acme.example", "nobody@nowhere.example"]}

    assert {a.redirect_chain[-1] for a in answers.values()} == {
        (reverse("signup_resend_done"), 302)}
    bodies = {re.sub(r'value="[^"]{20,}"', "", a.content.decode()) for a in answers.values()}
    assert len(bodies) == 1
    [message] = mailoutbox
    assert message.to == [EMAIL] and "/signup/confirm/" in message.body
    assert 'lang="pl"' in message.alternatives[0][0]  # the language it was asked in
    link = re.search(r"https?://\S+(/signup/confirm/\S+/)", message.body).group(1)
    assert Client().get(link).status_code == 200  # the new link works


def test_sending_the_link_again_is_limited_per_address(catalogue, settings, mailoutbox, caplog,
                                                       django_capture_on_commit_callbacks):
    sign_up(mailoutbox, django_capture_on_commit_callbacks)
    count, _seconds = settings.INVITATION_LIMIT
    cache.clear()  # the sign-up's own e-mail counted too: start afresh
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answers = [resend(EMAIL) for _ in range(count + 1)]

    assert {a.redirect_chain[-1][0] for a in answers} == {reverse("signup_resend_done")}
    assert len(mailoutbox) == count
    assert any(r.getMessage().startswith("Rate limited invitation for ") for r in caplog.records)


@pytest.mark.parametrize("address", ["", "not-an-address", "a" * 300 + "@x.example"])
def test_a_bad_address_to_send_the_link_to_is_a_400_on_the_field(db, address):
    response = Client().post(reverse("signup_resend"), {"email": address})

    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()


def test_the_resend_page_offers_the_form(db):
    page = Client().get(reverse("signup_resend") + "?email=a@b.example").content.decode()

    assert 'name="email" value="a@b.example"' in page and "Send the link again" in page
