"""Month-end invoicing of contract accounts (SPEC §3; issue 11): on the 1st of each month one VAT
invoice per contract account for its *confirmed* seat count, with payment terms.

Which accounts and months (the simplest faithful reading of SPEC §3, "invoiced on the 1st of
each month"): an account is invoiced for month M when its contract runs on M's 1st
(`Contract.running_on`), for the whole month, never prorated. So a contract starting mid-month is
first invoiced on the next 1st (the days before are the seats' own paid or trial validity), and
a contract ending mid-month has its last month invoiced in full on that month's 1st (contracts
normally end on a month's last day). The overdue reminders (`invoices.selectors_overdue`) treat
these invoices as contract invoices: VAT invoices with a due date, not paid, of an account whose
contract ran on the issue date.

What an invoice bills (net, in the account's currency; `contract_month_lines`):
- seats: the count confirmed last on or before M's 1st (`seats.selectors.confirmed_seat_counts`:
  the `ConfirmedSeatCount` ledger; seats added or removed but not confirmed change nothing) ×
  the package's monthly net seat price in the account's currency (`catalogue.PackagePrice`);
- add-ons: for each add-on the account bought packs of (`plans.AccountAddOn`, packs > 0), packs ×
  the add-on's monthly net pack price (`catalogue.AddOnPrice`);
- issue date = the run's business date `as_of` (not before M's 1st; a late run issues late),
  sale date = M's 1st, each line's period M's 1st – M's last day, due date = issue date +
  `BillingPolicy.contract_payment_days` (default 14); VAT and buyer from the account's invoice
  data as they stand (`invoices.services.contract_documents`).

Skipped and reported, never a crash: no invoice data, no confirmed seat count, no price of the
package or of a bought add-on in the account's currency, an NBP rate not published yet (a
foreign-currency invoice with VAT). A later run (the command, or the Jobs page) issues them.

Idempotent per account and month: each batch locks its accounts (id order, waiting, as the sweep
does), leaves out those already invoiced for M, and the `ContractInvoice (account, month)` unique
constraint backs it. Run twice, or twice at once from two processes: one invoice each. Batches of
`batch_size` accounts, each in its own transaction, with a constant number of queries per batch
(the number block is reserved once per batch, see `invoices.services.numbering`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.errors import DomainError
from catalogue.models import AddOnPrice, BillingPolicy, PackagePrice
from invoices.models import BillingProfile
from invoices.services.contract_documents import (
    ContractInvoiceInput,
    contract_invoiced_accounts,
    contract_invoices_issue,
)
from invoices.services.documents import LineInput
from plans.models import AccountAddOn
from plans.pricing.arithmetic import month_end
from seats.models import Account, Contract
from seats.selectors import confirmed_seat_counts

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


def month_parse(text: str) -> date:
    """"2026-11" → date(2026, 11, 1). ValueError for anything else (e.g. "2026-13", "11/2026")."""
    parts = (text or "").strip().split("-")
    if len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2 or not all(
            p.isascii() and p.isdigit() for p in parts):
        raise ValueError(f"not a month like 2026-11: {text!r}")
    return date(int(parts[0]), int(parts[1]), 1)


@dataclass(frozen=True)
class AddOnCharge:
    name: str
    packs: int
    price: Decimal  # monthly net price of one pack, in the invoice's currency


def contract_month_lines(*, month: date, package_name: str, seats: int, seat_price: Decimal,
                         addons: list[AddOnCharge]) -> list[LineInput]:
    """The lines of a contract account's invoice for `month` (first day): `seats` × the monthly
    net `seat_price`, then one line per add-on with packs (packs × monthly net pack price); each
    for the whole calendar month. Pure; amounts net in the invoice's currency."""
    start, end = month, month_end(month.year, month.month)
    period = f"{start.isoformat()} – {end.isoformat()}"
    lines = [LineInput(
        description=f"Licencja stanowiska — pakiet {package_name}, umowa, {period}",
        quantity=Decimal(seats), unit_price=seat_price, period_start=start, period_end=end)]
    lines += [
        LineInput(description=f"{addon.name} — pakiety, {period}", quantity=Decimal(addon.packs),
                  unit_price=addon.price, period_start=start, period_end=end, unit="pak.")
        for addon in addons if addon.packs > 0
    ]
    return lines


