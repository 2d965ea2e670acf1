"""Issues 12/13, item 3: the "address already has a login" note sent on a sign-up is written in
the language of the sign-up request, and says what that login can do: a sign-up not confirmed
yet uses its confirmation link or asks for a new one (it cannot log in yet); a confirmed login
logs in or resets its password; a vendor staff login is told it is a staff login. Both parts
(text and HTML) are checked, in English and Polish."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

RESEND = "http://localhost:8000/signup/resend/"
LOGIN = "http://localhost:8000/login/"
RESET = "http://localhost:8000/password-reset/"


def sign_up(email, language, organisation="Umbrella"):
    return Client().post(reverse("signup"), {
        "organisation": organisation, "email": email, "password": "Sturdy-Password-77",
        "country": "PL", "package": "base"}, HTTP_ACCEPT_LANGUAGE=language)


def note_to(email, language, mailoutbox, capture):
    mailoutbox.clear()
    with capture(execute=True):
        answer = sign_up(email, language, organisation="Second try")
    assert answer["Location"] == reverse("signup_done")
    [message] = mailoutbox
    assert message.to == [email] and "/signup/confirm/" not in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and f'<html lang="{language}">' in html
    return message.subject, message.body, html


def flat(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


UNCONFIRMED = {
    "en": ("Someone tried to sign up for Seat Billing with your address",
           "A sign-up with this address is already waiting for the address to be confirmed, "
           "so no second account was created.",
           "If it was you, open the link in the first e-mail we sent to confirm your address, "
           "or ask for a new link here:"),
    "pl": ("Ktoś próbował zarejestrować się w Seat Billing Twoim adresem",
           "Rejestracja z tym adresem czeka już na potwierdzenie adresu, więc nie utworzono "
           "drugiego konta.",
           "Jeśli to Ty, otwórz link z pierwszej wiadomości, którą wysłaliśmy, aby potwierdzić "
           "adres, albo poproś tutaj o nowy link:"),
}


@pytest.mark.parametrize("language", ["en", "pl"])
def test_an_unconfirmed_sign_up_is_told_to_confirm_or_ask_for_a_new_link(
        catalogue, language, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up("founder@umbrella.example", "en")

    subject, text, html = note_to("founder@umbrella.example", language, mailoutbox,
                                  django_capture_on_commit_callbacks)

    subject_words, situation, next_step = UNCONFIRMED[language]
    assert subject == subject_words
    for body in (text, flat(html)):
        assert situation in body and next_step in body and RESEND in body
        # it cannot log in yet: no "log in" advice, no login or reset link
        assert LOGIN not in body and RESET not in body
        assert "log in" not in body.lower() and "zaloguj" not in body.lower()
    assert f'<a href="{RESEND}">{RESEND}</a>' in html
    if language == "pl":
        assert "Someone tried" not in text and "Someone tried" not in html


CONFIRMED = {
    "en": ("If it was you, log in with your e-mail address:",
           "Forgotten your password? Set a new one here:"),
    "pl": ("Jeśli to Ty, zaloguj się swoim adresem e-mail:",
           "Nie pamiętasz hasła? Ustaw nowe tutaj:"),
}


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_confirmed_login_is_told_to_log_in_or_reset_in_the_sign_ups_language(
        make_account, language, mailoutbox, django_capture_on_commit_callbacks):
    # Globex is in Germany: the owner's language would be English; the sign-up's counts
    make_account("Globex", country="DE", admin_email="boss@globex.example")

    _subject, text, html = note_to("boss@globex.example", language, mailoutbox,
                                   django_capture_on_commit_callbacks)

    log_in, reset = CONFIRMED[language]
    for body in (text, flat(html)):
        assert log_in in body and LOGIN in body and reset in body and RESET in body
        assert RESEND not in body
    assert f'<a href="{LOGIN}">{LOGIN}</a>' in html


@pytest.mark.parametrize(("language", "words"), [
    ("en", "It is a vendor staff login, so no customer account was created"),
    ("pl", "To login pracownika dostawcy, więc nie utworzono konta klienta"),
])
def test_a_staff_login_is_told_it_is_a_staff_login(db, catalogue, django_user_model, language,
                                                   words, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    django_user_model.objects.create_user("ops@vendor.example", "ops@vendor.example",
                                          "pass-Word-123", is_staff=True)

    _subject, text, html = note_to("ops@vendor.example", language, mailoutbox,
                                   django_capture_on_commit_callbacks)

    assert words in text and words in flat(html)
    assert "already has a login" not in text
