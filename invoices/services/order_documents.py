"""The documents of an order: its pro-forma (for a bank transfer) and its VAT invoice (once
paid), each issued once, with the lines and the VAT treatment the order was quoted with."""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from catalogue.models import AddOn
from invoices.models import Document, DocumentKind
from plans.models import Order, OrderStatus
from plans.services import order_refresh, order_vat_treatment

from .issuing import ZERO, LineInput, document_issue


def _percent_text(value: Decimal) -> str:
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def order_lines(order: Order) -> list[LineInput]:
    """The document lines of an order, from the quote it stores (plans.services.quote_json):
    seat lines grouped by identical (start, end, amount) — quantity = seats, unit price = the
    amount per seat, so quantity × unit price is exactly their sum; one line per add-on line;
    the discount as one negative line. Their nets add up to the order's net exactly."""
    quote = order.quote
    # the package the order was quoted for (a package change after ordering must not rename it)
    package_name = order.quote.get("package", {}).get("name") or order.account.package.name
    seat_groups: dict[tuple[str, str, str], int] = {}
    addon_lines = []
    addon_names = None
    for line in quote["lines"]:
        if line.get("add_on"):
            if addon_names is None:
                addon_names = dict(AddOn.objects.values_list("code", "name"))
            name = addon_names.get(line["add_on"], line["add_on"])
            addon_lines.append(LineInput(
                description=f"{name} × {line['packs']} pak., {line['start']} – {line['end']}",
                quantity=Decimal(1), unit_price=Decimal(line["amount"]),
                period_start=date.fromisoformat(line["start"]),
                period_end=date.fromisoformat(line["end"]),
            ))
        else:
            key = (line["start"], line["end"], line["amount"])
            seat_groups[key] = seat_groups.get(key, 0) + 1
    lines = [
        LineInput(
            description=f"Licencja stanowiska — pakiet {package_name}, {start} – {end}",
            quantity=Decimal(count), unit_price=Decimal(amount),
            period_start=date.fromisoformat(start), period_end=date.fromisoformat(end),
        )
        for (start, end, amount), count in seat_groups.items()
    ] + addon_lines
    discount = Decimal(quote.get("discount") or "0")
    if discount > 0:
        lines.append(LineInput(
            description=f"Rabat {_percent_text(quote['discount_percent'])} % za okres "
                        f"{quote['term_months']} mies.",
            quantity=Decimal(1), unit_price=-discount,
        ))
    net = sum((line.net for line in lines), ZERO)
    if net != Decimal(quote["net"]) or net != order.net:
        raise RuntimeError(f"Order #{order.pk}: document lines add up to {net}, "
                           f"the order's net is {order.net}")
    return lines


def _order_document(*, order, kind, actor, as_of, paid_by="") -> Document:
    if kind == DocumentKind.PROFORMA:
        # a pending order that can no longer be paid is closed first (in its own transaction,
        # so that the refusal below does not roll the closing back)
        order_refresh(order=order, as_of=as_of)
    with transaction.atomic():
        # The order row serialises concurrent requests: one document of each kind per order.
        order = Order.objects.select_related("account__package").select_for_update(
            of=("self",)).get(pk=order.pk)
        existing = (Document.objects.filter(order=order, kind=kind).order_by("id").first())
        if existing is not None:
            return existing
        if order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
            reason = order.get_status_reason_display() or order.get_status_display()
            raise DomainError(
                _("This order can no longer be paid: %(reason)s. Create a new order on the "
                  "Renew page.") % {"reason": reason},
                code=f"order_{order.status}",
            )
        if kind == DocumentKind.PROFORMA and order.status == OrderStatus.PAID:
            raise DomainError(_("This order is already paid."), code="order_paid", status=409)
        # a pro-forma is due when its order stops being payable, never later
        due_on = None
        if kind == DocumentKind.PROFORMA and order.valid_through is not None:
            due_on = min(order.valid_through,
                         as_of + timedelta(days=settings.INVOICE_PAYMENT_DAYS))
        return document_issue(account=order.account, kind=kind, lines=order_lines(order),
                              sale_date=as_of, as_of=as_of, order=order, actor=actor,
                              currency=order.currency, treatment=order_vat_treatment(order),
                              paid_by=paid_by if kind == DocumentKind.INVOICE else "",
                              due_on=due_on)


def proforma_issue_for_order(*, order, actor, as_of) -> Document:
    """The pro-forma of a pending order (for a bank transfer); issued once, then returned as is.

    Its VAT is the treatment the order was priced at (decided from the invoice data when it was
    quoted), so it always asks for exactly the order's gross. An order that can no longer be
    paid (`plans.services.order_refresh`: window ended, or the package, seats, VAT treatment or
    currency changed) gets no pro-forma: `DomainError` with code "order_cancelled" or
    "order_expired" and the reason."""
    return _order_document(order=order, kind=DocumentKind.PROFORMA, actor=actor, as_of=as_of)


def invoice_issue_for_order(*, order, actor, as_of, paid_by="") -> Document:
    """The VAT invoice of a paid order (sale date = `as_of`, the payment day); issued once, then
    returned as is (webhooks repeat). `paid_by`: the payment method code of the money received
    ("card", "blik", "p24", "transfer"), shown on the PDF instead of a payment request."""
    return _order_document(order=order, kind=DocumentKind.INVOICE, actor=actor, as_of=as_of,
                           paid_by=paid_by)
