"""Issued documents for tests of PDFs, e-mail, pages and the API.

These write Document / DocumentLine / DocumentVatTotal rows directly instead of going through
`invoices.services.documents` (issuing is tested on its own there, and issuing queues the PDF
render on commit, which these tests drive themselves with `rendered`), so that a test can give
the exact buyer, issue date and NBP rate it shows. Nothing of issuing is re-implemented here: the
lines' nets, the totals per VAT rate and the VAT in PLN come from the same functions the service
uses (`LineInput.net`, `billing_site.vat.totals_by_rate`, `AppliedRate.to_pln`), the number from
`numbering.next_number` (so a document issued later by the service does not collide with one
made here) and the seller from `seller_snapshot`.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth.models import Group
from django.db import transaction

from billing_site.vat import TREATMENTS, totals_by_rate
from invoices.models import (
    BillingProfile,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    DocumentVatTotal,
)
from invoices.services.issuing import ZERO, AppliedRate, LineInput, seller_snapshot
from invoices.services.numbering import next_number
from invoices.services.order_documents import proforma_issue_for_order
from invoices.tests import billing_profile
from plans.services import renewal_order_create
from seats.models import MemberRole

AS_OF = date(2026, 11, 16)


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal | int | str = 1
    unit_price: Decimal | str = "59.00"
    period_start: date | None = None
    period_end: date | None = None
    unit: str = "szt."


def buyer_data(name="Acme Sp. z o.o.", *, country="PL", tax_id="5252344078",
               email="faktury@acme.example", city="Kraków", street="ul. Floriańska 7",
               postal_code="31-019", kind="company"):
    return {"kind": kind, "name": name, "street": street, "postal_code": postal_code,
            "city": city, "country": country, "tax_id": tax_id, "invoice_email": email}


def _line_inputs(lines) -> list[LineInput]:
    return [LineInput(line.description, Decimal(str(line.quantity)),
                      Decimal(str(line.unit_price)), line.period_start, line.period_end,
                      line.unit)
            for line in lines]


def _rows(document, items, treatment, totals, by_rate_pln):
    """The document's lines and its totals per VAT rate, as `_issue` stores them."""
    DocumentLine.objects.bulk_create(
        DocumentLine(document=document, position=i, description=item.description,
                     period_start=item.period_start, period_end=item.period_end,
                     quantity=item.quantity, unit=item.unit, unit_price=item.unit_price,
                     net=item.net, vat_rate=treatment.rate, vat_code=treatment.code)
        for i, item in enumerate(items, start=1)
    )
    DocumentVatTotal.objects.bulk_create(
        DocumentVatTotal(document=document, vat_code=t.vat_code, vat_rate=t.vat_rate, net=t.net,
                         vat=t.vat, gross=t.gross, vat_pln=pln)
        for t, pln in zip(totals.by_rate, by_rate_pln, strict=True)
    )


