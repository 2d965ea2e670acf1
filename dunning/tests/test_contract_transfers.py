"""Bank transfers booked against contract invoices (SPEC §3; issue 11): finance books what the
bank received on /finance/contracts/; a paid invoice gets no more reminders and leaves the page,
a partly paid one stays overdue for the rest, an over-payment is kept and shown; bad input is a
400 with the message on the page; only finance with the booking permission may book.

The dates are those of `test_contracts`: Big's invoice of 2026-11-01 (725.70 PLN) is due on
2026-11-15; its reminders are due on 2026-11-16 (+1), 2026-11-22 (+7) and 2026-11-29 (+14).
"""

import re
import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection

from billing_site.errors import DomainError
from dunning.models import Notice, NoticeKind
from dunning.services.contracts import contract_accounts_overview
from dunning.services.sweep import dunning_sweep
from invoices.models import Document, InvoiceTransfer
from invoices.selectors_overdue import overdue_invoices
from invoices.services.documents import LineInput, correction_issue
from invoices.services.invoice_transfers import invoice_transfer_book
from invoices.tests import billing_profile
from seats.models import AuditEntry
from seats.services.contracts import contract_set

from . import test_contracts as contracts
from .test_contracts import CREATED, DUE, PAGE, D, issue_invoice, on

# the contract fixtures: Big with its unpaid invoice, and finance staff (may see the page, block)
big = contracts.big
finance = contracts.finance

pytestmark = pytest.mark.django_db

GROSS = Decimal("725.70")


@pytest.fixture
def clerk(finance):
    """Finance staff who may also book transfers."""
    finance.user_permissions.add(Permission.objects.get(content_type__app_label="invoices",
                                                        codename="add_invoicetransfer"))
    return finance


def book(invoice, amount, *, actor=None, received_on="2026-11-18", currency="PLN",
         reference="FV przelew", as_of="2026-11-18"):
    return invoice_transfer_book(document=invoice, amount=amount, currency=currency,
                                 received_on=D(received_on) if received_on else None,
                                 reference=reference, actor=actor, as_of=D(as_of))


def post(client, invoice, *, amount="725.70", currency="PLN", received_on="2026-11-18",
         reference="Przelew FV/2026/11/0001", **kwargs):
    prefix = f"invoice-{invoice.pk}"
    return client.post(PAGE, {"action": "transfer", "document": invoice.pk,
                              f"{prefix}-amount": amount, f"{prefix}-currency": currency,
                              f"{prefix}-received_on": received_on,
                              f"{prefix}-reference": reference}, **kwargs)


def reminders(account):
    return sorted(Notice.objects.filter(account=account, kind=NoticeKind.CONTRACT_OVERDUE)
                  .values_list("reference", flat=True))


# --- paid in full: no more reminders ------------------------------------------------------------


