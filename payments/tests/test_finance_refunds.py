"""The finance refunds page `/finance/refunds/` (SPEC §7, issue 9): finance staff find a payment
by order number or account name and refund it in full or in part through
`services.refund_create`; the payment then shows "partly refunded" / "refunded" here and on the
account's payments page. Card payments go through the real localstripe. Amounts: 2 never-paid
seats to the end of December = 217.71 PLN gross, paid on 2026-11-16."""

import re
from datetime import date, datetime
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from invoices.tests import billing_profile
from payments.models import Payment, PaymentMethod, PaymentStatus, Refund
from payments.services import payment_online_start, payment_transfer_start, transfer_book
from plans import services as plan_services
from plans.models import Order, OrderStatus
from seats import services as seat_services
from seats.models import MemberRole, Seat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

PAID_ON = date(2026, 11, 16)
URL = "/finance/refunds/"
IBAN = "PL61109010140000071219812874"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


def squashed(response):
    text = unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r"\s+", " ", text).strip()


def item(response, payment):
    """The text of one payment's block on the finance page."""
    html = response.content.decode()
    start = html.index(f'id="payment-{payment.pk}"')
    end = html.find("</article>", start)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html[start:end])))


@pytest.fixture
def shop(catalogue):
    """shop(name, method) → a succeeded payment of a renewal of 2 seats to the end of December,
    and the account's admin."""
    def _make(name="Acme", method=PaymentMethod.CARD):
        account = seat_services.account_create(name=name, package_code="base", country="PL",
                                                trial=False, actor=None, as_of=PAID_ON)
        admin = seat_services.member_invite(
            account=account, email=f"boss@{name.lower()}.example", role=MemberRole.ADMIN,
            actor=None, as_of=PAID_ON)
        seat_services.seats_add(account=account, count=1, actor=None, as_of=PAID_ON)
        billing_profile(account)
        order = plan_services.renewal_order_create(account=account, until=(2026, 12),
                                                   actor=None, as_of=PAID_ON)
        if method == PaymentMethod.TRANSFER:
            payment_transfer_start(order=order, actor=None, as_of=PAID_ON)
            payment = transfer_book(order=order, amount=order.gross, received_on=PAID_ON,
                                    reference="PF", actor=None, as_of=PAID_ON).payment
        else:
            payment = payment_online_start(order=order, method=method,
                                           payment_method="pm_card_visa", actor=None,
                                           as_of=PAID_ON)
        assert payment.status == PaymentStatus.SUCCEEDED
        assert payment.amount == Decimal("217.71")
        return payment, admin
    return _make


@pytest.fixture
def finance(db, client):
    user = get_user_model().objects.create_user(
        "refunds@vendor.example", "refunds@vendor.example", "pass-Word-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_refund"))
    client.force_login(user)
    return user


def refund(client, payment, q="", **fields):
    data = {"payment": payment.pk}
    data.update({f"payment-{payment.pk}-{name}": value for name, value in fields.items()})
    return client.post(URL + (f"?q={q}" if q else ""), data)


def seat_dates(account):
    return sorted(Seat.objects.filter(account=account).values_list("id", "valid_until",
                                                                   "paid_through"))


def test_only_finance_staff_who_may_refund_see_the_page(client, shop, staff, make_member):
    payment, admin = shop()
    client.force_login(admin.user)  # an account admin
    assert client.get(URL).status_code == 403
    assert refund(client, payment, reason="x").status_code == 403
    member = make_member(payment.account, "user@acme.example", as_of=PAID_ON)
    client.force_login(member.user)
    assert client.get(URL).status_code == 403
    client.force_login(staff)  # staff, but not allowed to refund
    assert client.get(URL).status_code == 403
    assert refund(client, payment, reason="x").status_code == 403
    client.logout()
    assert client.get(URL)["Location"].startswith("/login/")
    assert not Refund.objects.exists()
    # the staff menu links to it for those who may use it only
    client.force_login(staff)
    assert f'href="{URL}"' not in client.get("/admin/").content.decode()


