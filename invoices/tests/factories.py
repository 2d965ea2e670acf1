"""Issued documents for tests of PDFs, e-mail, pages and the API.

These write Document / DocumentLine / DocumentVatTotal rows directly instead of going through
`invoices.services.documents` (issuing is tested on its own there); the rows obey the same
rules: totals are sums of lines rounded once, VAT is computed per rate on that rate's net total
(SPEC §2), numbers come from the series format and the month's `NumberCounter` is moved on, so a
document issued later by the service does not collide with one made here.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from invoices.models import (
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    DocumentVatTotal,
    NumberCounter,
)
from seats.models import MemberRole

AS_OF = date(2026, 11, 16)
CENT = Decimal("0.01")
RATES = {"23": Decimal("23"), "reverse_charge": Decimal("0"), "np": Decimal("0")}


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


def _money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


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
    rate = RATES[vat_code]
    nets = [_money(Decimal(str(line.quantity)) * Decimal(str(line.unit_price))) for line in lines]
    net = sum(nets, Decimal("0.00"))
    vat = _money(net * rate / 100)
    foreign_vat = currency != "PLN" and vat != 0
    if foreign_vat and exchange_rate is None:
        raise ValueError("a foreign-currency document with VAT needs its NBP rate")
    vat_pln = _money(vat * Decimal(exchange_rate)) if foreign_vat else None

    counter, _ = NumberCounter.objects.select_for_update().get_or_create(
        kind=kind, year=issue_date.year, month=issue_date.month
    )
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    number = settings.DOCUMENT_NUMBER_FORMATS[kind].format(
        year=issue_date.year, month=issue_date.month, seq=counter.last_number
    )
    document = Document.objects.create(
        kind=kind, status=DocumentStatus.ISSUED, account=account, order=order,
        corrects=corrects, number=number, number_year=issue_date.year,
        number_month=issue_date.month, sequence=counter.last_number, issue_date=issue_date,
        sale_date=sale_date or issue_date,
        due_date=issue_date + timedelta(days=due_days) if due_days is not None else None,
        currency=currency, seller=dict(settings.SELLER), buyer=buyer,
        ordering_party=ordering_party, vat_code=vat_code, net=net, vat=vat, gross=net + vat,
        vat_pln=vat_pln,
        exchange_rate=Decimal(exchange_rate) if foreign_vat else None,
        exchange_rate_date=(exchange_rate_date or issue_date - timedelta(days=1))
        if foreign_vat else None,
        exchange_rate_table=exchange_rate_table if foreign_vat else "",
        correction_reason=correction_reason, note=note,
    )
    DocumentLine.objects.bulk_create(
        DocumentLine(document=document, position=i, description=line.description,
                     period_start=line.period_start, period_end=line.period_end,
                     quantity=Decimal(str(line.quantity)), unit=line.unit,
                     unit_price=Decimal(str(line.unit_price)), net=line_net, vat_rate=rate,
                     vat_code=vat_code)
        for i, (line, line_net) in enumerate(zip(lines, nets, strict=True), start=1)
    )
    if lines:
        DocumentVatTotal.objects.create(document=document, vat_code=vat_code, vat_rate=rate,
                                        net=net, vat=vat, gross=net + vat, vat_pln=vat_pln)
    return document


def waiting_document(account, *, currency="EUR", issue_date=AS_OF):
    """A VAT invoice waiting for its NBP rate: unnumbered, not issued yet."""
    document = Document.objects.create(
        kind=DocumentKind.INVOICE, status=DocumentStatus.WAITING_FOR_RATE, account=account,
        issue_date=issue_date, sale_date=issue_date, currency=currency,
        seller=dict(settings.SELLER), buyer=buyer_data(f"{account.name} GmbH", country="DE",
                                                       tax_id=""),
        vat_code="23", net=Decimal("59.00"), vat=Decimal("13.57"), gross=Decimal("72.57"),
    )
    DocumentLine.objects.create(document=document, position=1, description="Base — seat",
                                quantity=1, unit_price=Decimal("59.00"), net=Decimal("59.00"),
                                vat_rate=Decimal("23"), vat_code="23")
    return document


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
