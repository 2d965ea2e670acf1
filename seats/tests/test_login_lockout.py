"""Login lockout (issue 13, item 1): after AXES_FAILURE_LIMIT wrong passwords for one address
from one IP, the members' login page and /admin/login/ refuse even the right password with a
translated 429 page that says when to try again — the same page whether or not the address has
a login; ops unlock in the admin or with `axes_reset`; the count ignores letter case."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

PASSWORD = "pass-Word-123"

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(make_account):
    return make_account("Acme")


def post_login(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def without_csrf(response):
    # the CSRF token is masked afresh on every page
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def fail(client, url, username, times, **extra):
    """`times` wrong passwords: the form again each time, except the one that reaches the
    limit, which is already the lockout page."""
    for i in range(times):
        response = post_login(client, url, username, "wrong-password", **extra)
        reached = i + 1 >= settings.AXES_FAILURE_LIMIT
        assert response.status_code == (429 if reached else 200)
    return response


def test_the_right_password_is_refused_after_five_wrong_ones(client, acme):
    _account, admin = acme
    url = reverse("login")

    fail(client, url, admin.email, settings.AXES_FAILURE_LIMIT - 1)
    # one failure short of the limit, the right password still logs in and starts afresh
    assert post_login(client, url, admin.email, PASSWORD).status_code == 302
    client.logout()

    fail(client, url, admin.email, settings.AXES_FAILURE_LIMIT)
    right = post_login(client, url, admin.email, PASSWORD)

    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    page = right.content.decode()
    assert "Try again in 15 minutes." in page
    assert right["Retry-After"] == "900"


def test_an_unknown_address_gets_the_same_lockout_page(client, acme):
    _account, admin = acme
    url = reverse("login")
    known = fail(client, url, admin.email, settings.AXES_FAILURE_LIMIT)
    unknown = fail(client, url, "nobody@nowhere.example", settings.AXES_FAILURE_LIMIT)

    assert known.status_code == unknown.status_code == 429
    assert without_csrf(known) == without_csrf(unknown)


def test_letter_case_does_not_buy_more_attempts(client, acme):
    _account, admin = acme
    url = reverse("login")
    for i in range(settings.AXES_FAILURE_LIMIT):
        spelled = admin.email.upper() if i % 2 else admin.email.title()
        post_login(client, url, spelled, "wrong-password")

    assert post_login(client, url, admin.email, PASSWORD).status_code == 429


def test_the_lockout_is_per_address_and_ip_so_others_are_not_locked_out(acme):
    _account, admin = acme
    url = reverse("login")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    fail(attacker, url, admin.email, settings.AXES_FAILURE_LIMIT)

    # the member, from their own network, still logs in
    member = Client(REMOTE_ADDR="198.51.100.20")
    assert post_login(member, url, admin.email, PASSWORD).status_code == 302
    # a forged X-Forwarded-For does not give the attacker a fresh address
    forged = post_login(attacker, url, admin.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert forged.status_code == 429


def test_the_admin_login_is_locked_out_too(client, db):
    get_user_model().objects.create_superuser("root@vendor.example", "root@vendor.example",
                                              PASSWORD)
    url = reverse("admin:login")
    fail(client, url, "root@vendor.example", settings.AXES_FAILURE_LIMIT)

    response = post_login(client, url, "root@vendor.example", PASSWORD)

    assert response.status_code == 429
    assert "Try again in 15 minutes." in response.content.decode()


def test_the_lockout_page_is_in_polish(client, acme):
    _account, admin = acme
    url = reverse("login")
    fail(client, url, admin.email, settings.AXES_FAILURE_LIMIT)

    response = post_login(client, url, admin.email, PASSWORD, HTTP_ACCEPT_LANGUAGE="pl")

    assert response.status_code == 429
    assert "Spróbuj ponownie za 15 minut." in response.content.decode()


def test_axes_reset_unlocks(client, acme):
    _account, admin = acme
    url = reverse("login")
    fail(client, url, admin.email, settings.AXES_FAILURE_LIMIT)
    assert post_login(client, url, admin.email, PASSWORD).status_code == 429

    call_command("axes_reset")

    assert post_login(client, url, admin.email, PASSWORD).status_code == 302


def test_staff_unlock_in_the_admin_by_deleting_the_attempt(client, acme):
    _account, admin = acme
    url = reverse("login")
    fail(client, url, admin.email, settings.AXES_FAILURE_LIMIT)
    root = get_user_model().objects.create_superuser("root@vendor.example",
                                                     "root@vendor.example", PASSWORD)
    attempt = AccessAttempt.objects.get(username=admin.email)
    ops = Client(REMOTE_ADDR="198.51.100.7")
    ops.force_login(root)

    listing = ops.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and admin.email in listing.content.decode()
    ops.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert not AccessAttempt.objects.exists()
    assert post_login(client, url, admin.email, PASSWORD).status_code == 302


@pytest.mark.parametrize(("language", "until"), [("en", "2:25 p.m."), ("pl", "14:25")])
def test_the_lockout_page_says_when_what_and_whom(client, acme, language, until):
    """Issues 12/13 item 5: the time the pause ends (14:10 Warsaw + 15 minutes) as the language
    writes times, the reset link, and the organisation's administrator to ask."""
    import time_machine

    _account, admin = acme
    with time_machine.travel("2026-11-16 14:10:00+01:00", tick=False):
        response = fail(Client(HTTP_ACCEPT_LANGUAGE=language), reverse("login"), admin.email,
                        settings.AXES_FAILURE_LIMIT, HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()
    assert until in page
    assert f'href="{reverse("password_reset")}"' in page
    if language == "en":
        assert "you can log in again from 2:25 p.m." in page
        assert "Ask your organisation&#x27;s administrator" in page or \
            "Ask your organisation's administrator" in page
        assert "operations team" not in page
    else:
        assert "zalogujesz się ponownie od 14:25" in page
        assert "Poproś o pomoc administratora swojej organizacji" in page


def test_the_admin_lockout_page_sends_staff_to_ops_and_names_the_day_past_midnight(client):
    import time_machine

    with time_machine.travel("2026-11-16 23:55:00+01:00", tick=False):
        response = fail(Client(), reverse("admin:login"), "ops@vendor.example",
                        settings.AXES_FAILURE_LIMIT)
    page = response.content.decode()
    assert "ask the vendor's operations team (ops)" in page
    assert "organisation's administrator" not in page
    assert "from 12:10 a.m. on Nov. 17, 2026" in page
