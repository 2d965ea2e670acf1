"""Synthetic contract accounts for the month-end invoicing benchmark (issue 11), loaded with COPY.

`dataset_load(spec)` fills the database Django is connected to (PostgreSQL only) with
`spec.accounts` contract accounts (ids 1 … `accounts`), each with what
`dunning.services.contract_invoicing` reads, and nothing else:

- the account (package Base, PL, PLN) and its open-ended contract (a tenth fixed-term, ending
  after the invoiced month), started 400 days before the month;
- its confirmed seat counts (`ConfirmedSeatCount`): the count at contract start (10–200 seats),
  and for a fifth of the accounts a later confirmation (which the invoice bills); for one in
  fifty a confirmation *after* the month's 1st too, which must not be billed;
- Polish company invoice data (`BillingProfile`, a 10-digit NIP; a tenth with an ordering
  party);
- packs of two add-ons (`AccountAddOn`): the catalogue's chatbot conversations and a second
  add-on the benchmark adds to the catalogue (`SECOND_ADDON`, extra storage; ops add add-ons in
  the admin, the invoicing bills one line per add-on with packs).

So every invoice has three lines: seats, chatbot packs, storage packs. Not loaded: users,
members, seats, orders (invoicing bills the confirmed count, never the live seats).

`invoices_reset()` empties what a run writes (documents, their lines and VAT totals, contract
invoice rows, audit rows, number counters) with TRUNCATE, which the issued-documents trigger
(row-level, on UPDATE/DELETE) does not fire for: run it between two timed runs. Both refuse a
database with accounts that this module did not load (`MARKER_TABLE`, as `bench.sweep_data`).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal

from bench.sweep_data import _at, _copy, _raw_cursor, _reset_identity

DEFAULT_MONTH = date(2026, 12, 1)
MARKER_TABLE = "bench_month_end_dataset"
EMAIL_DOMAIN = "month-end-bench.example"
# code: (name, units per pack, monthly net price per pack in PLN)
SECOND_ADDON = ("extra-storage", "Extra storage 10 GB", 10, Decimal("15.00"))
LATER_CONFIRMATION_SHARE = 0.2
FUTURE_CONFIRMATION_SHARE = 0.02
ORDERING_PARTY_SHARE = 0.1
FIXED_TERM_SHARE = 0.1
INVOICE_TABLES = ("invoices_contractinvoice", "invoices_documentvattotal",
                  "invoices_documentline", "invoices_document", "seats_auditentry",
                  "invoices_numbercounter")
LOADED_TABLES = ("seats_account", "seats_contract", "seats_confirmedseatcount",
                 "invoices_billingprofile", "plans_accountaddon")


@dataclass(frozen=True)
class MonthEndDataSpec:
    """What to load: `accounts` contract accounts to invoice for `month` (its first day)."""

    accounts: int = 1_000
    month: date = DEFAULT_MONTH
    seed: int = 11

    def as_json(self) -> str:
        data = asdict(self)
        data["month"] = self.month.isoformat()
        return json.dumps(data, sort_keys=True)


@dataclass(frozen=True, slots=True)
class ContractPlan:
    id: int
    seats: int  # the count the invoice for `month` must bill
    confirmations: tuple[tuple[int, date], ...]  # (count, confirmed_on), in order
    ends_on: date | None
    chatbot_packs: int
    storage_packs: int
    ordering_party: bool


def contract_plans(spec: MonthEndDataSpec):
    """The accounts, ids 1 … `spec.accounts`, in order (deterministic for a spec)."""
    rng = random.Random(spec.seed)
    starts_on = spec.month - timedelta(days=400)
    for account_id in range(1, spec.accounts + 1):
        first = rng.randint(10, 200)
        confirmations = [(first, starts_on)]
        billed = first
        if rng.random() < LATER_CONFIRMATION_SHARE:
            billed = max(10, first + rng.randint(-5, 20))
            confirmations.append((billed, spec.month - timedelta(days=rng.randint(1, 300))))
        if rng.random() < FUTURE_CONFIRMATION_SHARE:  # confirmed after the 1st: not billed
            confirmations.append((billed + 3, spec.month + timedelta(days=rng.randint(1, 20))))
        ends_on = None
        if rng.random() < FIXED_TERM_SHARE:
            ends_on = spec.month + timedelta(days=rng.randint(31, 400))
        yield ContractPlan(account_id, billed, tuple(confirmations), ends_on,
                           chatbot_packs=rng.randint(1, 10), storage_packs=rng.randint(1, 5),
                           ordering_party=rng.random() < ORDERING_PARTY_SHARE)


def loaded_spec() -> str | None:
    """The JSON of the spec whose accounts are loaded (None: none, or not by this module)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT spec FROM {MARKER_TABLE} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    return json.dumps(row[0] if isinstance(row[0], dict) else json.loads(row[0]),
                      sort_keys=True)


