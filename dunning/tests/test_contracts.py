"""Contract accounts (SPEC §3; issue 10): reminders of overdue contract invoices 1, 7 and 14 days
after the due date, once each; never blocked by seat expiry while the contract runs; finance
blocks and unblocks by hand on /finance/contracts/; the contract admin saves through the service.

At fixed dates: "Big" has 10 seats created on 2026-10-25, valid until 2026-10-31, and a contract
from that day. Its invoice of 2026-11-01 is due on 2026-11-15, so its reminders are due on
2026-11-16 (+1), 2026-11-22 (+7) and 2026-11-29 (+14).

Invoices are issued through `invoices.services.documents.document_issue` (a VAT invoice with a
due date, as contract invoicing will issue them); the invoice data are written by the invoices
tests' `billing_profile` helper, as the invoices tests do.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail

from billing_site.errors import DomainError
from dunning.models import Notice, NoticeKind
from dunning.services.contracts import (
    contract_account_block,
    contract_account_unblock,
    contract_accounts_overview,
    contract_reminders,
    reminder_step_due,
)
from dunning.services.notices import notices_send
from dunning.services.sweep import dunning_sweep
from invoices.models import DocumentKind
from invoices.selectors_overdue import overdue_invoices
from invoices.services.documents import LineInput, correction_issue, document_issue
from invoices.tests import billing_profile
from seats.access import access_decision
from seats.models import AccessHold, AuditEntry, Contract
from seats.phases import Phase
from seats.services.contracts import contract_set

pytestmark = pytest.mark.django_db

D = date.fromisoformat
CREATED = D("2026-10-25")
ISSUED = D("2026-11-01")
DUE = D("2026-11-15")
WARSAW = ZoneInfo("Europe/Warsaw")
PAGE = "/finance/contracts/"


def on(day):
    """Travel to noon of business day `day` (pages read today())."""
    return time_machine.travel(datetime.combine(D(day), datetime.min.time().replace(hour=12),
                                                tzinfo=WARSAW), tick=False)


def issue_invoice(account, *, issued=ISSUED, due=DUE, paid_by=""):
    return document_issue(
        account=account, kind=DocumentKind.INVOICE,
        lines=[LineInput("Licencje stanowisk — umowa, listopad 2026", quantity=Decimal(10),
                         unit_price=Decimal("59.00"))],
        sale_date=issued, as_of=issued, due_on=due, paid_by=paid_by)


@pytest.fixture
def big(make_account, make_member):
    """A contract account with 10 seats (admin, user, 8 free) and an unpaid invoice."""
    account, admin = make_account("Big", extra_seats=9, as_of=CREATED)
    user = make_member(account, "user@big.example", as_of=CREATED)
    contract_set(account=account, starts_on=CREATED, ends_on=None, actor=None, as_of=CREATED)
    billing_profile(account)
    invoice = issue_invoice(account)
    assert (invoice.due_date, invoice.paid_by, invoice.gross) == (DUE, "", Decimal("725.70"))
    return account, admin, user, invoice


def steps(account):
    return sorted(Notice.objects.filter(account=account, kind=NoticeKind.CONTRACT_OVERDUE)
                  .values_list("reference", flat=True))


def ref(invoice, step):
    return f"invoice:{invoice.pk}:{step}"


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user(
        username="finance@vendor.example", email="finance@vendor.example",
        password="pass-Word-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="seats",
                                                     codename="add_accesshold"))
    return user


# --- reminders ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "step"), [(0, None), (1, 1), (6, 1), (7, 2), (13, 2), (14, 3),
                                            (200, 3)])
def test_reminder_step_due_is_the_latest_step_whose_day_has_come(days, step):
    assert reminder_step_due(days, (1, 7, 14)) == step


def test_reminders_on_exactly_1_7_and_14_days_after_due_once_each(big):
    account, admin, _user, invoice = big
    expected = {
        "2026-11-15": [],                       # the due date itself
        "2026-11-16": [ref(invoice, 1)],        # +1
        "2026-11-21": [],                       # the day before +7
        "2026-11-22": [ref(invoice, 2)],        # +7
        "2026-11-28": [],                       # the day before +14
        "2026-11-29": [ref(invoice, 3)],        # +14
        "2026-12-15": [],                       # nothing after the last
    }
    for day, new in expected.items():
        for _run in range(2):  # twice a day: the second run creates and sends nothing
            sent_before = len(mail.outbox)
            created = contract_reminders(as_of=D(day))
            notices_send()
            if _run == 0:
                assert [n.reference for n in created] == new, day
                assert len(mail.outbox) - sent_before == len(new), day
            else:
                assert created == [] and len(mail.outbox) == sent_before, day
    assert steps(account) == [ref(invoice, 1), ref(invoice, 2), ref(invoice, 3)]
    notice = Notice.objects.get(reference=ref(invoice, 3))
    assert (notice.about_date, notice.created_on) == (DUE, D("2026-11-29"))
    message = mail.outbox[-1]
    assert message.to == [admin.user.email]
    assert "invoice overdue" in message.subject
    assert invoice.number in message.body and "725.70" in message.body


def test_the_daily_sweep_creates_and_sends_the_reminders(big):
    account, _admin, _user, invoice = big
    dunning_sweep(as_of=D("2026-11-16"))
    assert steps(account) == [ref(invoice, 1)]
    assert len(mail.outbox) == 1 and invoice.number in mail.outbox[0].body
    again = dunning_sweep(as_of=D("2026-11-16"))
    assert again.run.notices_created == 0 and len(mail.outbox) == 1
    # a dry run creates nothing and sends nothing
    dunning_sweep(as_of=D("2026-11-22"), dry_run=True)
    assert steps(account) == [ref(invoice, 1)] and len(mail.outbox) == 1


def test_a_sweep_that_missed_days_sends_only_the_latest_step(big):
    account, _admin, _user, invoice = big
    created = contract_reminders(as_of=D("2026-11-30"))  # +15: steps 1, 2 and 3 all due
    assert [n.reference for n in created] == [ref(invoice, 3)]
    assert notices_send() == 1
    # the missed steps are never created, not even by a run for an earlier date
    assert contract_reminders(as_of=D("2026-11-22")) == []
    assert steps(account) == [ref(invoice, 3)]


def test_a_paid_invoice_gets_no_reminder(big):
    account, _admin, _user, invoice = big
    paid = issue_invoice(account, paid_by="transfer")
    assert paid.due_date is None  # issued for money already received
    contract_reminders(as_of=D("2026-12-31"))
    assert steps(account) == [ref(invoice, 3)]


def test_an_invoice_of_an_account_without_contract_gets_no_reminder(make_account):
    account, _admin = make_account("Small", extra_seats=9, as_of=CREATED)
    billing_profile(account)
    issue_invoice(account)
    assert overdue_invoices(D("2026-11-20")) == []
    assert contract_reminders(as_of=D("2026-11-20")) == []
    assert not Notice.objects.exists()


def test_an_invoice_corrected_to_zero_gets_none_a_buyer_data_correction_changes_nothing(big):
    account, _admin, _user, invoice = big
    cancelled = issue_invoice(account)
    # a correction that repeats the lines (difference zero) leaves the first invoice overdue
    correction_issue(original=invoice, lines=[LineInput(
        "Licencje stanowisk — umowa, listopad 2026", quantity=Decimal(10),
        unit_price=Decimal("59.00"))], reason="Buyer's address", actor=None, as_of=ISSUED)
    # a correction without lines cancels the second one
    correction_issue(original=cancelled, lines=[], reason="Issued twice", actor=None,
                     as_of=ISSUED)
    found = overdue_invoices(D("2026-11-16"))
    assert [(i.id, i.outstanding_gross) for i in found] == [(invoice.pk, Decimal("725.70"))]
    assert [n.reference for n in contract_reminders(as_of=D("2026-11-16"))] == [ref(invoice, 1)]


def test_an_invoice_issued_while_the_contract_ran_is_reminded_after_it_ended(make_account):
    account, _admin = make_account("Fixed", extra_seats=9, as_of=D("2026-05-01"))
    contract_set(account=account, starts_on=D("2026-05-01"), ends_on=D("2026-10-31"),
                 actor=None, as_of=D("2026-05-01"))
    billing_profile(account)
    invoice = issue_invoice(account, issued=D("2026-10-01"), due=D("2026-10-15"))
    late = issue_invoice(account, issued=D("2026-11-02"), due=D("2026-11-16"))  # after the end
    found = {i.id for i in overdue_invoices(D("2026-11-20"))}
    assert found == {invoice.pk}
    assert late.pk not in found


def test_selection_costs_the_same_queries_whatever_the_number_of_invoices(
        big, make_account, django_assert_num_queries):
    account, _admin, _user, _invoice = big
    contract_reminders(as_of=D("2026-11-16"))
    with django_assert_num_queries(2):  # the invoices, their corrections
        assert len(overdue_invoices(D("2026-11-16"))) == 1
    for _ in range(6):
        issue_invoice(account)
    other, _ = make_account("Big Two", extra_seats=9, as_of=CREATED)
    contract_set(account=other, starts_on=CREATED, ends_on=None, actor=None, as_of=CREATED)
    billing_profile(other)
    for _ in range(3):
        issue_invoice(other)
    with django_assert_num_queries(2):
        assert len(overdue_invoices(D("2026-11-16"))) == 10
    created = contract_reminders(as_of=D("2026-11-16"))
    assert len(created) == 9
    # nothing new to create: policy, invoices, corrections, locks, existing reminders, and the
    # batch's savepoint and its release
    with django_assert_num_queries(7):
        assert contract_reminders(as_of=D("2026-11-16")) == []


def test_batches_cover_every_invoice(big):
    account, _admin, _user, _invoice = big
    for _ in range(4):
        issue_invoice(account)
    created = contract_reminders(as_of=D("2026-11-16"), batch_size=2)
    assert len(created) == 5 and len(steps(account)) == 5


# --- access: never blocked by expiry, finance's block -------------------------------------------


def test_contract_account_is_never_blocked_by_expiry(big):
    _account, admin, user, _invoice = big
    decision = access_decision(user.user, as_of=D("2026-11-20"))  # the seat expired 20 days ago
    assert decision.allowed and decision.standing.phase == Phase.ACTIVE
    assert access_decision(admin.user, as_of=D("2026-11-20")).billing_only is False


def test_after_the_contract_ends_the_account_follows_the_phases(make_account, make_member):
    account, admin = make_account("Fixed", extra_seats=9, as_of=D("2026-05-01"))
    user = make_member(account, "user@fixed.example", as_of=D("2026-05-01"))
    contract_set(account=account, starts_on=D("2026-05-01"), ends_on=D("2026-10-31"),
                 actor=None, as_of=D("2026-05-01"))
    # the seats were valid until 2026-05-31: the contract kept them usable until it ended, then
    # the account is where its dates put it (d = 154: suspended)
    assert access_decision(user.user, as_of=D("2026-10-31")).allowed
    decision = access_decision(user.user, as_of=D("2026-11-01"))
    assert (decision.standing.phase, decision.allowed) == (Phase.SUSPENDED, False)
    assert access_decision(admin.user, as_of=D("2026-11-01")).billing_only


def test_after_the_contract_ends_recently_paid_seats_go_through_grace_and_blocked(
        make_account, make_member):
    account, _admin = make_account("Fixed", extra_seats=9, as_of=CREATED)
    user = make_member(account, "user@fixed.example", as_of=CREATED)
    contract_set(account=account, starts_on=D("2026-05-01"), ends_on=D("2026-10-31"),
                 actor=None, as_of=CREATED)
    for day, phase, allowed in (("2026-10-31", Phase.ACTIVE, True),
                                ("2026-11-01", Phase.GRACE, True),
                                ("2026-11-07", Phase.GRACE, True),
                                ("2026-11-08", Phase.BLOCKED, False),
                                ("2026-11-15", Phase.SUSPENDED, False)):
        decision = access_decision(user.user, as_of=D(day))
        assert (decision.standing.phase, decision.allowed) == (phase, allowed), day


def test_finance_block_refuses_login_and_keeps_the_admin_on_billing_pages(big, client, finance):
    account, admin, user, _invoice = big
    client.force_login(finance)
    with on("2026-11-20"):
        response = client.post(PAGE, {"account": account.pk, "action": "block",
                                      f"account-{account.pk}-reason": "FV unpaid since 15.11"},
                               follow=True)
    assert response.status_code == 200
    assert "Big is blocked" in response.content.decode()
    hold = AccessHold.objects.get(account=account, lifted_at__isnull=True)
    assert (hold.reason, hold.placed_by) == ("FV unpaid since 15.11", finance)
    assert AuditEntry.objects.filter(action="account.hold").count() == 1
    client.logout()
    # the user is refused at login and told why
    with on("2026-11-20"):
        refused = client.post("/login/", {"username": user.user.email,
                                          "password": "pass-Word-123"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "has been blocked by the vendor&#x27;s finance team" in refused.content.decode()
    # the admin reaches only the billing pages
    client.force_login(admin.user)
    with on("2026-11-20"):
        assert client.get("/account/package/").status_code == 403
        assert client.get("/account/renew/").status_code == 200
    client.logout()
    # unblocked: back to normal
    client.force_login(finance)
    with on("2026-11-21"):
        response = client.post(PAGE, {"account": account.pk, "action": "unblock"}, follow=True)
    assert "Big is unblocked" in response.content.decode()
    assert not AccessHold.objects.filter(account=account, lifted_at__isnull=True).exists()
    client.logout()
    with on("2026-11-21"):
        login = client.post("/login/", {"username": user.user.email,
                                        "password": "pass-Word-123"})
    assert login.status_code == 302
    client.force_login(admin.user)
    with on("2026-11-21"):
        assert client.get("/account/package/").status_code == 200


def test_block_and_unblock_services(big, finance, make_account):
    account, _admin, user, _invoice = big
    contract_account_block(account=account, reason="Overdue", actor=finance)
    assert access_decision(user.user, as_of=D("2026-11-20")).code == "blocked"
    with pytest.raises(DomainError) as again:
        contract_account_block(account=account, reason="Twice", actor=finance)
    assert again.value.code == "hold_exists"
    contract_account_unblock(account=account, actor=finance)
    assert access_decision(user.user, as_of=D("2026-11-20")).allowed
    with pytest.raises(DomainError) as twice:
        contract_account_unblock(account=account, actor=finance)
    assert twice.value.code == "hold_missing"
    small, _ = make_account("Small", as_of=CREATED)
    with pytest.raises(DomainError) as not_contract:
        contract_account_block(account=small, reason="x", actor=finance)
    assert not_contract.value.code == "not_contract_account"


# --- the finance page ---------------------------------------------------------------------------


def test_page_lists_contract_accounts_with_overdue_invoices(big, client, finance,
                                                            make_account):
    account, _admin, _user, invoice = big
    make_account("Small", as_of=CREATED)  # not a contract account: not listed
    client.force_login(finance)
    with on("2026-11-20"):
        page = client.get(PAGE)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="contract-account"' in body and "Small" not in body.split("<main")[1]
    assert invoice.number in body and "oldest due Nov. 15, 2026" in body
    assert "5 days overdue" in body and "725.70\xa0PLN" in body
    assert "only administrators can log in, to the billing pages" in body
    assert "e-mail reminders 1, 7 and 14 days after the due date" in body
    assert 'href="/finance/contracts/" aria-current="page">Contracts</a>' in body
    [row] = contract_accounts_overview(D("2026-11-20"))
    assert (row.overdue_count, row.oldest_due, row.hold, row.contract_runs) == (
        1, DUE, None, True)


def test_overview_costs_five_queries_whatever_the_accounts(big, make_account, finance,
                                                          django_assert_num_queries):
    for i in range(3):
        other, _ = make_account(f"Other {i}", extra_seats=9, as_of=CREATED)
        contract_set(account=other, starts_on=CREATED, ends_on=None, actor=None, as_of=CREATED)
        billing_profile(other)
        issue_invoice(other)
        contract_account_block(account=other, reason="late", actor=finance)
    # contracts, holds, overdue invoices, their corrections, over-payments (transfers)
    with django_assert_num_queries(5):
        rows = contract_accounts_overview(D("2026-11-20"))
    assert len(rows) == 4 and all(r.overdue_count == 1 for r in rows)


def test_non_finance_staff_get_403(big, client, staff):
    account, admin, _user, _invoice = big
    client.force_login(staff)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"account": account.pk, "action": "unblock"}).status_code == 403
    client.force_login(admin.user)
    assert client.get(PAGE).status_code == 403
    client.logout()
    assert client.get(PAGE).status_code == 302  # to the login page


def test_block_without_reason_shows_a_message_and_blocks_nothing(big, client, finance):
    account, _admin, _user, _invoice = big
    client.force_login(finance)
    with on("2026-11-20"):
        response = client.post(PAGE, {"account": account.pk, "action": "block",
                                      f"account-{account.pk}-reason": "   "})
    assert response.status_code == 400
    assert "Give the reason for blocking the account." in response.content.decode()
    assert not AccessHold.objects.exists()


def test_stale_and_bad_posts_are_messages_not_500(big, client, finance, make_account):
    account, _admin, _user, _invoice = big
    small, _ = make_account("Small", as_of=CREATED)
    client.force_login(finance)
    with on("2026-11-20"):
        not_blocked = client.post(PAGE, {"account": account.pk, "action": "unblock"},
                                  follow=True)
        assert "not blocked by hand" in not_blocked.content.decode()
        not_contract = client.post(PAGE, {"account": small.pk, "action": "block",
                                          f"account-{small.pk}-reason": "x"}, follow=True)
        assert "is not a contract account" in not_contract.content.decode()
        contract_account_block(account=account, reason="first", actor=finance)
        twice = client.post(PAGE, {"account": account.pk, "action": "block",
                                   f"account-{account.pk}-reason": "second"}, follow=True)
        assert "already blocked" in twice.content.decode()
        assert client.post(PAGE, {"account": "abc", "action": "block"}).status_code == 404
        assert client.post(PAGE, {"account": "99" * 12, "action": "block"}).status_code == 404
        assert client.post(PAGE, {"account": account.pk}, follow=True).status_code == 200


# --- the contract admin --------------------------------------------------------------------------


ADD = "/admin/seats/contract/add/"


def test_admin_adds_a_contract_through_the_service_and_shows_refusals_on_the_form(
        admin_client, make_account):
    small, _ = make_account("Small", extra_seats=3, as_of=CREATED)
    with on("2026-11-20"):
        refused = admin_client.post(ADD, {"account": small.pk, "starts_on": "2026-12-01",
                                          "ends_on": ""})
    assert refused.status_code == 200
    assert "at least 10 seats; this one has 4" in refused.content.decode()
    assert not Contract.objects.exists()
    assert not AuditEntry.objects.filter(action="contract.set").exists()

    big, _ = make_account("Big", extra_seats=9, as_of=CREATED)
    with on("2026-11-20"):
        short = admin_client.post(ADD, {"account": big.pk, "starts_on": "2026-12-01",
                                        "ends_on": "2027-03-31"})
        assert "lasts at least 6 months" in short.content.decode()
        saved = admin_client.post(ADD, {"account": big.pk, "starts_on": "2026-12-01",
                                        "ends_on": "2027-05-31"})
    assert saved.status_code == 302
    contract = Contract.objects.get(account=big)
    assert (contract.starts_on, contract.ends_on) == (D("2026-12-01"), D("2027-05-31"))
    assert AuditEntry.objects.filter(action="contract.set").count() == 1  # the real call only


def test_admin_changes_the_term_and_lists_holds_read_only(big, admin_client, finance):
    account, _admin, _user, _invoice = big
    contract = Contract.objects.get(account=account)
    contract_account_block(account=account, reason="Overdue FV", actor=finance)
    url = f"/admin/seats/contract/{contract.pk}/change/"
    with on("2026-11-20"):
        page = admin_client.get(url).content.decode()
        assert "Overdue FV" in page and "finance@vendor.example" in page
        past = admin_client.post(url, {"starts_on": "2026-10-25", "ends_on": "2026-11-01"})
        assert "cannot end in the past" in past.content.decode()
        changed = admin_client.post(url, {"starts_on": "2026-10-25", "ends_on": "2027-06-30"})
    assert changed.status_code == 302
    contract.refresh_from_db()
    assert contract.ends_on == D("2027-06-30")
    with on("2026-11-20"):
        listing = admin_client.get("/admin/seats/contract/").content.decode()
    assert "Big" in listing
    assert admin_client.post(f"/admin/seats/contract/{contract.pk}/delete/").status_code == 403
