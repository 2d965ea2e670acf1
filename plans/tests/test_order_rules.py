"""Issue 7 rules on orders: the VAT treatment is decided once from the buyer's invoice data and the
quote, the order and its pro-forma agree on it for every buyer type of SPEC §7; a pending order is
void once what it was priced on changes, and expires after its window; order status moves only
along the transition table, and two connections racing for one order cannot both win."""

import html
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from billing_site.errors import DomainError
from invoices.models import BillingProfile
from invoices.services.documents import proforma_issue_for_order
from invoices.services.profile import billing_profile_update
from invoices.tests import billing_profile
from plans import services
from plans.models import Order, OrderStatus
from plans.tasks import refresh_orders
from seats import services as seat_services
from seats.models import Account, AuditEntry

D = Decimal
AS_OF = date(2026, 11, 16)


def account_in(country, *, profile=True, **profile_fields):
    """An account in `country` with two never-paid seats added on AS_OF, valid until 30 Nov."""
    account = seat_services.account_create(name="Buyer", package_code="base", country=country,
                                            trial=False, actor=None, as_of=AS_OF)
    seat_services.seats_add(account=account, count=2, actor=None, as_of=AS_OF)
    if profile:
        billing_profile(account, country=country, **profile_fields)
    return Account.objects.get(pk=account.pk)


# --- SPEC §7: one VAT treatment for the quote, the order and the pro-forma ----------------------


