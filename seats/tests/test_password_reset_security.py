"""Password reset (issue 13, items 1 and 2): the e-mailed link is built from SITE_URL, never
from the request's Host header; at most PASSWORD_RESET_LIMIT e-mails per address per hour — the
excess answers like any request but sends nothing, and logs one line."""

import logging
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(make_account):
    return make_account("Acme")


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://billing.example.com"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]


def test_the_reset_link_points_at_site_url_whatever_the_host_header(client, acme, site,
                                                                    mailoutbox):
    _account, admin = acme

    response = client.post(reverse("password_reset"), {"email": admin.email},
                           HTTP_HOST="evil.example")

    assert response.status_code == 302
    [message] = mailoutbox
    [link] = re.findall(r"\S+/reset/\S+/", message.body)
    assert link.startswith("https://billing.example.com/reset/")
    assert "evil.example" not in message.body


def test_a_forwarded_host_does_not_reach_the_link_either(client, acme, site, settings,
                                                         mailoutbox):
    settings.USE_X_FORWARDED_HOST = True
    _account, admin = acme

    client.post(reverse("password_reset"), {"email": admin.email},
                HTTP_X_FORWARDED_HOST="evil.example")

    assert "https://billing.example.com/reset/" in mailoutbox[0].body
    assert "evil.example" not in mailoutbox[0].body


def test_reset_e_mails_per_address_are_limited_and_the_excess_looks_the_same(
        client, acme, settings, mailoutbox, caplog):
    _account, admin = acme
    count, _seconds = settings.PASSWORD_RESET_LIMIT

    answers = [client.post(reverse("password_reset"), {"email": admin.email.upper()})
               for _ in range(count + 2)]

    assert len(mailoutbox) == count == 3
    assert {(r.status_code, r["Location"]) for r in answers} == {
        (302, reverse("password_reset_done"))}
    refusals = [r for r in caplog.records if r.name == "billing_site.ratelimit"]
    assert len(refusals) == 2
    assert refusals[0].getMessage().startswith(f"Rate limited password_reset for "
                                               f"{admin.email.upper()}")
    assert "\n" not in refusals[0].getMessage()
    assert refusals[0].levelno == logging.WARNING


def test_the_limit_is_per_address(client, acme, make_member, settings, mailoutbox):
    account, admin = acme
    colleague = make_member(account, "colleague@acme.example")
    count, _seconds = settings.PASSWORD_RESET_LIMIT
    for _ in range(count + 1):
        client.post(reverse("password_reset"), {"email": admin.email})

    client.post(reverse("password_reset"), {"email": colleague.email})

    assert [m.to for m in mailoutbox].count([colleague.email]) == 1


def test_unknown_addresses_count_too_and_answer_the_same(client, db, settings, mailoutbox):
    count, _seconds = settings.PASSWORD_RESET_LIMIT

    answers = {client.post(reverse("password_reset"),
                           {"email": "nobody@nowhere.example"})["Location"]
               for _ in range(count + 1)}

    assert answers == {reverse("password_reset_done")}
    assert mailoutbox == []