def _refuse_foreign_data(cursor) -> None:
    cursor.execute("SELECT to_regclass(%s), EXISTS (SELECT 1 FROM seats_account)",
                   [MARKER_TABLE])
    marker, has_accounts = cursor.fetchone()
    if has_accounts and marker is None:
        raise RuntimeError(
            "refusing to empty a database whose accounts were not loaded by "
            "bench.month_end_data: use a database of its own for the benchmark")


def second_addon():
    """The benchmark's second add-on with its PLN price (created when missing)."""
    from catalogue.models import AddOn, AddOnPrice

    code, name, pack_size, price = SECOND_ADDON
    addon, _ = AddOn.objects.get_or_create(code=code,
                                           defaults={"name": name, "pack_size": pack_size})
    AddOnPrice.objects.get_or_create(addon=addon, currency="PLN",
                                     defaults={"monthly_price": price})
    return addon


def dataset_load(spec: MonthEndDataSpec) -> dict[str, int]:
    """Empty the account and invoice tables and load `spec`'s contract accounts (module
    docstring), in one transaction; returns the row counts."""
    from django.db import connection, transaction

    from catalogue.models import AddOn, Package

    if connection.vendor != "postgresql":
        raise RuntimeError("the month-end benchmark data needs PostgreSQL (COPY)")
    with transaction.atomic():
        with connection.cursor() as cursor:
            _refuse_foreign_data(cursor)
            package_id = Package.objects.get(code="base").pk
            chatbot_id = AddOn.objects.get(code="chatbot").pk
            storage_id = second_addon().pk
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE seats_account, " + ", ".join(INVOICE_TABLES)
                           + " RESTART IDENTITY CASCADE")
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
                           "(id int PRIMARY KEY, spec jsonb NOT NULL, loaded_at timestamptz)")
            cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608
            counts = _load(_raw_cursor(cursor), spec, package_id, chatbot_id, storage_id)
            for table in LOADED_TABLES:
                _reset_identity(cursor, table)
            cursor.execute(f"INSERT INTO {MARKER_TABLE} VALUES (1, %s, now())",  # noqa: S608
                           [spec.as_json()])
            cursor.execute("ANALYZE " + ", ".join(LOADED_TABLES))
    return counts


def _load(cursor, spec, package_id, chatbot_id, storage_id) -> dict[str, int]:
    created = _at(spec.month - timedelta(days=400))
    starts_on = spec.month - timedelta(days=400)
    plans = list(contract_plans(spec))

    def nip(account_id):
        """A 10-digit NIP with a valid check digit (weights 6 5 7 2 3 4 5 6 7)."""
        while True:
            digits = [int(c) for c in f"{(account_id * 7919) % 10**9:09d}"]
            digits[0] = digits[0] or 1
            check = sum(w * d for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), digits,
                                              strict=True)) % 11
            if check < 10:
                return "".join(map(str, digits)) + str(check)
            account_id += spec.accounts + 1

    def profiles():
        for p in plans:
            party = (("Grupa Kapitałowa Bench S.A.", "ul. Grzybowska 2", "00-131", "Warszawa",
                      "PL", "5270103391") if p.ordering_party else ("", "", "", "", "", ""))
            yield (p.id, "company", f"Kontrakt {p.id:06d} Sp. z o.o.",
                   f"ul. Marszałkowska {p.id % 200 + 1}", "00-624", "Warszawa", "PL", nip(p.id),
                   "n/a", None, f"faktury{p.id}@{EMAIL_DOMAIN}", *party, created)

    def addons():
        for p in plans:
            yield (p.id, chatbot_id, p.chatbot_packs)
            yield (p.id, storage_id, p.storage_packs)

    return {
        "accounts": _copy(cursor, "seats_account", (
            "id", "name", "package_id", "country", "currency", "billing_period", "trial",
            "trial_ends_on", "created_at"),
            ((p.id, f"Kontrakt {p.id:06d}", package_id, "PL", "PLN", "monthly", False, None,
              created) for p in plans)),
        "contracts": _copy(cursor, "seats_contract", (
            "account_id", "starts_on", "ends_on", "created_at"),
            ((p.id, starts_on, p.ends_on, created) for p in plans)),
        "confirmed_seat_counts": _copy(cursor, "seats_confirmedseatcount", (
            "account_id", "count", "confirmed_on", "created_at"),
            ((p.id, count, on, _at(on)) for p in plans for count, on in p.confirmations)),
        "billing_profiles": _copy(cursor, "invoices_billingprofile", (
            "account_id", "kind", "name", "street", "postal_code", "city", "country", "tax_id",
            "tax_id_status", "tax_id_checked_at", "invoice_email", "ordering_party_name",
            "ordering_party_street", "ordering_party_postal_code", "ordering_party_city",
            "ordering_party_country", "ordering_party_tax_id", "updated_at"), profiles()),
        "account_addons": _copy(cursor, "plans_accountaddon", (
            "account_id", "addon_id", "packs"), addons()),
    }


def invoices_reset() -> None:
    """Empty what an invoicing run wrote (module docstring), so the next run has the same work."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        _refuse_foreign_data(cursor)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE " + ", ".join(INVOICE_TABLES) + " RESTART IDENTITY CASCADE")