@dataclass(frozen=True)
class InvoicedAccount:
    account_id: int
    name: str
    seats: int
    net: Decimal
    currency: str
    number: str  # "" in a dry run


@dataclass(frozen=True)
class SkippedAccount:
    account_id: int
    name: str
    reason: str


@dataclass
class ContractInvoicingReport:
    """What a run did (or, `dry_run`, would do) for `month` (first day), issuing on `as_of`."""

    month: date
    as_of: date
    dry_run: bool
    invoiced: list[InvoicedAccount] = field(default_factory=list)
    skipped: list[SkippedAccount] = field(default_factory=list)
    already_invoiced: int = 0

    def as_dict(self) -> dict:
        """JSON-safe counts and lists, for the Celery task result."""
        return {
            "month": self.month.strftime("%Y-%m"), "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run, "invoiced": len(self.invoiced),
            "already_invoiced": self.already_invoiced,
            "numbers": [i.number for i in self.invoiced],
            "skipped": [{"account": s.account_id, "name": s.name, "reason": s.reason}
                        for s in self.skipped],
        }

    def lines(self) -> list[str]:
        """A human report: one line per invoice and per skipped account, then a summary."""
        out = [f"{'Would invoice' if self.dry_run else 'Invoiced'} #{i.account_id} {i.name}: "
               f"{i.seats} seat(s), net {i.net} {i.currency}"
               + (f", {i.number}" if i.number else "") for i in self.invoiced]
        out += [f"Skipped #{s.account_id} {s.name}: {s.reason}" for s in self.skipped]
        out.append(
            f"{'Dry run' if self.dry_run else 'Contract invoicing'} for "
            f"{self.month:%Y-%m} (issue date {self.as_of.isoformat()}): "
            f"{len(self.invoiced)} invoice(s) {'would be ' if self.dry_run else ''}issued, "
            f"{self.already_invoiced} already invoiced, {len(self.skipped)} skipped.")
        return out


def contract_invoicing_run(*, month: date, as_of: date, dry_run: bool = False,
                           batch_size: int = BATCH_SIZE, render: bool = True
                           ) -> ContractInvoicingReport:
    """Invoice every contract account whose contract runs on `month`'s 1st (module docstring).
    `month` is the month's first day, `as_of` the issue date (business date). `dry_run` issues
    nothing, locks nothing and reports what would be issued. `render=False` leaves PDFs and
    e-mails to the periodic rendering sweep (benchmarks); otherwise one render task per invoice
    is queued after each batch commits.

    Refused with `DomainError`: `month` not a first day; `as_of` before `month` begins (a month
    is invoiced on or after its 1st)."""
    if month.day != 1:
        raise DomainError(_("A month is given by its first day."), code="month_not_first_day")
    if as_of < month:
        raise DomainError(
            _("%(month)s cannot be invoiced before it begins (on %(first)s).")
            % {"month": month.strftime("%Y-%m"), "first": formatting.day(month)},
            code="month_not_begun")
    if batch_size < 1:
        raise ValueError("batch_size must be 1 or more")
    report = ContractInvoicingReport(month=month, as_of=as_of, dry_run=dry_run)
    due_on = as_of + timedelta(days=BillingPolicy.current().contract_payment_days)
    seat_prices = {(p, c): price for p, c, price in
                   PackagePrice.objects.values_list("package_id", "currency", "monthly_price")}
    addon_prices = {(a, c): price for a, c, price in
                    AddOnPrice.objects.values_list("addon_id", "currency", "monthly_price")}
    after = 0
    while True:
        ids = list(Contract.objects.running_on(month).filter(account_id__gt=after)
                   .order_by("account_id").values_list("account_id", flat=True)[:batch_size])
        if not ids:
            break
        after = ids[-1]
        if dry_run:
            _batch(ids, month=month, as_of=as_of, due_on=due_on, report=report,
                   seat_prices=seat_prices, addon_prices=addon_prices, dry_run=True,
                   render=render)
        else:
            with transaction.atomic():
                _batch(ids, month=month, as_of=as_of, due_on=due_on, report=report,
                       seat_prices=seat_prices, addon_prices=addon_prices, dry_run=False,
                       render=render)
        if len(ids) < batch_size:
            break
    logger.info("Contract invoicing %s: %d issued, %d already, %d skipped%s",
                month.strftime("%Y-%m"), len(report.invoiced), report.already_invoiced,
                len(report.skipped), " (dry run)" if dry_run else "")
    return report