def test_booking_the_full_amount_on_the_page_stops_the_reminders(big, client, clerk):
    account, _admin, _user, invoice = big
    dunning_sweep(as_of=D("2026-11-16"))  # +1: the first reminder goes out
    assert reminders(account) == [f"invoice:{invoice.pk}:1"] and len(mail.outbox) == 1
    client.force_login(clerk)
    with on("2026-11-18"):
        page = client.get(PAGE).content.decode()
        assert 'data-testid="transfer-form"' in page and "Still due: 725.70 PLN" in page
        response = post(client, invoice, follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"725.70 PLN booked against {invoice.number}: it is paid in full" in body
    assert 'data-testid="overdue-invoice"' not in body and "nothing overdue" in body
    transfer = InvoiceTransfer.objects.get()
    assert (transfer.document_id, transfer.amount, transfer.currency, transfer.overpaid,
            transfer.received_on, transfer.reference, transfer.booked_by) == (
        invoice.pk, GROSS, "PLN", Decimal("0.00"), D("2026-11-18"), "Przelew FV/2026/11/0001",
        clerk)
    for day in ("2026-11-22", "2026-11-29", "2026-12-31"):  # +7, +14 and later: nothing
        dunning_sweep(as_of=D(day))
    assert reminders(account) == [f"invoice:{invoice.pk}:1"] and len(mail.outbox) == 1
    assert overdue_invoices(D("2026-11-29")) == []


def test_an_invoice_paid_before_its_due_date_never_gets_a_reminder(big):
    account, _admin, _user, invoice = big
    book(invoice, "725.70", received_on="2026-11-10", as_of="2026-11-10")
    dunning_sweep(as_of=D("2026-11-16"))  # +1
    dunning_sweep(as_of=D("2026-11-22"))  # +7
    assert reminders(account) == [] and mail.outbox == []


def test_the_booking_writes_an_audit_row(big, clerk):
    _account, _admin, _user, invoice = big
    booked = book(invoice, "700", actor=clerk)
    entry = AuditEntry.objects.get(action="invoice.transfer")
    assert (entry.actor, entry.target_id) == (clerk, booked.transfer.pk)
    assert entry.before == {"paid": "0.00", "remaining": "725.70"}
    assert (entry.after["amount"], entry.after["paid"], entry.after["remaining"],
            entry.after["reference"]) == ("700.00", "700.00", "25.70", "FV przelew")


# --- partial payments and over-payments ----------------------------------------------------------


def test_a_partial_payment_keeps_it_overdue_for_the_rest(big, client, clerk):
    account, _admin, _user, invoice = big
    client.force_login(clerk)
    with on("2026-11-18"):
        response = post(client, invoice, amount="300,00", follow=True)
    body = response.content.decode()
    assert f"300.00 PLN booked against {invoice.number}: 425.70 PLN is still due." in body
    assert "300.00 of 725.70 PLN received" in body and "425.70 PLN" in body
    [overdue] = overdue_invoices(D("2026-11-22"))
    assert (overdue.outstanding_gross, overdue.invoiced_gross, overdue.paid) == (
        Decimal("425.70"), GROSS, Decimal("300.00"))
    # still overdue: the +7 reminder goes out and says what is left
    dunning_sweep(as_of=D("2026-11-22"))
    assert reminders(account) == [f"invoice:{invoice.pk}:2"]
    assert "300.00 PLN of it; 425.70 PLN is still due" in mail.outbox[-1].body
    # the rest arrives: paid, no +14 reminder
    book(invoice, "425.70", received_on="2026-11-25", as_of="2026-11-25")
    dunning_sweep(as_of=D("2026-11-29"))
    assert reminders(account) == [f"invoice:{invoice.pk}:2"]


def test_an_over_payment_is_recorded_and_shown(big, client, clerk):
    _account, _admin, _user, invoice = big
    client.force_login(clerk)
    with on("2026-11-18"):
        response = post(client, invoice, amount="800", reference="double", follow=True)
        body = response.content.decode()
        assert "it is paid, overpaid by 74.30 PLN" in body
        assert 'data-testid="overpayment"' in body and "+74.30 PLN" in body
    transfer = InvoiceTransfer.objects.get()
    assert (transfer.amount, transfer.overpaid) == (Decimal("800.00"), Decimal("74.30"))
    [row] = contract_accounts_overview(D("2026-11-18"))
    assert row.overdue == [] and row.overpayments == [transfer]


def test_a_correction_decides_what_is_due(big):
    account, _admin, _user, invoice = big
    # corrected up to 10 × 70.00 net (861.00 gross): the transfer of the old gross is not enough
    correction_issue(original=invoice, lines=[LineInput(
        "Licencje stanowisk — umowa, listopad 2026", quantity=Decimal(10),
        unit_price=Decimal("70.00"))], reason="price", actor=None, as_of=D("2026-11-05"))
    book(invoice, "725.70")
    [overdue] = overdue_invoices(D("2026-11-20"))
    assert (overdue.invoiced_gross, overdue.outstanding_gross) == (
        Decimal("861.00"), Decimal("135.30"))
    booked = book(invoice, "135.30")
    assert booked.is_paid and overdue_invoices(D("2026-11-20")) == []


def test_the_overdue_read_costs_the_same_queries_with_transfers(big, django_assert_num_queries):
    account, _admin, _user, invoice = big
    others = [issue_invoice(account) for _ in range(5)]
    book(others[0], "725.70")
    book(others[1], "100")
    with django_assert_num_queries(2):
        found = overdue_invoices(D("2026-11-20"))
    assert [i.id for i in found] == [invoice.pk] + [o.pk for o in others[1:]]


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "message"), [
    # the form offers the invoice's currency only (issues 12/13); the service refuses others too
    ({"currency": "EUR"}, "Select a valid choice."),
    ({"amount": "99999999999"}, "The amount is too large: at most 9,999,999,999.99."),
    ({"amount": "1.000,50"}, "Use one decimal separator (a point or a comma)"),
    ({"amount": "0"}, "Enter an amount above zero with at most 2 decimal places."),
    ({"amount": "-5"}, "Enter an amount above zero with at most 2 decimal places."),
    ({"amount": "12.345"}, "Enter an amount above zero with at most 2 decimal places."),
    ({"amount": "lots"}, "Enter the amount as a number, e.g. 123.45."),
    ({"amount": ""}, "Enter the amount as a number, e.g. 123.45."),
    ({"received_on": "2026-11-19"}, "The transfer cannot be received after today."),
    ({"received_on": "1900-01-01"}, "a transfer received before it cannot pay it"),
    ({"received_on": ""}, "Enter the day the transfer was received."),
    ({"reference": "  "}, "Enter the transfer title or bank reference."),
    ({"currency": "GBP"}, "Select a valid choice."),
])
def test_bad_input_is_a_400_with_the_message_on_the_form(big, client, clerk, fields, message):
    _account, _admin, _user, invoice = big
    client.force_login(clerk)
    with on("2026-11-18"):
        response = post(client, invoice, **fields)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert f'id="invoice-{invoice.pk}"' in body and "field-invalid" in body
    assert "<details class=\"note-panel\" open>" in body  # the refused form is shown open
    assert not InvoiceTransfer.objects.exists()