def test_a_part_refund_issues_a_correction_and_the_payment_shows_partly_refunded(
        client, shop, finance):
    payment, admin = shop()
    before = seat_dates(payment.account)
    page = client.get(URL)
    assert page.status_code == 200
    assert f'href="{URL}" aria-current="page"' in page.content.decode()
    assert "Still refundable 217.71 PLN." in item(page, payment)
    assert "bank_account" not in item(page, payment)  # a card: refunded through Stripe

    done = refund(client, payment, amount="50,00", reason="Seat unused for a week")

    assert done.status_code == 302
    made = Refund.objects.get(payment=payment)
    assert (made.amount, made.full, made.created_by) == (Decimal("50.00"), False, finance)
    assert made.stripe_refund.startswith("re_")
    assert made.correction is not None and made.correction.number
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PARTLY_REFUNDED
    assert seat_dates(payment.account) == before  # a part refund keeps the seats
    page = client.get(done["Location"])
    shown = squashed(page)
    assert (f"Refunded 50.00 PLN of payment #{payment.pk} (order #{payment.order_id}, Acme); "
            f"corrective invoice {made.correction.number}.") in shown
    assert "partly refunded 217.71 PLN" in item(page, payment)
    assert "Refunded so far 50.00 PLN; still refundable 167.71 PLN." in item(page, payment)
    assert "Seat unused for a week" in shown and made.correction.number in shown
    assert Payment.objects.get(pk=payment.pk).refund_state == "partly_refunded"

    # the account's admin sees it on the payments page too
    client.force_login(admin.user)
    account_page = client.get("/account/payments/").content.decode()
    assert re.search(r'data-testid="payment-status">Partly refunded<', account_page)


def test_the_rest_refunded_with_an_empty_amount_makes_the_payment_refunded(client, shop,
                                                                           finance):
    payment, _admin = shop()
    assert refund(client, payment, amount="17.71", reason="Discount").status_code == 302
    assert refund(client, payment, amount="", reason="Cancelled").status_code == 302

    assert Refund.objects.get(payment=payment, full=True).amount == Decimal("200.00")
    assert Payment.objects.get(pk=payment.pk).refund_state == "refunded"
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.REFUNDED
    page = client.get(URL)
    assert "refunded 217.71 PLN" in item(page, payment)
    assert f'name="payment-{payment.pk}-reason"' not in page.content.decode()  # nothing left

    again = refund(client, payment, reason="Once more")  # a stale form: the service refuses
    assert again.status_code == 409
    assert "This payment has already been refunded in full." in squashed(again)
    assert Refund.objects.filter(payment=payment).count() == 2


def test_an_over_refund_shows_the_services_message_and_changes_nothing(client, shop, finance):
    payment, _admin = shop()
    before = seat_dates(payment.account)

    refused = refund(client, payment, amount="300.00", reason="Too generous")

    assert refused.status_code == 400
    block = item(refused, payment)
    assert "At most 217.71 PLN of this payment can still be refunded." in block
    assert re.search(r'class="field field-invalid">\s*<label for="id_payment-\d+-amount"',
                     refused.content.decode())
    assert not Refund.objects.exists()
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID
    assert seat_dates(payment.account) == before
    assert Payment.objects.get(pk=payment.pk).refund_state == ""


def test_a_refund_needs_a_reason_and_a_sensible_amount(client, shop, finance):
    payment, _admin = shop()
    no_reason = refund(client, payment, amount="10")
    words = refund(client, payment, amount="ten", reason="x")
    assert (no_reason.status_code, words.status_code) == (400, 400)
    assert "Give the reason for the refund." in item(no_reason, payment)
    assert "Enter the amount as a number, e.g. 123.45." in item(words, payment)
    assert client.post(URL, {"payment": "x"}).status_code == 404
    assert client.post(URL, {"payment": "9" * 30}).status_code == 404
    assert not Refund.objects.exists()


def test_a_transfer_payment_without_a_bank_account_is_refused_on_the_field(client, shop,
                                                                         finance):
    payment, _admin = shop(method=PaymentMethod.TRANSFER)
    page = client.get(URL)
    assert f'name="payment-{payment.pk}-bank_account"' in page.content.decode()

    refused = refund(client, payment, amount="10.00", reason="Paid twice")

    assert refused.status_code == 400
    assert re.search(r'class="field field-invalid">\s*<label for="id_payment-\d+-bank_account"',
                     refused.content.decode())
    assert "Enter the bank account the refund is sent to." in item(refused, payment)
    assert not Refund.objects.exists()

    done = refund(client, payment, amount="10.00", reason="Paid twice", bank_account=IBAN)
    assert done.status_code == 302
    assert Refund.objects.get(payment=payment).bank_account == IBAN


def test_the_search_finds_by_order_number_or_account_name(client, shop, finance):
    acme, _ = shop("Acme")
    globex, _ = shop("Globex")

    def shown(q):
        html = client.get(URL, {"q": q}).content.decode()
        return {int(pk) for pk in re.findall(r'data-payment="(\d+)"', html)}

    assert shown("") == {acme.pk, globex.pk}
    assert shown(str(globex.order_id)) == {globex.pk}
    assert shown(f"#{acme.order_id}") == {acme.pk}
    assert shown("glob") == {globex.pk}
    assert shown("nobody") == set()
    assert shown("9" * 40) == set()  # not an order number anyone has, and no error
    # a refund from a search result comes back to the same search
    done = refund(client, globex, q="Globex", amount="1.00", reason="Goodwill")
    assert done["Location"] == f"{URL}?q=Globex#payment-{globex.pk}"