def _batch(ids, *, month, as_of, due_on, report, seat_prices, addon_prices, dry_run, render):
    accounts = Account.objects.select_related("package").filter(pk__in=ids).order_by("pk")
    if not dry_run:
        # the accounts' rows serialise this batch with the seat services, a confirmation and a
        # concurrent run; in id order, so two runs never wait for each other in a cycle
        accounts = accounts.select_for_update(of=("self",))
    accounts = list(accounts)
    done = contract_invoiced_accounts(ids, month)
    report.already_invoiced += len(done)
    accounts = [a for a in accounts if a.pk not in done]
    if not accounts:
        return
    todo = [a.pk for a in accounts]
    counts = confirmed_seat_counts(todo, month)
    profiles = {p.account_id: p for p in BillingProfile.objects.filter(account_id__in=todo)}
    addons: dict[int, list] = {}
    for row in (AccountAddOn.objects.filter(account_id__in=todo, packs__gt=0)
                .select_related("addon").order_by("account_id", "addon__code")):
        addons.setdefault(row.account_id, []).append(row)

    inputs = []
    for account in accounts:
        reason = None
        seats = counts.get(account.pk)
        seat_price = seat_prices.get((account.package_id, account.currency))
        charges = []
        for row in addons.get(account.pk, []):
            price = addon_prices.get((row.addon_id, account.currency))
            if price is None:
                reason = (f"the add-on {row.addon.name} has no price in {account.currency}")
            charges.append(AddOnCharge(row.addon.name, row.packs, price))
        if account.pk not in profiles:
            reason = "no invoice data (the account's admin fills them in on the billing page)"
        elif seats is None:
            reason = "no confirmed seat count"
        elif seat_price is None:
            reason = f"the package {account.package.name} has no price in {account.currency}"
        if reason is not None:
            report.skipped.append(SkippedAccount(account.pk, account.name, reason))
            continue
        lines = contract_month_lines(month=month, package_name=account.package.name,
                                     seats=seats, seat_price=seat_price, addons=charges)
        inputs.append(ContractInvoiceInput(
            account=account, profile=profiles[account.pk], month=month, seats=seats,
            lines=lines, currency=account.currency, sale_date=month, due_on=due_on))

    if dry_run:
        report.invoiced += [
            InvoicedAccount(i.account.pk, i.account.name, i.seats,
                            sum((line.net for line in i.lines), Decimal("0.00")),
                            i.currency, "")
            for i in inputs]
        return
    result = contract_invoices_issue(inputs=inputs, as_of=as_of, render=render)
    by_account = {i.account.pk: i for i in inputs}
    report.invoiced += [
        InvoicedAccount(doc.account_id, by_account[doc.account_id].account.name,
                        by_account[doc.account_id].seats, doc.net, doc.currency, doc.number)
        for doc in result.issued]
    report.skipped += [
        SkippedAccount(i.account.pk, i.account.name,
                       f"the NBP rate for {i.currency} is not published yet")
        for i in result.waiting_for_rate]