BUYERS = {
    # id: (country, profile fields or None for no invoice data, vat code, reason)
    "pl-company": ("PL", {}, "23", "domestic"),
    "pl-person": ("PL", {"kind": "person", "tax_id": "", "tax_id_status": "n/a"}, "23",
                  "domestic"),
    "de-company-vies-valid": ("DE", {}, "reverse_charge", "reverse_charge"),
    "de-company-vies-pending": ("DE", {"tax_id_status": "pending"}, "23", "vies_pending"),
    "de-company-vies-invalid": ("DE", {"tax_id_status": "invalid"}, "23", "vies_invalid"),
    "de-company-no-vat-id": ("DE", {"tax_id": "", "tax_id_status": "n/a"}, "23",
                             "eu_no_vat_id"),
    "de-no-invoice-data": ("DE", None, "23", "no_invoice_data"),
    "us-company": ("US", {}, "np", "outside_eu"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("buyer", list(BUYERS))
def test_quote_order_and_proforma_agree_on_the_vat_treatment_of_every_buyer_type(catalogue,
                                                                                 client, buyer):
    country, fields, code, reason = BUYERS[buyer]
    account = account_in(country, profile=fields is not None, **(fields or {}))
    admin = seat_services.member_invite(account=account, email="boss@buyer.example",
                                        role="admin", actor=None, as_of=AS_OF)
    client.force_login(admin.user)
    with time_machine.travel(datetime(2026, 11, 16, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        page = client.get("/account/renew/", {"until": "2026-12"}).content.decode()
        api = client.post(f"/api/v1/accounts/{account.pk}/renewal-quote/", {"until": "2026-12"},
                          content_type="application/json").json()

    quote = services.quote_json(services.renewal_quote(account=account, until=(2026, 12),
                                                       as_of=AS_OF), account.currency)
    order = services.renewal_order_create(account=account, until=(2026, 12), actor=None,
                                          as_of=AS_OF)

    assert (quote["vat_code"], quote["vat_reason"]) == (code, reason)
    assert quote["vat_note"] and quote["vat_note"] in html.unescape(page)
    assert api == quote  # the Renew page, the API and the order quote the same
    assert (order.quote["vat_code"], str(order.gross)) == (code, quote["gross"])
    if fields is None:  # no invoice data, no pro-forma: the service asks for them
        with pytest.raises(DomainError, match="Fill in the invoice data first"):
            proforma_issue_for_order(order=order, actor=None, as_of=AS_OF)
        return
    proforma = proforma_issue_for_order(order=order, actor=None, as_of=AS_OF)
    assert (proforma.vat_code, proforma.net, proforma.vat, proforma.gross) == (
        code, order.net, order.vat, order.gross)


@pytest.mark.django_db
def test_eu_company_confirmed_in_vies_is_quoted_the_reverse_charge(catalogue):
    # Issue 7 example: a German company with a VAT id VIES confirms; 2 seats × 15/30 of 14 EUR
    account = account_in("DE")

    quote = services.renewal_quote(account=account, until=(2026, 11), as_of=AS_OF)

    assert account.currency == "EUR"
    assert (quote.net, quote.vat_rate, quote.vat, quote.gross) == (
        D("14.00"), D("0"), D("0.00"), D("14.00"))
    assert quote.treatment.reason_text == (
        "Reverse charge (odwrotne obciążenie): VAT id confirmed in VIES.")


@pytest.mark.django_db
def test_pending_vies_check_is_said_on_the_quote(catalogue):
    account = account_in("DE", tax_id_status="pending")
    quote = services.renewal_quote(account=account, until=(2026, 11), as_of=AS_OF)
    assert (quote.net, quote.vat, quote.gross) == (D("14.00"), D("3.22"), D("17.22"))
    assert "VIES could not confirm the VAT id yet" in quote.treatment.reason_text


@pytest.mark.django_db
def test_add_on_order_uses_the_same_vat_decision(catalogue):
    account = account_in("DE")
    order = services.addon_order_create(account=account, add_ons={"chatbot": 1}, actor=None,
                                        as_of=AS_OF)
    assert (order.quote["vat_code"], order.vat) == ("reverse_charge", D("0.00"))


# --- issue 7: pending orders are void once what they were priced on changes ---------------------


@pytest.fixture
def order(catalogue):
    account = account_in("PL")
    return services.renewal_order_create(account=account, until=(2026, 12), actor=None,
                                         as_of=AS_OF)


def refreshed(order, as_of=AS_OF):
    return services.order_refresh(order=Order.objects.get(pk=order.pk), as_of=as_of)


@pytest.mark.django_db
def test_pending_order_stays_payable_while_nothing_changes(order):
    assert order.valid_through == AS_OF + timedelta(days=7)
    assert refreshed(order, as_of=order.valid_through).status == OrderStatus.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize(("quoted", "valid_through"), [
    (date(2026, 11, 16), date(2026, 11, 23)),  # 7 days
    (date(2026, 11, 27), date(2026, 11, 30)),  # never past the month it was priced in
    (date(2026, 12, 31), date(2026, 12, 31)),
    (date(2028, 2, 25), date(2028, 2, 29)),  # leap year
])
def test_an_order_is_payable_7_days_and_never_past_its_priced_month(catalogue, quoted,
                                                                   valid_through):
    account = seat_services.account_create(name="Acme", package_code="base", country="PL",
                                            trial=False, actor=None, as_of=quoted)
    seat_services.seats_add(account=account, count=1, actor=None, as_of=quoted)
    order = services.renewal_order_create(account=account, until=(quoted.year, quoted.month),
                                          actor=None, as_of=quoted)
    assert order.valid_through == valid_through
    day_after = valid_through + timedelta(days=1)
    assert services.order_refresh(order=order, as_of=day_after).status == OrderStatus.EXPIRED


@pytest.mark.django_db
def test_pending_order_expires_after_its_validity_window(order):
    closed = refreshed(order, as_of=date(2026, 12, 1))
    assert (closed.status, closed.status_reason, closed.status_changed_on) == (
        OrderStatus.EXPIRED, "expired", date(2026, 12, 1))
    with pytest.raises(DomainError, match="its validity window has ended") as refused:
        proforma_issue_for_order(order=order, actor=None, as_of=date(2026, 12, 1))
    assert refused.value.code == "order_expired"


@pytest.mark.django_db
def test_pending_order_is_void_when_a_seat_is_added(order):
    seat_services.seats_add(account=order.account, count=1, actor=None, as_of=AS_OF)
    closed = refreshed(order)
    assert (closed.status, closed.status_reason) == (OrderStatus.CANCELLED, "seats_changed")


@pytest.mark.django_db
def test_pending_order_is_void_when_the_package_changes(order):
    services.package_change(account=order.account, package_code="automation", dry_run=False,
                            actor=None, as_of=AS_OF)
    assert refreshed(order).status_reason == "package_changed"


@pytest.mark.django_db
def test_pending_order_is_void_when_the_currency_changes(order):
    billing_profile_update(account=order.account, actor=None, as_of=AS_OF, data={
        "kind": "company", "name": "Example Inc.", "street": "1 Main St", "postal_code": "10001",
        "city": "New York", "country": "US", "tax_id": "", "invoice_email": "ap@example.com",
    })
    assert Account.objects.get(pk=order.account_id).currency == "USD"
    assert refreshed(order).status_reason == "currency_changed"


@pytest.mark.django_db
def test_pending_order_is_void_when_the_vat_treatment_changes(catalogue):
    account = account_in("DE")  # VAT id confirmed in VIES: reverse charge, EUR
    order = services.renewal_order_create(account=account, until=(2026, 12), actor=None,
                                          as_of=AS_OF)
    assert order.quote["vat_code"] == "reverse_charge"
    # as the VIES re-check leaves it when VIES no longer confirms the VAT id (still EUR)
    BillingProfile.objects.filter(account=account).update(tax_id_status="invalid")

    assert refreshed(order).status_reason == "vat_changed"


@pytest.mark.django_db
def test_daily_job_closes_stale_orders_once(order, catalogue):
    other = services.renewal_order_create(account=account_in("PL"), until=(2027, 1),
                                          actor=None, as_of=date(2026, 11, 20))

    first = refresh_orders.delay(as_of="2026-11-24").get()
    second = refresh_orders.delay(as_of="2026-11-24").get()

    assert first == {"as_of": "2026-11-24", "closed": 1}
    assert second["closed"] == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.EXPIRED  # window to 23 Nov
    assert Order.objects.get(pk=other.pk).status == OrderStatus.PENDING  # window to 27 Nov


@pytest.mark.django_db
def test_order_page_says_why_an_order_can_no_longer_be_paid(order, client):
    seat_services.seats_add(account=order.account, count=1, actor=None, as_of=AS_OF)
    admin = seat_services.member_invite(account=order.account, email="boss@buyer.example",
                                        role="admin", actor=None, as_of=AS_OF)
    client.force_login(admin.user)

    with time_machine.travel(datetime(2026, 11, 16, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        page = client.get(f"/account/orders/{order.pk}/").content.decode()

    assert "This order can no longer be paid: the seats or their validity have changed" in page
    assert 'data-testid="order-status">cancelled<' in page


# --- order transitions -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_paid_order_cannot_go_back_to_pending(order):
    services.order_transition(order=order, to=OrderStatus.PAID, actor=None, as_of=AS_OF)
    with pytest.raises(DomainError, match="is paid and cannot become pending payment"):
        services.order_transition(order=order, to=OrderStatus.PENDING, actor=None, as_of=AS_OF)
    assert AuditEntry.objects.filter(action="order.status", target_id=order.pk).count() == 1


@pytest.mark.django_db
def test_a_cancelled_order_cannot_be_paid(order):
    services.order_transition(order=order, to=OrderStatus.CANCELLED, actor=None, as_of=AS_OF)
    with pytest.raises(DomainError, match="is cancelled and cannot become paid") as refused:
        services.order_transition(order=order, to=OrderStatus.PAID, actor=None, as_of=AS_OF)
    assert (refused.value.code, refused.value.status) == ("order_state", 409)


@pytest.mark.django_db(transaction=True)
def test_two_connections_marking_one_order_paid_one_wins(catalogue):
    order = services.renewal_order_create(account=account_in("PL"), until=(2026, 12),
                                          actor=None, as_of=AS_OF)
    barrier, outcomes = threading.Barrier(2), []

    def pay():
        try:
            barrier.wait()
            services.order_transition(order=order, to=OrderStatus.PAID, actor=None, as_of=AS_OF)
            outcomes.append("paid")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["order_state", "paid"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert AuditEntry.objects.filter(action="order.status", target_id=order.pk).count() == 1
