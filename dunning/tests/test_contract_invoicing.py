"""Monthly invoices of contract accounts (SPEC §3; issue 11), at fixed dates.

"Big" (PL, package Base at 59.00 PLN a seat and month) has 10 seats created on 2026-10-25 and a
contract from that day (so its first confirmed count is 10, recorded by `contract_set`), and
invoice data. Its contract starts mid-October: October is not invoiced (the contract did not run
on 2026-10-01); November is the first invoiced month.
"""

import os
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from billing_site.errors import DomainError
from catalogue.models import AddOn, BillingPolicy
from dunning.services.contract_invoicing import (
    contract_invoicing_run,
    contract_month_lines,
    month_parse,
)
from dunning.tasks import invoice_contracts
from invoices.models import ContractInvoice, Document, DocumentKind
from invoices.selectors_overdue import overdue_invoices
from invoices.tests import billing_profile
from plans.models import AccountAddOn
from seats import services as seat_services
from seats.models import ConfirmedSeatCount, Seat
from seats.services.contracts import contract_seats_confirm, contract_set

D = date.fromisoformat
CREATED = D("2026-10-25")
PRICE = Decimal("59.00")


def run(month, as_of=None, **kwargs):
    first = D(f"{month}-01")
    return contract_invoicing_run(month=first, as_of=as_of or first, **kwargs)


def invoice_of(account, month):
    return ContractInvoice.objects.select_related("document").get(
        account=account, month=D(f"{month}-01")).document


@pytest.fixture
def big(make_account):
    account, admin = make_account("Big", extra_seats=9, as_of=CREATED)
    contract_set(account=account, starts_on=CREATED, ends_on=None, actor=None, as_of=CREATED)
    billing_profile(account)
    return account, admin


def seats_to(account, total, as_of):
    """Add or remove free seats until the account has `total`."""
    live = Seat.objects.filter(account=account, removed_on__isnull=True)
    if live.count() < total:
        seat_services.seats_add(account=account, count=total - live.count(), actor=None,
                                as_of=as_of)
    for seat in list(live.filter(member__isnull=True).order_by("-id"))[:live.count() - total]:
        seat_services.seat_remove(account=account, seat=seat, actor=None, as_of=as_of)
    assert Seat.objects.filter(account=account, removed_on__isnull=True).count() == total


# --- pure parts --------------------------------------------------------------------------------


@pytest.mark.parametrize("text,first", [("2026-11", D("2026-11-01")),
                                        ("2028-02", D("2028-02-01"))])
def test_month_parse(text, first):
    assert month_parse(text) == first


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "11/2026", "2026-11-01", "", "abcd-ef"])
def test_month_parse_refuses_anything_else(text):
    with pytest.raises(ValueError):
        month_parse(text)


def test_lines_cover_the_whole_month_february_of_a_leap_year():
    lines = contract_month_lines(month=D("2028-02-01"), package_name="Base", seats=12,
                                 seat_price=PRICE, addons=[])
    assert [(line.period_start, line.period_end, line.quantity, line.net) for line in lines] == [
        (D("2028-02-01"), D("2028-02-29"), 12, Decimal("708.00"))]


# --- invoicing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_invoice_bills_the_confirmed_count_not_an_unconfirmed_change(big):
    account, admin = big
    seats_to(account, 12, D("2026-11-10"))
    contract_seats_confirm(account=account, actor=admin.user, as_of=D("2026-11-10"))
    seats_to(account, 15, D("2026-11-20"))  # changed, not confirmed

    report = run("2026-12")
    doc = invoice_of(account, "2026-12")
    assert [i.seats for i in report.invoiced] == [12]
    line = doc.lines.get()
    assert (line.quantity, line.unit_price, line.net) == (12, PRICE, Decimal("708.00"))
    assert (line.period_start, line.period_end) == (D("2026-12-01"), D("2026-12-31"))
    assert (doc.net, doc.vat, doc.gross) == (Decimal("708.00"), Decimal("162.84"),
                                             Decimal("870.84"))
    assert (doc.kind, doc.number, doc.issue_date, doc.sale_date) == (
        DocumentKind.INVOICE, "FV/2026/12/0001", D("2026-12-01"), D("2026-12-01"))
    assert doc.due_date == D("2026-12-15")  # + contract_payment_days (14)
    assert doc.paid_by == "" and doc.buyer["name"] == "Acme Sp. z o.o."

    # confirmed in December: January bills 15
    contract_seats_confirm(account=account, actor=admin.user, as_of=D("2026-12-10"))
    run("2027-01")
    assert invoice_of(account, "2027-01").lines.get().quantity == 15
    assert invoice_of(account, "2026-12").lines.get().quantity == 12  # never changed


