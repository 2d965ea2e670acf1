from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from seats.access import access_decision
from seats.models import Account, Member, MemberRole, MemberState, Seat

TODAY = date(2026, 11, 21)


@pytest.fixture
def demo(catalogue):
    with time_machine.travel(date(2026, 11, 21), tick=False):
        call_command("load_demo", stdout=open("/dev/null", "w"))


def counts():
    from invoices.models import Document
    from plans.models import Order

    return (Account.objects.count(), Member.objects.count(), Seat.objects.count(),
            get_user_model().objects.count(), Document.objects.count(), Order.objects.count())


def test_load_demo_is_idempotent(demo):
    before = counts()
    with time_machine.travel(date(2026, 11, 22), tick=False):
        call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts() == before


def test_demo_has_active_expiring_and_lapsed_accounts(demo):
    validity = {
        a.name: max(s.valid_until for s in a.seats.filter(removed_on__isnull=True))
        for a in Account.objects.all()
    }
    assert validity["Acme Sp. z o.o."] == date(2026, 12, 31)
    assert validity["Expiring GmbH"] == TODAY + timedelta(days=3)
    assert validity["Lapsed Inc."] == TODAY - timedelta(days=10)
    assert validity["Grace Studio s.r.o."] == TODAY - timedelta(days=3)
    assert validity["Dormant Sp. z o.o."] == TODAY - timedelta(days=20)
    assert validity["Trial Start Sp. z o.o."] == TODAY + timedelta(days=1)


def test_demo_has_an_account_in_every_dunning_phase(demo):
    from seats.access import standing_of

    phases = {a.name: standing_of(a, TODAY).phase for a in Account.objects.all()}
    assert set(phases.values()) == {"active", "grace", "blocked", "suspended"}
    assert phases["Trial Over Sp. z o.o."] == "blocked"
    assert Account.objects.get(name="Trial Over Sp. z o.o.").trial_ends_on == (
        TODAY - timedelta(days=7))
    assert {a.package.code for a in Account.objects.all()} == {"base", "automation",
                                                              "professional"}


def test_demo_has_every_role_free_and_occupied_seats_and_a_seatless_member(demo):
    assert set(Member.objects.values_list("role", flat=True)) == set(MemberRole.values)
    assert Seat.objects.filter(removed_on__isnull=True, member__isnull=True).exists()
    assert Seat.objects.filter(member__isnull=False).exists()
    suspended = Member.objects.get(user__username="suspended@acme.example")
    assert suspended.state == MemberState.SUSPENDED
    assert not access_decision(suspended.user, as_of=TODAY).allowed


def test_demo_staff_are_in_the_finance_ops_and_support_groups(demo):
    for group in ("finance", "ops", "support"):
        members = Group.objects.get(name=group).user_set.all()
        assert members.count() == 1 and members[0].is_staff
    ops = get_user_model().objects.get(username="ops@vendor.example")
    assert ops.has_perm("django_celery_beat.change_periodictask")
    assert ops.has_perm("catalogue.change_packageprice")
    # ops list and revoke API tokens in the admin (issue 13, item 11), never make them
    assert ops.has_perm("authtoken.delete_tokenproxy")
    assert not ops.has_perm("authtoken.add_tokenproxy")
    finance = get_user_model().objects.get(username="finance@vendor.example")
    for user in (ops, finance):  # invoice data and documents, read-only in the admin
        assert user.has_perm("invoices.view_billingprofile")
        assert user.has_perm("invoices.view_document")


def test_demo_logins_work_with_the_printed_password(demo, client):
    assert client.login(username="admin@acme.example", password="demo-pass-2026")


def test_demo_has_invoice_data_invoices_and_a_pending_order_with_its_proforma(demo):
    from invoices.models import BillingProfile, Document
    from plans.models import Order

    assert BillingProfile.objects.count() == 6
    order = Order.objects.get(account__name="Acme Sp. z o.o.")
    assert order.status == "pending"
    proforma = Document.objects.get(kind="proforma")
    assert proforma.order == order and proforma.net == order.net
    assert proforma.number == "PF/2026/11/0001"
    invoices = dict(Document.objects.filter(kind="invoice").values_list("account__name",
                                                                         "vat_code"))
    assert invoices == {"Acme Sp. z o.o.": "23", "Expiring GmbH": "reverse_charge",
                        "Kontrakt S.A.": "23"}


def test_demo_finance_may_block_contract_accounts(demo):
    finance = get_user_model().objects.get(username="finance@vendor.example")
    assert finance.has_perm("seats.add_accesshold")
    # and book transfers against contract invoices, and make accounts contract accounts (QA)
    assert finance.has_perm("invoices.add_invoicetransfer")
    assert finance.has_perm("seats.add_contract") and finance.has_perm("seats.change_contract")


def test_demo_has_a_contract_account_with_an_overdue_contract_invoice(demo):
    """Finance can try blocking and unblocking on /finance/contracts/ (issue 10 QA: the demo had
    no contract account)."""
    from dunning.services.contracts import contract_accounts_overview
    from invoices.models import ContractInvoice
    from seats.access import standing_of

    account = Account.objects.get(name="Kontrakt S.A.")
    assert account.contract.ends_on is None
    assert standing_of(account, TODAY).contract is True
    invoice = ContractInvoice.objects.get(account=account)
    assert invoice.month == date(2026, 10, 1)
    overdue = {row.account.pk for row in contract_accounts_overview(TODAY) if row.overdue}
    assert account.pk in overdue
