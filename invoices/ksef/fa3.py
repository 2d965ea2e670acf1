"""FA(3) structured e-invoice XML of a VAT invoice or corrective invoice (issue 15).

Built only from the document's frozen snapshot (seller, buyer, lines, totals per rate, NBP rate),
so the XML of an issued document is the same whenever it is built. Pro-formas have no e-invoice.

Sources: the FA(3) schema 1-0E (`schema/`), the Ministry's "Broszura informacyjna dotycząca
struktury logicznej FA(3)" for the meaning of the fields, and ustawa o VAT art. 106e (contents of
an invoice) and art. 106j (corrective invoices):
- rates: "23" → P_12 "23", totals P_13_1/P_14_1 (P_14_1W: the VAT in PLN of a foreign-currency
  invoice, art. 106e ust. 11); reverse charge for an EU business (services taxed where the buyer
  is, art. 28b, listed under art. 100 ust. 1 pkt 4) → "np II", total P_13_9, annotation P_18=1
  ("odwrotne obciążenie", art. 106e ust. 1 pkt 18); not subject to Polish VAT (non-EU buyer) →
  "np I", total P_13_8;
- a corrective invoice (RodzajFaktury KOR) lists the lines before (StanPrzed=1) and after the
  correction, and its totals (P_13_x, P_14_x, P_15) are the difference, as the brochure asks; it
  names the corrected invoice by number, issue date and KSeF number (NrKSeFN=1 when the corrected
  invoice was issued outside KSeF), and a correction of buyer data carries the buyer as it was on
  the corrected invoice (Podmiot2K).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lxml import etree

from invoices.ksef.schema import FORM_SYSTEM_CODE, NAMESPACE, SCHEMA_VERSION
from invoices.models import Document, DocumentKind

SYSTEM_NAME = "Seat Billing"
EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PT RO SE SI SK".split()
)
# VIES prefixes that differ from the ISO country code
_VIES_PREFIX = {"GR": "EL"}

# our vat_code → (P_12 value, totals fields (net, VAT, VAT in PLN) or net only)
_RATE_FIELDS = {
    "23": ("23", ("P_13_1", "P_14_1", "P_14_1W")),
    "reverse_charge": ("np II", ("P_13_9", None, None)),
    "np": ("np I", ("P_13_8", None, None)),
}
# our paid_by → FormaPlatnosci (1 cash, 2 card, 6 transfer, 7 mobile payment)
_PAYMENT_FORM = {"card": "2", "blik": "7", "p24": "6", "transfer": "6"}
_ZERO = Decimal("0.00")


class Fa3NotApplicable(ValueError):
    """Raised for a document that has no e-invoice (a pro-forma, or one not yet numbered)."""


@dataclass(frozen=True)
class CorrectedInvoice:
    """What a corrective invoice names of the invoice it corrects."""

    number: str
    issue_date: object  # date
    ksef_number: str  # empty when that invoice has no KSeF number


def _money(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


def _quantity(value) -> str:
    text = f"{Decimal(value).normalize():f}"
    return text


def _sub(parent, tag, text=None, **attributes):
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", **attributes)
    if text is not None:
        element.text = str(text)
    return element


def _address(parent, tag, party: dict):
    address = _sub(parent, tag)
    _sub(address, "KodKraju", party.get("country") or "PL")
    _sub(address, "AdresL1", party["street"])
    line2 = f"{party.get('postal_code', '')} {party.get('city', '')}".strip()
    if line2:
        _sub(address, "AdresL2", line2)


def _seller(root, seller: dict):
    podmiot = _sub(root, "Podmiot1")
    ids = _sub(podmiot, "DaneIdentyfikacyjne")
    _sub(ids, "NIP", seller["tax_id"])
    _sub(ids, "Nazwa", seller["name"])
    _address(podmiot, "Adres", seller)


def _buyer_ids(parent, buyer: dict):
    """Polish company: NIP; EU business: country + VAT id; other foreign: country + tax id; a
    consumer (or a buyer without any id): BrakID."""
    ids = _sub(parent, "DaneIdentyfikacyjne")
    country = buyer.get("country") or "PL"
    tax_id = (buyer.get("tax_id") or "").replace(" ", "")
    if tax_id and country == "PL" and buyer.get("kind") != "person":
        _sub(ids, "NIP", tax_id)
    elif tax_id and country in EU_COUNTRIES:
        prefix = _VIES_PREFIX.get(country, country)
        _sub(ids, "KodUE", prefix)
        _sub(ids, "NrVatUE", tax_id.removeprefix(prefix))
    elif tax_id and country != "PL":
        _sub(ids, "KodKraju", country)
        _sub(ids, "NrID", tax_id)
    else:
        _sub(ids, "BrakID", "1")
    _sub(ids, "Nazwa", buyer["name"])
    return ids


def _buyer(root, buyer: dict):
    podmiot = _sub(root, "Podmiot2")
    _buyer_ids(podmiot, buyer)
    _address(podmiot, "Adres", buyer)
    if buyer.get("invoice_email"):
        contact = _sub(podmiot, "DaneKontaktowe")
        _sub(contact, "Email", buyer["invoice_email"])
    # JST / GV: the buyer is not a local-government unit or a VAT group member (2 = no)
    _sub(podmiot, "JST", "2")
    _sub(podmiot, "GV", "2")


def _totals_by_code(document) -> dict:
    return {t.vat_code: (t.net, t.vat, t.vat_pln) for t in document.vat_totals.all()}


def _rate_totals(fa, document, before):
    """P_13_x/P_14_x/P_14_xW per rate (the difference for a correction), then P_15."""
    now = _totals_by_code(document)
    was = _totals_by_code(before) if before is not None else {}
    foreign = document.currency != "PLN"
    # schema order: 23 % (P_13_1…) first, then P_13_8, then P_13_9
    for code in ("23", "np", "reverse_charge"):
        if code not in now and code not in was:
            continue
        _p12, (net_field, vat_field, vat_pln_field) = _RATE_FIELDS[code]
        net, vat, vat_pln = now.get(code, (_ZERO, _ZERO, None))
        b_net, b_vat, b_vat_pln = was.get(code, (_ZERO, _ZERO, None))
        _sub(fa, net_field, _money(net - b_net))
        if vat_field:
            _sub(fa, vat_field, _money(vat - b_vat))
            if foreign:
                _sub(fa, vat_pln_field, _money((vat_pln or _ZERO) - (b_vat_pln or _ZERO)))
    gross = document.gross - (before.gross if before is not None else _ZERO)
    _sub(fa, "P_15", _money(gross))


def _annotations(fa, document):
    notes = _sub(fa, "Adnotacje")
    _sub(notes, "P_16", "2")  # no cash accounting method
    _sub(notes, "P_17", "2")  # not self-billing
    reverse = document.vat_code == "reverse_charge" or any(
        line.vat_code == "reverse_charge" for line in document.lines.all())
    _sub(notes, "P_18", "1" if reverse else "2")  # reverse charge
    _sub(notes, "P_18A", "2")  # no split payment (mechanizm podzielonej płatności)
    exemption = _sub(notes, "Zwolnienie")
    _sub(exemption, "P_19N", "1")  # no VAT exemption
    vehicles = _sub(notes, "NoweSrodkiTransportu")
    _sub(vehicles, "P_22N", "1")  # no new means of transport
    _sub(notes, "P_23", "2")  # not a simplified triangular transaction
    margin = _sub(notes, "PMarzy")
    _sub(margin, "P_PMarzyN", "1")  # no margin scheme


def _line(fa, number, line, currency_rate, *, before=False):
    row = _sub(fa, "FaWiersz")
    _sub(row, "NrWierszaFa", number)
    description = line.description
    if line.period_start and line.period_end:
        description = f"{description} ({line.period_start:%d.%m.%Y}–{line.period_end:%d.%m.%Y})"
    _sub(row, "P_7", description[:512])
    _sub(row, "P_8A", line.unit)
    _sub(row, "P_8B", _quantity(line.quantity))
    _sub(row, "P_9A", _money(line.unit_price))
    _sub(row, "P_11", _money(line.net))
    _sub(row, "P_12", _RATE_FIELDS[line.vat_code][0])
    if currency_rate is not None:
        _sub(row, "KursWaluty", f"{Decimal(currency_rate).normalize():f}")
    if before:
        _sub(row, "StanPrzed", "1")


def _payment(fa, document, seller: dict):
    payment = _sub(fa, "Platnosc")
    if document.paid_by:
        _sub(payment, "Zaplacono", "1")
        _sub(payment, "DataZaplaty", document.issue_date.isoformat())
        _sub(payment, "FormaPlatnosci", _PAYMENT_FORM.get(document.paid_by, "6"))
        return
    if document.due_date:
        term = _sub(payment, "TerminPlatnosci")
        _sub(term, "Termin", document.due_date.isoformat())
    _sub(payment, "FormaPlatnosci", "6")
    account_number = "".join(ch for ch in seller.get("bank_account", "") if ch.isalnum())
    if account_number:
        bank = _sub(payment, "RachunekBankowy")
        _sub(bank, "NrRB", account_number.removeprefix("PL"))
        if seller.get("bank_name"):
            _sub(bank, "NazwaBanku", seller["bank_name"])


def _corrected_buyer(fa, before_buyer: dict):
    podmiot = _sub(fa, "Podmiot2K")
    _buyer_ids(podmiot, before_buyer)
    _address(podmiot, "Adres", before_buyer)


def build_fa3(document: Document, *, created_at: datetime,
              corrected: CorrectedInvoice | None = None) -> bytes:
    """The FA(3) XML (UTF-8 bytes, with declaration) of an issued VAT invoice or corrective
    invoice. `created_at` is DataWytworzeniaFa (an aware datetime, recorded by the caller so the
    bytes can be rebuilt identically); `corrected` names the corrected invoice (required for a
    correction: its KSeF number is not part of our snapshot).

    Raises Fa3NotApplicable for a pro-forma or an unnumbered document."""
    if document.kind == DocumentKind.PROFORMA or not document.number:
        raise Fa3NotApplicable("Only issued VAT invoices and corrective invoices have an FA(3).")
    is_correction = document.kind == DocumentKind.CORRECTION
    if is_correction and corrected is None:
        raise ValueError("A corrective invoice needs the corrected invoice's data.")
    before = document.corrects if is_correction else None

    root = etree.Element(f"{{{NAMESPACE}}}Faktura", nsmap={None: NAMESPACE})
    header = _sub(root, "Naglowek")
    _sub(header, "KodFormularza", "FA", kodSystemowy=FORM_SYSTEM_CODE,
         wersjaSchemy=SCHEMA_VERSION)
    _sub(header, "WariantFormularza", "3")
    _sub(header, "DataWytworzeniaFa", created_at.isoformat(timespec="seconds"))
    _sub(header, "SystemInfo", SYSTEM_NAME)
    _seller(root, document.seller)
    _buyer(root, document.buyer)

    fa = _sub(root, "Fa")
    _sub(fa, "KodWaluty", document.currency)
    _sub(fa, "P_1", document.issue_date.isoformat())
    _sub(fa, "P_1M", document.seller.get("city") or "Warszawa")
    _sub(fa, "P_2", document.number)
    _sub(fa, "P_6", document.sale_date.isoformat())
    _rate_totals(fa, document, before)
    _annotations(fa, document)
    _sub(fa, "RodzajFaktury", "KOR" if is_correction else "VAT")
    if is_correction:
        if document.correction_reason:
            _sub(fa, "PrzyczynaKorekty", document.correction_reason)
        # 1: the correction takes effect on the date of the corrected invoice (data only);
        # 2: on the correction's own date (a change of amounts, e.g. a refund)
        amounts_change = document.gross != before.gross or document.net != before.net
        _sub(fa, "TypKorekty", "2" if amounts_change else "1")
        data = _sub(fa, "DaneFaKorygowanej")
        _sub(data, "DataWystFaKorygowanej", corrected.issue_date.isoformat())
        _sub(data, "NrFaKorygowanej", corrected.number)
        if corrected.ksef_number:
            _sub(data, "NrKSeF", "1")
            _sub(data, "NrKSeFFaKorygowanej", corrected.ksef_number)
        else:
            _sub(data, "NrKSeFN", "1")
        if before.buyer != document.buyer:
            _corrected_buyer(fa, before.buyer)
    rate = document.exchange_rate if document.currency != "PLN" else None
    number = 0
    if is_correction:
        for line in before.lines.all():  # Meta.ordering: by position
            number += 1
            _line(fa, number, line, rate if rate is not None else before.exchange_rate
                  if before.currency != "PLN" else None, before=True)
    for line in document.lines.all():
        number += 1
        _line(fa, number, line, rate)
    _payment(fa, document, document.seller)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