@pytest.mark.django_db
def test_until_the_first_confirmation_the_count_at_contract_time_is_billed(big):
    account, _admin = big
    seats_to(account, 13, D("2026-10-28"))  # never confirmed
    run("2026-11")
    assert invoice_of(account, "2026-11").lines.get().quantity == 10
    assert ConfirmedSeatCount.objects.get(account=account).confirmed_on == CREATED


@pytest.mark.django_db
def test_a_confirmation_after_the_first_counts_from_the_next_month(big):
    """Confirmed on 2026-12-02, after December's 1st: December (run late, on the 3rd) still
    bills the count confirmed on or before the 1st."""
    account, admin = big
    seats_to(account, 14, D("2026-12-02"))
    contract_seats_confirm(account=account, actor=admin.user, as_of=D("2026-12-02"))
    run("2026-12", as_of=D("2026-12-03"))
    doc = invoice_of(account, "2026-12")
    assert doc.lines.get().quantity == 10
    assert (doc.issue_date, doc.due_date) == (D("2026-12-03"), D("2026-12-17"))


@pytest.mark.django_db
def test_add_on_packs_are_a_line_of_their_own_and_terms_follow_the_policy(big):
    account, _admin = big
    AccountAddOn.objects.create(account=account, addon=AddOn.objects.get(code="chatbot"),
                                packs=3)
    BillingPolicy.objects.update_or_create(pk=BillingPolicy.SINGLETON_ID,
                                           defaults={"contract_payment_days": 30})
    run("2026-12")
    doc = invoice_of(account, "2026-12")
    lines = list(doc.lines.order_by("position"))
    assert [(line.quantity, line.unit_price, line.net) for line in lines] == [
        (10, PRICE, Decimal("590.00")), (3, Decimal("20.00"), Decimal("60.00"))]
    assert "Chatbot conversations" in lines[1].description
    assert doc.net == Decimal("650.00")
    assert doc.due_date == D("2026-12-31")


@pytest.mark.django_db
def test_31_day_month_and_february_of_leap_year_2028(make_account):
    account, _admin = make_account("Long", extra_seats=9, as_of=D("2027-12-20"))
    contract_set(account=account, starts_on=D("2028-01-01"), ends_on=None, actor=None,
                 as_of=D("2027-12-20"))
    billing_profile(account)
    run("2028-01")
    run("2028-02", as_of=D("2028-02-01"))
    january = invoice_of(account, "2028-01").lines.get()
    february = invoice_of(account, "2028-02").lines.get()
    assert (january.period_start, january.period_end) == (D("2028-01-01"), D("2028-01-31"))
    assert (february.period_start, february.period_end) == (D("2028-02-01"), D("2028-02-29"))
    # a whole month is the monthly price, however many days it has
    assert january.net == february.net == Decimal("590.00")
    assert invoice_of(account, "2028-02").due_date == D("2028-02-15")


@pytest.mark.django_db
def test_months_invoiced_are_those_whose_first_day_the_contract_runs_on(make_account):
    """Starts 2026-10-25 (mid-month), ends 2027-05-15 (mid-month): November to May, each in
    full; not October (did not run on the 1st), not June (ended)."""
    account, _admin = make_account("Term", extra_seats=9, as_of=CREATED)
    contract_set(account=account, starts_on=CREATED, ends_on=D("2027-05-15"), actor=None,
                 as_of=CREATED)
    billing_profile(account)
    assert run("2026-10", as_of=D("2026-10-31")).invoiced == []
    months = ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05"]
    for month in months:
        assert len(run(month).invoiced) == 1, month
    assert run("2027-06").invoiced == []
    may = invoice_of(account, "2027-05").lines.get()
    assert (may.period_start, may.period_end, may.net) == (D("2027-05-01"), D("2027-05-31"),
                                                          Decimal("590.00"))
    assert ContractInvoice.objects.filter(account=account).count() == len(months)


