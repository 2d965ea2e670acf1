"""Issue 12, item 3: every amount on the money pages follows the active language through
`billing_site.formatting`. Each page is rendered in Polish and in English, and its visible text is
searched for an amount written with the other language's decimal separator ("0.00 PLN" on a
Polish page, "59,00" on an English one); dates are the language's long dates, never ISO."""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client

from billing_site.dates import end_of_month, today
from invoices.tests import billing_profile
from invoices.tests.factories import issued_document
from plans.services import renewal_order_create
from seats.models import Seat
from seats.tests.helpers import seats_pay_through

pytestmark = pytest.mark.django_db

# an amount as English writes it (59.00, 1,416.00) and as Polish does (59,00, 1 416,00)
ENGLISH_AMOUNT = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d.,])")
POLISH_AMOUNT = re.compile(r"(?<![\d.,])\d{1,3}(?:\xa0\d{3})*,\d{2}(?![\d.,])")
ISO_DATE = re.compile(r"(?<![\d/-])\d{4}-\d{2}-\d{2}(?![\d/-])")


@pytest.fixture
def acme(make_account):
    as_of = today()
    account, admin = make_account("Acme", as_of=as_of, extra_seats=2)
    seats_pay_through(Seat.objects.filter(account=account), end_of_month(as_of), as_of=as_of)
    billing_profile(account)
    target = end_of_month(as_of) + timedelta(days=330)  # 12 months: over 1 000 PLN
    order = renewal_order_create(account=account, until=(target.year, target.month),
                                 actor=admin.user, as_of=as_of)
    issued_document(account, issue_date=as_of)
    return account, admin, order


def visible_text(response):
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(body)


def pages(order):
    return {"renew": "/account/renew/", "renew-12": "/account/renew/?until=other&other_month="
            + order.quote["valid_until"][:7] + "&add_seats=0&addon_chatbot=1",
            "order": f"/account/orders/{order.pk}/", "pay": f"/account/orders/{order.pk}/pay/",
            "history": "/account/history/", "invoice-data": "/account/invoice-data/",
            "account-payments": "/account/payments/", "package": "/account/package/"}


@pytest.mark.parametrize("language", ["pl", "en"])
def test_amounts_and_dates_follow_the_language_of_the_page(acme, language):
    _account, admin, order = acme
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(admin.user)
    wrong, right = ((ENGLISH_AMOUNT, POLISH_AMOUNT) if language == "pl"
                    else (POLISH_AMOUNT, ENGLISH_AMOUNT))
    seen = 0
    for name, url in pages(order).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response.headers["Content-Language"] == language
        text = visible_text(response)
        assert wrong.findall(text) == [], f"{name} ({language}): the other language's amounts"
        assert ISO_DATE.findall(text) == [], f"{name} ({language}): ISO dates"
        assert "{#" not in text and "{%" not in text, f"{name}: template syntax shown"
        seen += len(right.findall(text))
    assert seen > 20  # the pages do show amounts, in this language


def test_polish_pages_group_thousands_and_translate_nothing_back(acme):
    _account, admin, order = acme
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(admin.user)
    text = visible_text(client.get(f"/account/orders/{order.pk}/"))
    assert re.search(r"\d\xa0\d{3},\d{2}\xa0PLN", text)  # "2 275,07 PLN"