def test_documents_that_are_not_contract_invoices_are_refused(big, client, clerk, make_account):
    account, _admin, _user, invoice = big
    small, _ = make_account("Small", as_of=CREATED)  # no contract
    billing_profile(small)
    not_contract = issue_invoice(small)
    paid_on_issue = issue_invoice(account, paid_by="transfer")
    client.force_login(clerk)
    with on("2026-11-18"):
        for document in (not_contract, paid_on_issue):
            response = post(client, document)
            assert response.status_code == 400
            assert (f"No transfer was booked against {document.number}: {document.number} is "
                    "not a contract invoice") in response.content.decode()
        assert client.post(PAGE, {"action": "transfer", "document": "abc"}).status_code == 404
        assert client.post(PAGE, {"action": "transfer", "document": "9" * 30}).status_code == 404
    with pytest.raises(DomainError) as refused:
        book(Document.objects.get(pk=not_contract.pk), "725.70")
    assert refused.value.code == "not_contract_invoice"
    assert InvoiceTransfer.objects.filter(document__in=[not_contract, paid_on_issue]).count() == 0


def test_an_invoice_corrected_to_zero_is_refused(big, client, clerk):
    _account, _admin, _user, invoice = big
    correction_issue(original=invoice, lines=[], reason="Issued twice", actor=None,
                     as_of=D("2026-11-05"))
    client.force_login(clerk)
    with on("2026-11-18"):
        response = post(client, invoice)
    assert response.status_code == 400
    assert "was corrected to zero: there is nothing to pay" in response.content.decode()
    assert not InvoiceTransfer.objects.exists()


