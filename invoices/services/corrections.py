"""Corrective invoices (`correction_issue`, `correction_issue_buyer_data`).

Corrections describe the invoice *as corrected*: their lines and totals are the state after the
correction, and the difference is the correction's totals minus those of the document it corrects
(`invoices.selectors.document_difference`). So a buyer-data correction repeats the lines
(difference zero) and a full refund has no lines (the difference is minus everything). A
correction keeps the original's currency, VAT treatment and NBP rate (art. 31a(2a) of the VAT Act:
corrections use the rate applied originally), so it never waits for a rate. Pro-formas are not
tax documents and are never corrected.

A document still waiting for its rate unnumbered has not been issued to anyone yet: it takes the
buyer data when it is numbered (`waiting.py`), so `correction_issue_buyer_data` leaves it (or a
chain whose next correction is still waiting) alone.
"""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.errors import DomainError
from billing_site.money import money
from billing_site.vat import TREATMENTS, totals_by_rate
from invoices.models import Document, DocumentKind, DocumentStatus

from .issuing import (
    LineInput,
    _issue,
    _original_rate,
    _profile,
    buyer_snapshot,
    ordering_party_snapshot,
)

BUYER_DATA_CORRECTION_REASON = "Korekta danych nabywcy (buyer data correction)"


def _chain_root(document: Document) -> Document:
    while document.corrects_id is not None:
        document = document.corrects
    return document


def _latest_state(original: Document) -> Document:
    """The document that states `original`'s invoice as it stands: the last issued correction
    of its chain, or the document itself."""
    current = original
    while True:
        later = (current.corrections.filter(status=DocumentStatus.ISSUED)
                 .order_by("-id").first())
        if later is None:
            return current
        current = later


def _correctable(original: Document) -> Document:
    """Lock the chain (its root row) and return its latest state, refusing what cannot be
    corrected."""
    if original.kind == DocumentKind.PROFORMA:
        raise DomainError(_("A pro-forma is not a tax document and cannot be corrected."),
                          code="not_correctable", status=409)
    root = _chain_root(original)
    Document.objects.select_for_update().filter(pk=root.pk).first()
    current = _latest_state(Document.objects.get(pk=original.pk))
    if current.status != DocumentStatus.ISSUED:
        raise DomainError(_("Only issued documents can be corrected."),
                          code="not_issued", status=409)
    if current.corrections.filter(status=DocumentStatus.WAITING_FOR_RATE).exists():
        raise DomainError(_("A correction of this document is waiting for its exchange rate."),
                          code="correction_pending", status=409)
    return current


def _lines_of(document: Document) -> list[LineInput]:
    return [
        LineInput(description=line.description, quantity=line.quantity,
                  unit_price=line.unit_price, period_start=line.period_start,
                  period_end=line.period_end, unit=line.unit)
        for line in document.lines.order_by("position")
    ]


def correction_issue(*, original, lines, reason, actor, as_of) -> Document:
    """A corrective invoice of `original` (a VAT invoice or a correction of one): `lines` are the
    invoice's lines after the correction (negative lines allowed, e.g. a refund; none at all for
    a full refund). It refers to the latest state of the chain, keeps its buyer, currency, VAT
    treatment and NBP rate; the difference is computed against that state."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the correction."), field="reason")
    with transaction.atomic():
        current = _correctable(original)
        return _issue(
            account=current.account, kind=DocumentKind.CORRECTION, lines=list(lines),
            sale_date=current.sale_date, as_of=as_of, buyer=current.buyer,
            ordering_party=current.ordering_party, treatment=TREATMENTS[current.vat_code],
            currency=current.currency, order=current.order, corrects=current,
            correction_reason=reason, fixed_rate=_original_rate(current), actor=actor,
        )


def _waits_in_chain(original: Document) -> bool:
    """Whether `original` is still unnumbered, or the next state of its chain (a correction of
    its latest issued state) is: either is numbered later with the buyer as the invoice data
    stand then. Call with the chain's root row locked."""
    current = _latest_state(Document.objects.get(pk=original.pk))
    return (current.status == DocumentStatus.WAITING_FOR_RATE
            or current.corrections.filter(status=DocumentStatus.WAITING_FOR_RATE).exists())


def correction_issue_buyer_data(*, original, actor, as_of) -> Document | None:
    """A correction of the buyer data (after the invoice data changed): the same lines and
    totals as the invoice's latest state (difference zero) with the account's buyer and ordering
    party as they are now.

    None, and nothing issued, when `original` still waits for its rate unnumbered, or a
    correction of it does: that document takes the buyer data when it is numbered (module
    docstring), so there is nothing issued with the old data to correct."""
    with transaction.atomic():
        if original.kind != DocumentKind.PROFORMA:  # a pro-forma is refused by _correctable
            root = _chain_root(original)
            Document.objects.select_for_update().filter(pk=root.pk).first()
            if _waits_in_chain(original):
                return None
        current = _correctable(original)
        profile = _profile(current.account)
        return _issue(
            account=current.account, kind=DocumentKind.CORRECTION, lines=_lines_of(current),
            sale_date=current.sale_date, as_of=as_of, buyer=buyer_snapshot(profile),
            ordering_party=ordering_party_snapshot(profile),
            treatment=TREATMENTS[current.vat_code], currency=current.currency,
            order=current.order, corrects=current,
            correction_reason=BUYER_DATA_CORRECTION_REASON,
            fixed_rate=_original_rate(current), actor=actor,
        )


def _refund_net(current: Document, refund_gross: Decimal) -> Decimal:
    """The net of a refund line that lowers `current`'s gross by exactly `refund_gross`: the
    gross at the document's VAT rate, converted to net, nudged by a cent when the per-rate
    rounding of the corrected totals would otherwise miss the amount by one."""
    treatment = TREATMENTS[current.vat_code]
    nets = [line.net for line in _lines_of(current)]
    target = current.gross - refund_gross
    estimate = money(refund_gross * 100 / (100 + treatment.rate))
    for nudge in (Decimal("0"), Decimal("0.01"), Decimal("-0.01"), Decimal("0.02"),
                  Decimal("-0.02")):
        net = estimate + nudge
        if totals_by_rate((n, treatment) for n in [*nets, -net]).gross == target:
            return net
    raise DomainError(
        _("A refund of %(amount)s %(currency)s cannot be shown exactly on a correction at "
          "%(rate)s %% VAT; refund one cent more or less.")
        % {"amount": formatting.amount(refund_gross), "currency": current.currency,
           "rate": formatting.percent(treatment.rate)},
        field="amount", code="refund_rounding")


def correction_issue_refund(*, original, refund_gross, full, reason, actor, as_of) -> Document:
    """The corrective invoice of a refund of `refund_gross` (Decimal, the invoice's currency):
    a full refund (`full`) leaves no lines (the difference is minus everything still invoiced);
    a part refund adds one negative line "Zwrot" whose net lowers the invoice's gross by exactly
    `refund_gross` (`_refund_net`). SPEC §7: "refunding issues a corrective invoice"."""
    with transaction.atomic():
        current = _correctable(original)
        if full:
            lines = []
        else:
            if refund_gross <= 0 or refund_gross >= current.gross:
                raise ValueError("a part refund is above zero and below the invoice's gross")
            lines = [*_lines_of(current), LineInput(
                description=f"Zwrot części płatności (refund): {reason}"[:300],
                quantity=Decimal(1), unit_price=-_refund_net(current, refund_gross))]
        return correction_issue(original=current, lines=lines, reason=reason, actor=actor,
                                as_of=as_of)
