"""Sign-up and invitations (issue 12, item 9): the country is a select named in the active
language; the invitation e-mail has a plain-text part (not HTML-escaped) and an HTML part, in
the inviter's language (the recipient's is not known)."""

import re
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from seats import services
from seats.models import Account, Member, MemberRole

TODAY = date(2026, 11, 16)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True


def options(page):
    select = re.search(r'<select name="country"[^>]*>(.*?)</select>', page, re.S).group(1)
    return dict((code, name) for code, name in
                re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]+)</option>', select))


@pytest.mark.parametrize("lang,germany,poland", [("en", "Germany", "Poland"),
                                                  ("pl", "Niemcy", "Polska")])
def test_signup_country_is_a_select_named_in_the_active_language(client, lang, germany, poland):
    page = client.get(reverse("signup"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()

    countries = options(page)
    assert (countries["DE"], countries["PL"]) == (germany, poland)
    assert re.search(r'<option value="PL"[^>]*selected', page)


def test_signup_with_a_chosen_country_sets_it_and_its_currency(client):
    response = client.post(reverse("signup"), {
        "organisation": "Umbrella", "email": "founder@umbrella.example",
        "password": "Sturdy-Password-77", "country": "DE", "package": "base"})

    assert response.status_code == 302
    account = Account.objects.get(name="Umbrella")
    assert (account.country, account.currency) == ("DE", "EUR")


@pytest.fixture
def smith(make_account):
    return make_account("Smith & Jones <Sp. z o.o.>", trial=True, as_of=TODAY,
                        admin_email="admin@smith.example")


def send_invitation_in(language, account, admin, django_capture_on_commit_callbacks):
    with translation.override(language), django_capture_on_commit_callbacks(execute=True):
        services.member_invite(account=account, email="new@smith.example",
                               role=MemberRole.USER, actor=admin.user, as_of=TODAY)
    [message] = [m for m in mail.outbox if m.to == ["new@smith.example"]]
    return message


@pytest.mark.parametrize("lang,greeting,login", [
    ("en", "You have been added to Smith & Jones <Sp. z o.o.> in Seat Billing.",
     "Your login is your e-mail address: new@smith.example"),
    ("pl", "Smith & Jones <Sp. z o.o.>", "new@smith.example"),
])
def test_the_invitation_has_a_plain_text_and_an_html_part_in_the_inviters_language(
        smith, django_capture_on_commit_callbacks, lang, greeting, login):
    account, admin = smith

    message = send_invitation_in(lang, account, admin, django_capture_on_commit_callbacks)

    text_body = message.body
    [(html_body, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    # plain text: the name exactly as typed, never HTML-escaped
    assert greeting in text_body and login in text_body
    assert "&amp;" not in text_body and "&lt;" not in text_body
    # HTML: escaped, with the link as a link
    assert "Smith &amp; Jones &lt;Sp. z o.o.&gt;" in html_body
    member = Member.objects.get(user__username="new@smith.example")
    link = re.search(r"https?://\S+/reset/\S+/", text_body).group(0)
    assert f'href="{link}"' in html_body and member.email in html_body
    with translation.override(lang):
        expected_subject = translation.gettext("You have been invited to %(account)s") % {
            "account": account.name}
    assert message.subject == expected_subject
    if lang == "pl":
        # the Polish catalogue's words, not the English ones
        assert "You have been added" not in text_body
        assert "Your login is your e-mail address" not in text_body
        assert 'lang="pl"' in html_body
    else:
        assert 'lang="en"' in html_body
