"""Monthly support settlement (SPEC §8): one VAT invoice per contract and month with the plan
fee (prorated by days) and the hours over the bundle at the plan's rate; idempotent; nothing
issued when there is nothing to bill; the command and the task."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing_site.errors import DomainError
from invoices.models import Document
from invoices.tests import billing_profile
from support_plans import services, tasks
from support_plans.models import SupportSettlement

from .conftest import at

NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)
AS_OF = date(2026, 12, 1)


@pytest.fixture
def profiled(acme):
    billing_profile(acme[0])
    return acme


def lines_of(document):
    return [(line.description, line.quantity, line.unit_price, line.net)
            for line in document.lines.order_by("position")]


def test_whole_month_fee_and_overage_on_one_invoice(order, profiled):
    contract = order("START", NOV)  # 399 PLN, 3 h included, 165 PLN/h
    services.time_entry_add(contract=contract, ticket=None, channel="remote", minutes=205,
                            date=date(2026, 11, 10), actor=None)  # 210 billable: 30 over
    services.time_entry_add(contract=contract, ticket=None, channel="phone", minutes=25,
                            date=date(2026, 11, 11), actor=None)  # 30 over
    result = services.support_settle(month=NOV, as_of=AS_OF)
    assert result.counts == {"issued": 1, "nothing_to_bill": 0, "already_settled": 0,
                             "failed": 0}
    settlement = SupportSettlement.objects.get(contract=contract, month=NOV)
    document = settlement.document
    assert lines_of(document) == [
        ("Plan wsparcia START, 2026-11-01 – 2026-11-30", Decimal("1.0000"), Decimal("399.00"),
         Decimal("399.00")),
        ("Wsparcie poza pakietem godzin (START), 2026-11-01 – 2026-11-30", Decimal("1.0000"),
         Decimal("165.00"), Decimal("165.00")),
    ]
    assert (document.currency, document.net, document.vat, document.gross) == (
        "PLN", Decimal("564.00"), Decimal("129.72"), Decimal("693.72"))
    assert document.issue_date == AS_OF and document.sale_date == date(2026, 11, 30)
    assert (settlement.fee, settlement.overage_minutes, settlement.overage) == (
        Decimal("399.00"), 60, Decimal("165.00"))


def test_a_partial_first_month_is_prorated_by_days(order, profiled):
    contract = order("EMAIL", date(2026, 11, 16))  # 15 of 30 days
    services.support_settle(month=NOV, as_of=AS_OF)
    document = SupportSettlement.objects.get(contract=contract).document
    assert lines_of(document) == [("Plan wsparcia EMAIL, 2026-11-16 – 2026-11-30",
                                   Decimal("1.0000"), Decimal("64.50"), Decimal("64.50"))]


def test_a_cancelled_contract_is_billed_through_its_last_month_then_no_more(order, profiled):
    contract = order("START", date(2026, 8, 16))  # minimum term to 15 Nov
    services.contract_cancel(contract=contract, actor=None, as_of=date(2026, 11, 2))
    services.support_settle(month=NOV, as_of=AS_OF)
    services.support_settle(month=DEC, as_of=date(2027, 1, 1))
    document = SupportSettlement.objects.get(contract=contract, month=NOV).document
    assert document.sale_date == date(2026, 11, 30)
    assert [line[3] for line in lines_of(document)] == [Decimal("399.00")]
    assert not SupportSettlement.objects.filter(month=DEC).exists()


def test_community_remote_help_is_billed_at_its_rate(order, profiled):
    contract = order("COMMUNITY", date(2026, 10, 1))
    services.time_entry_add(contract=contract, ticket=None, channel="remote", minutes=55,
                            date=date(2026, 11, 3), actor=None)  # 60 min at 200 PLN/h
    services.support_settle(month=NOV, as_of=AS_OF)
    document = SupportSettlement.objects.get(contract=contract).document
    assert lines_of(document) == [
        ("Wsparcie poza pakietem godzin (COMMUNITY), 2026-11-01 – 2026-11-30",
         Decimal("1.0000"), Decimal("200.00"), Decimal("200.00"))]


def test_fee_follows_the_plan_change_from_the_first(order, tiers, profiled):
    contract = order("START", NOV)
    services.contract_change_plan(contract=contract, plan=tiers["STANDARD"], actor=None,
                                  as_of=date(2026, 11, 20))
    services.contracts_apply_scheduled(as_of=DEC)  # the plan moved on before settling
    services.support_settle(month=NOV, as_of=AS_OF)
    services.support_settle(month=DEC, as_of=date(2027, 1, 1))
    nov, dec = (SupportSettlement.objects.get(contract=contract, month=m).document
                for m in (NOV, DEC))
    assert [line[2] for line in lines_of(nov)] == [Decimal("399.00")]
    assert [line[2] for line in lines_of(dec)] == [Decimal("799.00")]


def test_nothing_is_issued_when_there_is_nothing_to_bill(order, profiled):
    contract = order("COMMUNITY", NOV)
    services.time_entry_add(contract=contract, ticket=None, channel="email", minutes=30,
                            date=date(2026, 11, 10), actor=None)
    result = services.support_settle(month=NOV, as_of=AS_OF)
    assert result.counts["nothing_to_bill"] == 1 and result.counts["issued"] == 0
    assert SupportSettlement.objects.get(contract=contract).document is None
    assert not Document.objects.exists()


def test_settling_twice_issues_one_invoice(order, profiled):
    order("START", NOV)
    services.support_settle(month=NOV, as_of=AS_OF)
    again = services.support_settle(month=NOV, as_of=date(2026, 12, 2))
    assert again.counts["already_settled"] == 1 and again.counts["issued"] == 0
    assert Document.objects.count() == 1


def test_contract_without_invoice_data_fails_and_the_others_go_on(order, tiers, acme,
                                                                  make_account):
    order("START", NOV)  # Acme has no invoice data
    other_account, other_admin = make_account("Other")
    billing_profile(other_account)
    other = services.contract_order(account=other_account, plan=tiers["EMAIL"], start=NOV,
                                    contact=other_admin, actor=None, as_of=NOV)
    result = services.support_settle(month=NOV, as_of=AS_OF)
    assert result.issued == [other.pk]
    assert len(result.failed) == 1 and "invoice data" in result.failed[0][1]
    assert SupportSettlement.objects.count() == 1


def test_contracts_outside_the_month_are_not_settled(order, profiled):
    order("START", DEC)
    assert services.support_settle(month=NOV, as_of=AS_OF).counts["issued"] == 0


@pytest.mark.parametrize(("month", "as_of", "code"), [
    (date(2026, 11, 2), AS_OF, "month_invalid"),
    (NOV, date(2026, 11, 30), "month_not_over"),
])
def test_a_month_not_over_or_not_a_first_is_refused(db, month, as_of, code):
    with pytest.raises(DomainError) as exc:
        services.support_settle(month=month, as_of=as_of)
    assert exc.value.code == code


def test_command_settles_the_month(order, profiled, capsys):
    order("START", NOV)
    call_command("support_settle", "--month", "2026-11", "--as-of", "2026-12-01")
    assert "1 invoiced" in capsys.readouterr().out
    assert SupportSettlement.objects.filter(month=NOV).count() == 1


@pytest.mark.parametrize("month", ["2026-13", "11/2026", "2026-1", ""])
def test_command_refuses_a_bad_month(db, month):
    with pytest.raises(CommandError, match="--month must be a month like 2026-11"):
        call_command("support_settle", "--month", month)


def test_command_refuses_a_month_not_over(db):
    with pytest.raises(CommandError, match="settled once it is over"):
        call_command("support_settle", "--month", "2026-12", "--as-of", "2026-12-15")


def test_the_beat_task_settles_the_previous_month(order, profiled):
    order("START", NOV)
    result = tasks.settle.delay(as_of="2026-12-01").get()
    assert result["month"] == "2026-11-01" and result["issued"] == 1


def test_settlement_reports_each_contracts_sla(order, profiled, capsys):
    contract = order("START", NOV)
    ticket = services.ticket_open(contract=contract, received_at=at(2026, 11, 16, 9),
                                  channel="email", kind="bug", reporter=contract.contact,
                                  actor=None, now=at(2026, 11, 16, 9))
    services.ticket_respond(ticket=ticket, responded_at=at(2026, 11, 16, 10), actor=None)
    call_command("support_settle", "--month", "2026-11", "--as-of", "2026-12-01")
    out = capsys.readouterr().out
    assert f"contract {contract.pk} (Acme, START): 1 tickets, 1 met, 0 breached" in out
