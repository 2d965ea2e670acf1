"""Monthly support settlement (SPEC §8): one VAT invoice per contract and month.

The invoice (series FV, in PLN, VAT by the buyer's invoice data, through
`invoices.services.documents.document_issue`: numbered under the counter's lock, frozen
snapshots, PDF queued after commit) has:
- the plan fee: for each plan the contract had in the month, `monthly_fee × days it ran on that
  plan ÷ days in the month`, rounded once to 2 places (a first or last partial month is prorated
  by days; a whole month is the whole fee);
- the overage: the month's minutes billed over the bundle, in hours (4 decimal places) at the
  plan's hourly rate (one line per plan and rate).

Idempotent per contract and month: each contract is settled in its own transaction under its
row lock, and the `SupportSettlement` row (unique per contract and month) is written in the
same transaction as the invoice; a second or concurrent run finds it and skips. Nothing to bill
(a zero fee and no overage, COMMUNITY without paid help) writes the row without an invoice. A
contract whose invoice cannot be issued (no invoice data yet) is reported as failed and left
for the next run; the others go on. The result carries each contract's SLA report for the month
(`selectors.sla_report`: tickets, met, breached, without deadline, time used).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.dates import end_of_month
from billing_site.errors import DomainError
from billing_site.vat import money
from invoices.models import DocumentKind
from invoices.services.documents import LineInput, document_issue

from ..models import SupportContract, SupportSettlement, TimeEntry
from ..selectors import contracts_for_month, plan_on, sla_report
from .common import audit

HOURS = Decimal("0.0001")


@dataclass
class SettlementResult:
    """What `support_settle` did for the month (contract ids in each list)."""

    month: date
    issued: list[int] = field(default_factory=list)
    nothing_to_bill: list[int] = field(default_factory=list)
    already_settled: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (contract id, message)
    # contract id → its SLA report's counts for the month (`selectors.sla_report`, no rows)
    reports: dict[int, dict] = field(default_factory=dict)

    @property
    def counts(self) -> dict:
        return {"issued": len(self.issued), "nothing_to_bill": len(self.nothing_to_bill),
                "already_settled": len(self.already_settled), "failed": len(self.failed)}


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def settlement_lines(contract, month: date) -> tuple[list[LineInput], Decimal, int, Decimal]:
    """(invoice lines, fee, overage minutes, overage amount) of the contract for `month` (its
    1st); see the module docstring. Empty lines when there is nothing to bill."""
    first, last = month, end_of_month(month)
    run_first = max(first, contract.start)
    run_last = min(last, contract.ends_on) if contract.ends_on else last
    days_in_month = (last - first).days + 1
    period = f"{first.isoformat()} – {last.isoformat()}"
    lines: list[LineInput] = []
    fee_total = Decimal("0.00")
    runs: list[list] = []  # [plan, first day, last day]
    for day in _days(run_first, run_last):
        plan = plan_on(contract, day)
        if runs and runs[-1][0].pk == plan.pk:
            runs[-1][2] = day
        else:
            runs.append([plan, day, day])
    for plan, start, end in runs:
        days = (end - start).days + 1
        fee = money(plan.monthly_fee * days / days_in_month)
        if fee <= 0:
            continue
        fee_total += fee
        span = period if days == days_in_month else f"{start.isoformat()} – {end.isoformat()}"
        lines.append(LineInput(description=f"Plan wsparcia {plan.code}, {span}",
                               quantity=Decimal(1), unit_price=fee, period_start=start,
                               period_end=end, unit="mies."))
    over_by_rate: dict[tuple[str, Decimal], int] = defaultdict(int)
    for entry in TimeEntry.objects.filter(contract=contract, date__gte=first, date__lte=last,
                                          billed_minutes_over_bundle__gt=0):
        plan = plan_on(contract, entry.date)
        over_by_rate[(plan.code, plan.hourly_rate)] += entry.billed_minutes_over_bundle
    over_minutes = 0
    over_total = Decimal("0.00")
    for (code, rate), minutes in sorted(over_by_rate.items()):
        if rate <= 0:
            continue
        hours = (Decimal(minutes) / 60).quantize(HOURS, rounding=ROUND_HALF_UP)
        line = LineInput(description=f"Wsparcie poza pakietem godzin ({code}), {period}",
                         quantity=hours, unit_price=rate, period_start=first, period_end=last,
                         unit="godz.")
        over_minutes += minutes
        over_total += line.net
        lines.append(line)
    return lines, fee_total, over_minutes, over_total


def _check_month(month: date, as_of: date) -> date:
    if not isinstance(month, date) or month.day != 1:
        raise DomainError(_("Give a month as its first day."), field="month", code="month_invalid")
    if end_of_month(month) >= as_of:
        raise DomainError(_("A month is settled once it is over."), field="month",
                          code="month_not_over")
    return month


def support_settle(*, month: date, as_of: date, actor=None) -> SettlementResult:
    """Settle every contract that ran in `month` (its 1st; the month must be over by `as_of`):
    issue each its invoice dated `as_of` (sale date: the month's last day it ran) and record the
    `SupportSettlement` row; see the module docstring. Returns a `SettlementResult` (ids per
    outcome, `counts`). Refused with `DomainError`: `month` not a 1st (`month_invalid`) or not
    over (`month_not_over`). Idempotent; safe to run concurrently. SPEC §8."""
    month = _check_month(month, as_of)
    result = SettlementResult(month=month)
    for contract in list(contracts_for_month(month)):
        try:
            with transaction.atomic():
                _settle_one(contract.pk, month, as_of, actor, result)
        except DomainError as exc:
            result.failed.append((contract.pk, str(exc)))
        report = sla_report(contract, month)
        result.reports[contract.pk] = {
            "account": contract.account.name, "plan": report["plan"].code,
            **{key: report[key] for key in ("tickets", "met", "breached", "no_deadline",
                                            "open")},
            "minutes_used": report["minutes_used"]}
    return result


def _settle_one(contract_id: int, month: date, as_of: date, actor, result) -> None:
    contract = (SupportContract.objects.select_for_update(of=("self",))
                .select_related("account").get(pk=contract_id))
    if SupportSettlement.objects.filter(contract=contract, month=month).exists():
        result.already_settled.append(contract_id)
        return
    lines, fee, over_minutes, overage = settlement_lines(contract, month)
    document = None
    if lines:
        sale_date = min(end_of_month(month), contract.ends_on or end_of_month(month))
        document = document_issue(account=contract.account, kind=DocumentKind.INVOICE,
                                  lines=lines, sale_date=sale_date, as_of=as_of,
                                  currency="PLN", actor=actor)
    settlement = SupportSettlement.objects.create(
        contract=contract, month=month, document=document, fee=fee,
        overage_minutes=over_minutes, overage=overage)
    audit(contract=contract, actor=actor, action="support_settlement.settle", target=settlement,
          after={"month": month.isoformat(), "document": document.pk if document else None,
                 "fee": str(fee), "overage_minutes": over_minutes, "overage": str(overage)})
    (result.issued if document else result.nothing_to_bill).append(contract_id)
