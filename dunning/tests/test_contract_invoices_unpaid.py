"""The finance contracts page lists every unpaid contract invoice, not only overdue ones (QA: an
invoice paid on time could not be booked until it was overdue, by when the +1 reminder had gone
out): one not yet due shows "due on …" with its booking form and needs no attention; overdue
ones keep "N days overdue", the count and the attention. The reminders still read overdue
invoices only. Amounts show 2 decimals in the page's language (QA: "otrzymano 31 z …").

The dates are those of `test_contracts`: Big's invoice of 2026-11-01 (725.70 PLN) is due on
2026-11-15; its first reminder is due on 2026-11-16.
"""

import pytest
from django.core import mail

from dunning.models import Notice
from dunning.services.contracts import contract_accounts_overview, contract_reminders
from dunning.services.sweep import dunning_sweep
from invoices.models import InvoiceTransfer
from invoices.selectors_overdue import overdue_invoices, unpaid_contract_invoices
from invoices.tests import billing_profile
from seats.services.contracts import contract_set

from . import test_contract_transfers as transfers
from . import test_contracts as contracts
from .test_contract_transfers import GROSS, book, post
from .test_contracts import CREATED, DUE, PAGE, D, issue_invoice, on

big = contracts.big
finance = contracts.finance
clerk = transfers.clerk

pytestmark = pytest.mark.django_db


def test_an_invoice_not_yet_due_is_listed_with_its_form_and_needs_no_attention(
        big, client, clerk):
    account, _admin, _user, invoice = big
    client.force_login(clerk)
    with on("2026-11-10"):
        body = client.get(PAGE).content.decode()
    assert f'id="invoice-{invoice.pk}"' in body and 'data-testid="not-due-invoice"' in body
    assert "due on Nov. 15, 2026" in body and "overdue-invoice" not in body
    assert 'data-testid="transfer-form"' in body and "Still due: 725.70 PLN" in body
    assert "nothing overdue" in body and "1 not yet due" in body
    assert "0 need attention" in body
    [row] = contract_accounts_overview(D("2026-11-10"))
    assert [i.id for i in row.unpaid] == [invoice.pk] and row.overdue == []
    assert (row.overdue_count, row.oldest_due, row.needs_attention) == (0, None, False)


def test_on_its_due_date_it_is_not_yet_overdue_the_day_after_it_is(big, client, clerk):
    _account, _admin, _user, invoice = big
    client.force_login(clerk)
    with on("2026-11-15"):
        due_day = client.get(PAGE).content.decode()
    assert "due on Nov. 15, 2026" in due_day and "nothing overdue" in due_day
    with on("2026-11-16"):
        next_day = client.get(PAGE).content.decode()
    assert 'data-testid="overdue-invoice"' in next_day and "1 day overdue" in next_day
    assert "1 overdue invoice" in next_day and "1 needs attention" in next_day
    assert "oldest due Nov. 15, 2026" in next_day and "not-due-count" not in next_day


def test_booked_in_full_the_day_it_arrives_before_the_due_date_no_reminder_follows(
        big, client, clerk):
    account, _admin, _user, invoice = big
    client.force_login(clerk)
    with on("2026-11-12"):  # three days before the due date: the money arrives
        page = client.get(PAGE).content.decode()
        assert f'name="invoice-{invoice.pk}-amount"' in page  # its booking form
        response = post(client, invoice, received_on="2026-11-12", follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"725.70 PLN booked against {invoice.number}: it is paid in full" in body
    assert f'id="invoice-{invoice.pk}"' not in body
    transfer = InvoiceTransfer.objects.get()
    assert (transfer.document_id, transfer.amount, transfer.received_on) == (
        invoice.pk, GROSS, D("2026-11-12"))
    dunning_sweep(as_of=D("2026-11-16"))  # the day after the due date: nothing to remind
    assert not Notice.objects.filter(account=account).exists() and mail.outbox == []


def test_a_refused_booking_of_an_invoice_not_yet_due_shows_its_form_open(big, client, clerk):
    _account, _admin, _user, invoice = big
    client.force_login(clerk)
    with on("2026-11-12"):
        # (the form offers only the invoice's currency since issues 12/13: refuse the amount)
        response = post(client, invoice, amount="1.000,50", received_on="2026-11-12")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Use one decimal separator (a point or a comma)" in body
    assert "<details class=\"note-panel\" open>" in body and "No transfer was booked" not in body


def test_the_reminders_still_read_overdue_invoices_only(big):
    _account, _admin, _user, invoice = big
    later = issue_invoice(big[0], due=D("2026-11-30"))
    assert [i.id for i in unpaid_contract_invoices(D("2026-11-16"), [big[0].pk])] == [
        invoice.pk, later.pk]
    assert [i.id for i in overdue_invoices(D("2026-11-16"))] == [invoice.pk]
    assert [n.reference for n in contract_reminders(as_of=D("2026-11-16"))] == [
        f"invoice:{invoice.pk}:1"]


def test_the_overview_lists_overdue_first_and_costs_five_queries(big, make_account,
                                                                 django_assert_num_queries):
    account, _admin, _user, invoice = big
    later = issue_invoice(account, due=D("2026-11-30"))
    other, _ = make_account("Other", extra_seats=9, as_of=CREATED)
    contract_set(account=other, starts_on=CREATED, ends_on=None, actor=None, as_of=CREATED)
    billing_profile(other)
    not_due = issue_invoice(other, due=D("2026-11-25"))
    book(not_due, "100", received_on="2026-11-18")
    with django_assert_num_queries(5):
        rows = contract_accounts_overview(D("2026-11-20"))
    assert [r.account.name for r in rows] == ["Big", "Other"]  # Big needs attention
    big_row, other_row = rows
    assert [i.id for i in big_row.unpaid] == [invoice.pk, later.pk]
    assert [i.id for i in big_row.overdue] == [invoice.pk]
    assert [i.id for i in big_row.not_due] == [later.pk]
    assert (other_row.overdue, other_row.needs_attention) == ([], False)
    [partly] = other_row.unpaid
    assert (partly.paid, partly.outstanding_gross) == (100, GROSS - 100)
    assert DUE < D("2026-11-20")


def test_the_polish_page_shows_amounts_with_two_decimals(big, client, clerk):
    _account, _admin, _user, invoice = big
    book(invoice, "31", received_on="2026-11-18")
    client.force_login(clerk)
    with on("2026-11-18"):
        body = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "otrzymano 31,00 z 725,70 PLN" in body
    assert "694,70 PLN" in body  # still due
    with on("2026-11-18"):
        english = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "31.00 of 725.70 PLN received" in english and "694.70 PLN" in english