# --- who may book ---------------------------------------------------------------------------


def test_only_finance_with_the_booking_permission_may_book(big, client, finance, staff):
    _account, admin, _user, invoice = big
    with on("2026-11-18"):
        client.force_login(finance)  # may see the page and block, not book
        page = client.get(PAGE).content.decode()
        assert invoice.number in page and 'data-testid="transfer-form"' not in page
        refused = post(client, invoice)
        assert refused.status_code == 403 and "invoices.add_invoicetransfer" in (
            refused.content.decode())
        for who in (staff, admin.user):
            client.force_login(who)
            assert post(client, invoice).status_code == 403
        client.logout()
        assert post(client, invoice).status_code == 302  # to the login page
    assert not InvoiceTransfer.objects.exists()


# --- two clerks at once -------------------------------------------------------------------------


def run_together(*calls, timeout=60):
    """Each call in its own thread with its own database connection, released at once by a
    barrier (as `tests.test_concurrency_seats`)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def runner(index, call):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=timeout)
            results[index] = ("ok", call())
        except Exception as exc:  # reported to the test
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("amounts", [("500.00", "500.00"), ("200.00",) * 4])
def test_bookings_at_once_each_count_once_and_the_total_is_right(make_account, amounts):
    account, _admin = make_account("Big", extra_seats=9, as_of=CREATED)
    contract_set(account=account, starts_on=CREATED, ends_on=None, actor=None, as_of=CREATED)
    billing_profile(account)
    invoice = issue_invoice(account)
    results = run_together(*[
        (lambda amount=amount, i=i: book(invoice, amount, reference=f"clerk {i}"))
        for i, amount in enumerate(amounts)])
    assert [kind for kind, _value in results] == ["ok"] * len(amounts), results
    transfers = list(InvoiceTransfer.objects.filter(document=invoice))
    paid = sum(Decimal(a) for a in amounts)
    assert len(transfers) == len(amounts)
    assert sum(t.amount for t in transfers) == paid
    # serialised on the invoice's row: the excess over the gross is counted exactly once
    assert sum(t.overpaid for t in transfers) == paid - GROSS
    assert sorted(value.paid for _kind, value in results) == [
        sum(Decimal(a) for a in amounts[:n]) for n in range(1, len(amounts) + 1)]
    assert AuditEntry.objects.filter(action="invoice.transfer").count() == len(amounts)
    assert overdue_invoices(D("2026-11-20")) == []
    assert DUE < D("2026-11-20")


# --- amounts as people type them (issues 12/13 item 6) --------------------------------------------


@pytest.mark.parametrize("typed", ["1 000,50", "1\u00a0000.50", "1\u202f000,5"])
def test_an_amount_grouped_with_spaces_is_booked(big, client, clerk, typed):
    """An over-payment of 1 000,50 typed as a bank statement writes it (space, no-break space or
    narrow no-break space between the thousands)."""
    _account, _admin, _user, invoice = big
    client.force_login(clerk)
    with on("2026-11-18"):
        response = post(client, invoice, amount=typed)
    assert response.status_code == 302
    assert InvoiceTransfer.objects.get().amount == Decimal("1000.50")


def test_the_form_offers_only_the_invoices_currency_and_a_local_example(big, client, clerk):
    _account, _admin, _user, invoice = big
    client.force_login(clerk)
    with on("2026-11-18"):
        english = client.get(PAGE).content.decode()
        polish = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    select = re.search(rf'<select name="invoice-{invoice.pk}-currency".*?</select>', english,
                       re.DOTALL)[0]
    assert re.findall(r'<option value="(\w+)"', select) == ["PLN"]
    amount = f'name="invoice-{invoice.pk}-amount"'
    assert re.search(amount + r'[^>]*placeholder="123\.45"', english)
    assert re.search(amount + r'[^>]*placeholder="123,45"', polish)