@pytest.mark.django_db
def test_run_twice_issues_once_and_numbers_are_consecutive(big, make_account):
    first, _admin = big
    second, _ = make_account("Second", extra_seats=9, as_of=CREATED)
    contract_set(account=second, starts_on=CREATED, ends_on=None, actor=None, as_of=CREATED)
    billing_profile(second)
    plain, _ = make_account("Not a contract", extra_seats=9, as_of=CREATED)
    billing_profile(plain)

    report = run("2026-12")
    assert sorted(i.number for i in report.invoiced) == ["FV/2026/12/0001", "FV/2026/12/0002"]
    again = run("2026-12")
    assert (again.invoiced, again.already_invoiced) == ([], 2)
    assert Document.objects.filter(kind=DocumentKind.INVOICE).count() == 2
    assert not ContractInvoice.objects.filter(account=plain).exists()


@pytest.mark.django_db
def test_an_account_without_invoice_data_is_skipped_and_reported(big, make_account, capsys):
    orphan, _ = make_account("No Data", extra_seats=9, as_of=CREATED)
    contract_set(account=orphan, starts_on=CREATED, ends_on=None, actor=None, as_of=CREATED)
    call_command("invoice_contracts", "--month", "2026-12", "--as-of", "2026-12-01")
    out = capsys.readouterr().out
    assert f"Skipped #{orphan.pk} No Data: no invoice data" in out
    assert "1 invoice(s) issued, 0 already invoiced, 1 skipped" in out
    assert not ContractInvoice.objects.filter(account=orphan).exists()
    # once the data are in, the next run invoices it, and only it
    billing_profile(orphan)
    report = run("2026-12", as_of=D("2026-12-02"))
    assert [i.account_id for i in report.invoiced] == [orphan.pk]
    assert report.already_invoiced == 1


@pytest.mark.django_db
def test_dry_run_reports_and_issues_nothing(big, capsys):
    account, _admin = big
    call_command("invoice_contracts", "--month", "2026-12", "--as-of", "2026-12-01",
                 "--dry-run")
    out = capsys.readouterr().out
    assert f"Would invoice #{account.pk} Big: 10 seat(s), net 590.00 PLN" in out
    assert "Dry run for 2026-12" in out
    assert not Document.objects.exists() and not ContractInvoice.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("month", ["2026-13", "12-2026", "2026/12", "next"])
def test_bad_month_is_a_command_error(month):
    with pytest.raises(CommandError, match="--month must be a month like 2026-12"):
        call_command("invoice_contracts", "--month", month)


@pytest.mark.django_db
def test_a_month_before_it_begins_is_refused(big):
    with pytest.raises(CommandError, match="cannot be invoiced before it begins"):
        call_command("invoice_contracts", "--month", "2027-01", "--as-of", "2026-12-31")
    with pytest.raises(DomainError):
        contract_invoicing_run(month=D("2027-01-02"), as_of=D("2027-01-02"))


@pytest.mark.django_db
def test_the_invoice_is_emailed_with_its_pdf_and_is_a_contract_invoice_when_overdue(
        big, django_capture_on_commit_callbacks):
    account, _admin = big
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run("2026-12")
    assert len(callbacks) == 1  # one callback queues the batch's renders
    doc = invoice_of(account, "2026-12")
    doc.refresh_from_db()
    assert doc.pdf and doc.emailed_at is not None  # tasks run inline in tests
    assert [m.to for m in mail.outbox] == [["invoices@buyer.example"]]
    assert mail.outbox[0].attachments[0][0] == "FV-2026-12-0001.pdf"
    # the dunning slice's reminders see it as an overdue contract invoice after its due date
    assert [i.id for i in overdue_invoices(D("2026-12-16"))] == [doc.pk]
    assert overdue_invoices(D("2026-12-15")) == []


