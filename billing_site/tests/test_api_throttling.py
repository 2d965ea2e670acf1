"""API throttling (issue 13, item 1): per user (token or session) and per IP address for
anonymous callers, rates from settings; the excess is a 429 in the project's JSON error shape,
translated, with Retry-After; the counters are in the shared cache (Redis), so two processes
share them."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.test import APIClient

from tests.helpers import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/min", "anon": "2/min"},
    }


@pytest.fixture
def acme(make_account):
    return make_account("Acme")


def test_a_token_over_its_rate_gets_a_translated_429_with_retry_after(low_rates, acme):
    account, admin = acme
    client = token_client(admin.user)
    url = f"/api/v1/accounts/{account.pk}/"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]

    refused = client.get(url)
    polish = client.get(url, HTTP_ACCEPT_LANGUAGE="pl")

    assert refused.status_code == 429
    assert refused.json() == {"detail": "Too many requests. Try again in 60 seconds.",
                              "code": "throttled"}
    assert refused["Retry-After"] == "60"
    assert polish.status_code == 429
    assert polish.json()["detail"] == "Zbyt wiele żądań. Spróbuj ponownie za 60 sekund."


def test_the_user_rate_is_per_user_not_shared(low_rates, acme, make_account):
    account, admin = acme
    other_account, other_admin = make_account("Globex")
    client = token_client(admin.user)
    for _ in range(4):
        client.get(f"/api/v1/accounts/{account.pk}/")

    other = token_client(other_admin.user).get(f"/api/v1/accounts/{other_account.pk}/")

    assert other.status_code == 200


def test_wrong_tokens_are_throttled_per_ip(low_rates, db):
    attacker = APIClient(REMOTE_ADDR="203.0.113.9")
    codes = [attacker.get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {i:040x}").status_code
             for i in range(3)]
    # a forged X-Forwarded-For does not buy a fresh address (no trusted proxy configured)
    forged = attacker.get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {9:040x}",
                          HTTP_X_FORWARDED_FOR="192.0.2.77")
    someone_else = APIClient(REMOTE_ADDR="198.51.100.4").get(
        "/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {9:040x}")

    assert codes == [401, 401, 429]  # guessing tokens stops after the anonymous rate
    assert forged.status_code == 429
    assert someone_else.status_code == 401


def test_default_rates_do_not_get_in_a_real_clients_way(acme):
    account, admin = acme
    client = token_client(admin.user)

    codes = {client.get(f"/api/v1/accounts/{account.pk}/").status_code for _ in range(100)}

    assert codes == {200}


def test_the_throttle_counts_in_the_shared_redis_cache(settings):
    # every web process must see the same counts: not a per-process memory cache
    assert isinstance(caches["default"], RedisCache)
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL


def test_anonymous_requests_without_a_token_are_throttled_per_ip(low_rates, acme):
    account, _admin = acme
    anonymous = APIClient(REMOTE_ADDR="203.0.113.20")
    url = f"/api/v1/accounts/{account.pk}/"

    codes = [anonymous.get(url).status_code for _ in range(2)]  # the anonymous rate: 2/min
    refused = anonymous.get(url)
    polish = anonymous.get(url, HTTP_ACCEPT_LANGUAGE="pl")
    elsewhere = APIClient(REMOTE_ADDR="198.51.100.20").get(url)

    assert codes == [401, 401]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused.json() == {"detail": "Too many requests. Try again in 60 seconds.",
                              "code": "throttled"}
    assert refused["Retry-After"] == "60"
    assert polish.json() == {"detail": "Zbyt wiele żądań. Spróbuj ponownie za 60 sekund.",
                             "code": "throttled"}
    assert elsewhere.status_code == 401  # counted per IP address


def test_an_anonymous_request_is_counted_once(low_rates, db):
    # the schema is public: the counting authentication and DRF's own anonymous throttle both
    # run for it, and must not count the one request twice
    anonymous = APIClient(REMOTE_ADDR="203.0.113.21")

    codes = [anonymous.get("/api/schema/").status_code for _ in range(3)]

    assert codes == [200, 200, 429]
