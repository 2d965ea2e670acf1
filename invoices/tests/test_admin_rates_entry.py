"""Finance staff see documents and exchange rates in the admin and enter a missing NBP rate there
(issue 12, item 6): the demo's finance group may add and view rates; an entry is validated —
above zero, at most 6 decimals, a business day not after today, one per currency and day."""

import html
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from invoices.models import ExchangeRate, RateSource

pytestmark = pytest.mark.django_db

ADD = reverse("admin:invoices_exchangerate_add")
# Wednesday 18 November 2026, afternoon in Warsaw
NOW = datetime(2026, 11, 18, 14, tzinfo=ZoneInfo("Europe/Warsaw"))


@pytest.fixture
def finance(client, catalogue):
    with time_machine.travel(NOW, tick=False):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        client.force_login(get_user_model().objects.get(username="finance@vendor.example"))
        yield client


def errors(response):
    body = response.content.decode()
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", " ", e).split()))
            for e in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S)]


def post(client, **fields):
    data = {"currency": "EUR", "effective_date": "2026-11-17", "rate": "4.2512",
            "table_number": "222/A/NBP/2026", **fields}
    return client.post(ADD, data)


def test_finance_sees_documents_and_rates_in_the_admin(finance):
    index = finance.get(reverse("admin:index")).content.decode()
    assert reverse("admin:invoices_document_changelist") in index
    assert reverse("admin:invoices_exchangerate_changelist") in index
    assert finance.get(reverse("admin:invoices_document_changelist")).status_code == 200
    assert finance.get(reverse("admin:invoices_exchangerate_changelist")).status_code == 200
    assert finance.get(ADD).status_code == 200


def test_finance_enters_a_missing_rate(finance):
    response = post(finance)

    assert response.status_code == 302, errors(response)
    rate = ExchangeRate.objects.get(currency="EUR", effective_date=date(2026, 11, 17))
    assert (rate.rate, rate.source) == (Decimal("4.2512"), RateSource.MANUAL)


@pytest.mark.parametrize(("fields", "message"), [
    ({"rate": "0"}, "The rate must be greater than zero."),
    ({"rate": "-4.25"}, "The rate must be greater than zero."),
    ({"rate": "4.1234567"}, "Ensure that there are no more than 6 decimal places."),
    ({"effective_date": "2026-11-19"},
     "The date Nov. 19, 2026 is in the future: NBP has not published that rate yet."),
    ({"effective_date": "2026-11-14"},
     "Nov. 14, 2026 is not a business day: NBP publishes no table on weekends and holidays."),
    ({"effective_date": "2026-11-11"},  # Independence Day
     "Nov. 11, 2026 is not a business day: NBP publishes no table on weekends and holidays."),
    ({"currency": "PLN"}, "Select a valid choice. PLN is not one of the available choices."),
])
def test_an_invalid_rate_is_refused_with_a_reason(finance, fields, message):
    with time_machine.travel(NOW, tick=False):
        response = post(finance, **fields)

    assert response.status_code == 200
    assert message in errors(response)
    assert not ExchangeRate.objects.exists()


def test_one_rate_per_currency_and_day(finance):
    with time_machine.travel(NOW, tick=False):
        assert post(finance).status_code == 302
        response = post(finance, rate="4.3000")

    assert response.status_code == 200
    assert errors(response) == [
        "There already is a EUR rate for Nov. 17, 2026 (4.251200, source: entered by staff). One "
        "rate per currency and day: correct that one instead."]
    assert ExchangeRate.objects.get().rate == Decimal("4.2512")
    # another currency the same day is fine
    with time_machine.travel(NOW, tick=False):
        assert post(finance, currency="USD", rate="3.98").status_code == 302


def test_a_superuser_corrects_an_entered_rate(admin_client):
    with time_machine.travel(NOW, tick=False):
        assert post(admin_client).status_code == 302
        rate = ExchangeRate.objects.get()
        response = admin_client.post(
            reverse("admin:invoices_exchangerate_change", args=[rate.pk]),
            {"rate": "4.2600", "table_number": "222/A/NBP/2026"})

    assert response.status_code == 302, errors(response)
    assert ExchangeRate.objects.get().rate == Decimal("4.26")


def test_finance_may_not_change_a_rate(finance):
    with time_machine.travel(NOW, tick=False):
        assert post(finance).status_code == 302
        rate = ExchangeRate.objects.get()
        response = finance.post(
            reverse("admin:invoices_exchangerate_change", args=[rate.pk]),
            {"rate": "9.99", "table_number": ""})

    assert response.status_code == 403
    assert ExchangeRate.objects.get().rate == Decimal("4.2512")
