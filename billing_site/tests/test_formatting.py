"""One formatting helper for amounts, percents and dates (issue 12, item 3), and the API's
language: `Accept-Language`, English by default, one language per response."""

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from billing_site import formatting
from billing_site.api_language import api_language

NBSP = "\xa0"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "1,416.50 PLN"), ("pl", f"1{NBSP}416,50{NBSP}PLN"),
])
def test_money_follows_the_active_language(language, expected):
    with translation.override(language):
        assert formatting.money(Decimal("1416.5"), "PLN").replace(NBSP, " ") == \
            expected.replace(NBSP, " ")
        assert formatting.money("1416.50", "PLN") == formatting.money(Decimal("1416.50"), "PLN")


def test_small_amounts_percents_and_empty_values():
    with translation.override("pl"):
        assert formatting.amount("0.00") == "0,00"
        assert formatting.amount("-35.4") == "-35,40"
        assert formatting.percent("7.50") == "7,5"
        assert formatting.percent("23.00") == "23"
        assert formatting.amount(None) == "" and formatting.amount("—") == ""
    with translation.override("en"):
        assert formatting.amount("0") == "0.00"
        assert formatting.percent("5.00") == "5"


def test_day_is_the_long_date_of_the_active_language():
    with translation.override("en"):
        assert formatting.day(date(2026, 12, 31)) == "Dec. 31, 2026"
        assert formatting.day("2026-12-31") == "Dec. 31, 2026"  # stored quotes hold ISO dates
    with translation.override("pl"):
        assert formatting.day(date(2026, 12, 31)) == "31 grudnia 2026"
    assert formatting.day(None) == ""


def test_template_filters():
    template = Template("{% load formatting %}{{ a|money:c }} {{ a|amount }} {{ p|percent }} "
                        "{{ d|day }}")
    with translation.override("pl"):
        out = template.render(Context({"a": Decimal("59"), "c": "PLN", "p": "5.00",
                                       "d": date(2026, 1, 2)}))
    assert out.replace(NBSP, " ") == "59,00 PLN 59,00 5 2 stycznia 2026"


# --- the API's language ---------------------------------------------------------------------


@pytest.mark.parametrize(("header", "language"), [
    ("", "en"), ("pl", "pl"), ("pl-PL,pl;q=0.9,en;q=0.8", "pl"), ("de-DE,en;q=0.5", "en"),
    ("de", "en"), ("en-GB", "en"), ("*", "en"),
])
def test_api_language_comes_from_accept_language_with_english_by_default(header, language):
    assert api_language(header) == language


@pytest.fixture
def admin_api(make_account):
    from tests.helpers import token_client

    account, admin = make_account("Acme")
    return account, token_client(admin.user)


@pytest.mark.django_db
def test_api_errors_are_in_one_language_polish_when_asked(admin_api, settings):
    settings.LANGUAGE_CODE = "pl"  # the pages' default: the API must not follow it
    account, client = admin_api
    url = f"/api/v1/accounts/{account.pk}/renewal-quote/"

    polish = client.post(url, {"until": "not a month", "add_seats": "x"}, format="json",
                         HTTP_ACCEPT_LANGUAGE="pl").json()
    english = client.post(url, {"until": "not a month", "add_seats": "x"}, format="json").json()

    assert polish["detail"] == "Nieprawidłowe dane."
    assert english["detail"] == "Invalid input."
    assert english["add_seats"] == ["A valid integer is required."]
    assert "liczb" in polish["add_seats"][0].lower()  # DRF's own message, in Polish


@pytest.mark.django_db
def test_the_page_language_cookie_does_not_change_the_api_language(admin_api, settings):
    settings.LANGUAGE_CODE = "pl"
    account, client = admin_api
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"
    response = client.get(f"/api/v1/accounts/{account.pk + 999}/entitlements/")
    assert response.status_code in (403, 404)
    assert response["Content-Language"] == "en"
    with translation.override("en"):
        assert response.json()["detail"].isascii()


@pytest.mark.parametrize(("language", "month", "weekday"), [
    ("en", "December 2026", "Saturday"), ("pl", "grudzień 2026", "sobota"),
])
def test_month_and_weekday_names_as_written_mid_sentence(language, month, weekday):
    """Polish month and weekday names are lower case ("Czas wykorzystany: grudzień 2026", QA);
    Django's Polish catalogue capitalises them."""
    with translation.override(language):
        assert formatting.month("2026-12") == month
        assert formatting.weekday(date(2026, 12, 5)) == weekday