@transaction.atomic
def issued_document(account, *, kind=DocumentKind.INVOICE, lines=None, currency="PLN",
                    vat_code="23", buyer=None, ordering_party=None, issue_date=AS_OF,
                    sale_date=None, due_days=14, note="", corrects=None, correction_reason="",
                    exchange_rate=None, exchange_rate_date=None, exchange_rate_table="",
                    order=None):
    """An issued document of `account` with its lines and VAT totals (default: one seat line in
    PLN at 23 %). `exchange_rate` is required for a foreign-currency document carrying VAT."""
    if lines is None:
        lines = [Line("Base — 1 stanowisko / seat", 1, "59.00",
                      date(2026, 11, 16), date(2026, 11, 30))]
    if buyer is None:
        buyer = buyer_data(f"{account.name} Sp. z o.o.")
    treatment = TREATMENTS[vat_code]
    items = _line_inputs(lines)
    totals = totals_by_rate((item.net, treatment) for item in items)
    foreign_vat = currency != "PLN" and totals.vat != 0
    rate = None
    if foreign_vat:
        if exchange_rate is None:
            raise ValueError("a foreign-currency document with VAT needs its NBP rate")
        rate = AppliedRate(Decimal(exchange_rate),
                           exchange_rate_date or issue_date - timedelta(days=1),
                           exchange_rate_table)
    by_rate_pln = [rate.to_pln(t.vat) if rate else None for t in totals.by_rate]

    number = next_number(kind=kind, issue_date=issue_date)
    document = Document.objects.create(
        kind=kind, status=DocumentStatus.ISSUED, account=account, order=order,
        corrects=corrects, number=number.number, number_year=number.year,
        number_month=number.month, sequence=number.seq, issue_date=issue_date,
        sale_date=sale_date or issue_date,
        due_date=issue_date + timedelta(days=due_days) if due_days is not None else None,
        currency=currency, seller=seller_snapshot(), buyer=buyer,
        ordering_party=ordering_party, vat_code=treatment.code, net=totals.net,
        vat=totals.vat, gross=totals.gross,
        vat_pln=sum(by_rate_pln, ZERO) if rate else None,
        exchange_rate=rate.rate if rate else None,
        exchange_rate_date=rate.effective_date if rate else None,
        exchange_rate_table=rate.table if rate else "",
        correction_reason=correction_reason, note=note,
    )
    _rows(document, items, treatment, totals, by_rate_pln)
    return document


@transaction.atomic
def waiting_document(account, *, currency="EUR", issue_date=AS_OF):
    """A VAT invoice waiting for its NBP rate: unnumbered, not issued yet (one seat at 23 %)."""
    treatment = TREATMENTS["23"]
    items = _line_inputs([Line("Base — seat", 1, "59.00")])
    totals = totals_by_rate((item.net, treatment) for item in items)
    document = Document.objects.create(
        kind=DocumentKind.INVOICE, status=DocumentStatus.WAITING_FOR_RATE, account=account,
        issue_date=issue_date, sale_date=issue_date, currency=currency,
        seller=seller_snapshot(), buyer=buyer_data(f"{account.name} GmbH", country="DE",
                                                   tax_id=""),
        vat_code=treatment.code, net=totals.net, vat=totals.vat, gross=totals.gross,
    )
    _rows(document, items, treatment, totals, [None] * len(totals.by_rate))
    return document


def order_with_proforma(account, *, actor=None, as_of=AS_OF):
    """A pending renewal order of `account` (through January next year) and its pro-forma, both
    through the services; the account's invoice data are filled in first when it has none."""
    if not BillingProfile.objects.filter(account=account).exists():
        billing_profile(account)
    order = renewal_order_create(account=account, until=(as_of.year + 1, 1), actor=actor,
                                 as_of=as_of)
    return order, proforma_issue_for_order(order=order, actor=actor, as_of=as_of)


def many_lines(count, *, start=date(2026, 11, 16), end=date(2026, 11, 30)):
    """`count` seat lines, each for a different member (long documents)."""
    return [Line(f"Base — stanowisko / seat #{i} (user{i}@acme.example)", 1, "59.00", start, end)
            for i in range(1, count + 1)]


def tenant(make_account, make_member, name, *, country="PL"):
    """An account with an admin, a manager and a user (conftest's make_account / make_member)."""
    domain = f"{name.lower()}.example"
    account, admin = make_account(name, country=country, admin_email=f"admin@{domain}")
    manager = make_member(account, f"manager@{domain}", MemberRole.MANAGER)
    user = make_member(account, f"user@{domain}", MemberRole.USER)
    return SimpleNamespace(account=account, admin=admin, manager=manager, user=user)


def staff_user(django_user_model, email, *, groups=(), superuser=False):
    user = django_user_model.objects.create_user(
        username=email, email=email, password="pass-Word-123", is_staff=True,
        is_superuser=superuser,
    )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def rendered(document):
    """Render (and e-mail) the document as the worker would; return it re-read."""
    from invoices.services.rendering import document_render_and_send

    document_render_and_send(document.pk)
    document.refresh_from_db()
    return document