@pytest.mark.django_db
def test_the_task_defaults_to_the_current_month(big):
    result = invoice_contracts(as_of="2026-12-01")
    assert (result["month"], result["invoiced"], result["numbers"]) == (
        "2026-12", 1, ["FV/2026/12/0001"])


# --- two processes at once ---------------------------------------------------------------------


def _database_url():
    db = connection.settings_dict
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_issue_one_invoice_per_account(make_account, tmp_path):
    accounts = []
    for i in range(8):
        account, _ = make_account(f"Parallel {i}", extra_seats=9, as_of=CREATED)
        contract_set(account=account, starts_on=CREATED, ends_on=None, actor=None,
                     as_of=CREATED)
        billing_profile(account)
        accounts.append(account)
    env = {**os.environ, "DATABASE_URL": _database_url(),
           "EMAIL_URL": f"filemail:///{tmp_path}"}
    command = [sys.executable, "manage.py", "invoice_contracts", "--month", "2026-12",
               "--as-of", "2026-12-01", "--batch-size", "3", "--no-render"]
    processes = [subprocess.Popen(command, cwd=settings.BASE_DIR, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(2)]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        outputs.append(out.decode())
    assert ContractInvoice.objects.count() == len(accounts)
    numbers = sorted(Document.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, len(accounts) + 1))  # gapless, one each
    counts = [re.search(r"(\d+) invoice\(s\) issued, (\d+) already invoiced", o).groups()
              for o in outputs]
    # each run saw every account: what one issued, the other found invoiced
    assert sum(int(issued) for issued, _already in counts) == len(accounts)
    assert all(int(issued) + int(already) == len(accounts) for issued, already in counts)
    # --no-render: left for the rendering sweep
    assert Document.objects.filter(needs_render=True).count() == len(accounts)


@pytest.mark.django_db
def test_the_admin_lists_contract_invoices_read_only(big, admin_client):
    run("2026-12")
    listing = admin_client.get("/admin/invoices/contractinvoice/")
    assert listing.status_code == 200
    assert "FV/2026/12/0001" in listing.content.decode()
    assert admin_client.get("/admin/invoices/contractinvoice/add/").status_code == 403


@pytest.mark.django_db
def test_statements_per_batch_are_the_same_for_batches_of_10_and_50(make_account, monkeypatch):
    """Issue 11: the statements of a batch do not grow with its size (the peer, Silver, runs 58
    per invoice). 50 contract accounts with an add-on each, invoiced for December in batches of
    10 and for January in one batch of 50: every batch runs the same statements."""
    from dunning.services import contract_invoicing

    chatbot = AddOn.objects.get(code="chatbot")
    for i in range(50):
        account, _ = make_account(f"Batch {i}", extra_seats=9, as_of=CREATED)
        contract_set(account=account, starts_on=CREATED, ends_on=None, actor=None,
                     as_of=CREATED)
        billing_profile(account)
        AccountAddOn.objects.create(account=account, addon=chatbot, packs=1 + i % 3)

    per_batch = []
    original = contract_invoicing._batch

    def counted(*args, **kwargs):
        per_batch.append(0)

        def count(execute, sql, params, many, context):
            per_batch[-1] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            return original(*args, **kwargs)

    monkeypatch.setattr(contract_invoicing, "_batch", counted)
    assert len(run("2026-12", batch_size=10).invoiced) == 50
    small, per_batch[:] = list(per_batch), []
    assert len(run("2027-01", batch_size=50).invoiced) == 50
    large = list(per_batch)
    assert len(small) == 5 and len(large) == 1
    # lock the accounts, already invoiced, confirmed counts, invoice data, add-ons, the number
    # block, five inserts (documents, lines, VAT totals, audit rows, contract-invoice rows), and
    # the PDFs' outbox rows (which of them wait already, one insert)
    assert set(small) == set(large) == {13}
