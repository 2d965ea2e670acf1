"""Every refusal DRF answers itself (401, 403, 404, 405, 406, 415, 429) has the project's error
shape `{"detail": <message>, "code": <stable code>}`, the message in the language of
Accept-Language (English by default)."""

import json

import pytest
from rest_framework.test import APIClient

from seats.models import MemberRole
from tests.helpers import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_account, make_member, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1000/min", "anon": "1000/min"},
    }
    account, admin = make_account("Acme")
    bob = make_member(account, "bob@acme.example", MemberRole.USER)
    return account, admin, bob


def _unauthenticated(world, headers):
    account, _admin, _bob = world
    return APIClient().get(f"/api/v1/accounts/{account.pk}/", **headers)


def _wrong_token(world, headers):
    account, _admin, _bob = world
    return APIClient().get(f"/api/v1/accounts/{account.pk}/",
                           HTTP_AUTHORIZATION=f"Token {7:040x}", **headers)


def _wrong_role(world, headers):
    account, _admin, bob = world
    return token_client(bob.user).get(f"/api/v1/accounts/{account.pk}/seats/", **headers)


def _not_found(world, headers):
    _account, admin, _bob = world
    return token_client(admin.user).get("/api/v1/accounts/987654/", **headers)


def _method(world, headers):
    account, admin, _bob = world
    return token_client(admin.user).delete(f"/api/v1/accounts/{account.pk}/", **headers)


def _not_acceptable(world, headers):
    account, admin, _bob = world
    return token_client(admin.user).get(f"/api/v1/accounts/{account.pk}/",
                                        HTTP_ACCEPT="text/csv", **headers)


def _media_type(world, headers):
    account, admin, _bob = world
    return token_client(admin.user).generic(
        "POST", f"/api/v1/accounts/{account.pk}/seats/", "count=1",
        content_type="text/plain", **headers)


def _throttled(world, headers, settings):
    account, admin, _bob = world
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"user": "1/min", "anon": "1/min"}}
    client = token_client(admin.user)
    client.get(f"/api/v1/accounts/{account.pk}/")
    return client.get(f"/api/v1/accounts/{account.pk}/", **headers)


CASES = {
    "401 no credentials": (_unauthenticated, 401, "not_authenticated",
                           "Authentication is needed: send an API token in the Authorization "
                           "header (“Token <key>”) or log in.",
                           "Wymagane jest uwierzytelnienie: wyślij token API w nagłówku "
                           "Authorization („Token <klucz>”) albo zaloguj się."),
    "401 wrong token": (_wrong_token, 401, "authentication_failed", "Invalid token.",
                        "Niepoprawny token."),
    "403": (_wrong_role, 403, "admin_only",
            "Only administrators of this organisation can manage its seats and users.", None),
    "404": (_not_found, 404, "not_found",
            "Not found: there is no such object, or it is not visible to you.",
            "Nie znaleziono: nie ma takiego obiektu albo nie masz do niego dostępu."),
    "405": (_method, 405, "method_not_allowed",
            "The method DELETE is not allowed at this address; allowed: GET.",
            "Metoda DELETE nie jest dozwolona pod tym adresem; dozwolone: GET."),
    "406": (_not_acceptable, 406, "not_acceptable",
            "The API answers in JSON only: accept application/json.",
            "API odpowiada wyłącznie w JSON: zaakceptuj application/json."),
    "415": (_media_type, 415, "unsupported_media_type",
            "The request body's content type “text/plain” is not accepted: send "
            "application/json.",
            "Typ treści żądania „text/plain” nie jest akceptowany: wyślij application/json."),
    "429": (_throttled, 429, "throttled", "Too many requests. Try again in 60 seconds.",
            "Zbyt wiele żądań. Spróbuj ponownie za 60 sekund."),
}


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("case", list(CASES))
def test_drf_refusals_have_the_error_shape_in_the_requested_language(world, settings, case,
                                                                      language):
    call, status, code, english, polish = CASES[case]
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language == "pl" else {}
    args = (world, headers, settings) if call is _throttled else (world, headers)

    response = call(*args)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"detail", "code"}
    assert body["code"] == code
    expected = english if language == "en" else polish
    if expected is not None:
        assert body["detail"] == expected
    else:  # the permission's own message, translated by our catalogue
        assert body["detail"] and (language == "en") == (body["detail"] == english)
    assert response["Content-Language"] == language
