"""`OrderQuote`: the one typed shape of what an order stores and a quote returns (SPEC §5).

A renewal quote (`plans.pricing.Quote`) and an add-on purchase are both turned into an
`OrderQuote`; `to_json` writes the API/storage shape (amounts as 2-decimal strings, dates as ISO
strings) and `from_json` reads it back, also from orders stored before a field existed. Every
reader of `Order.quote` (pages, API, documents) goes through `from_json`, so only this module
knows the JSON's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing_site.money import money, money_text
from billing_site.vat import TREATMENTS, VAT_REASONS, VatTreatment, vat_amount

Partials = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class OrderQuoteLine:
    """One charged line: a seat (`seat` = its id, None for a seat added in the renewal) or an
    add-on (`add_on` code and `packs`). `partials` lists each partial month covered as
    (days covered, days in that month), in date order; amounts are net, in the quote's
    currency; `unit_price` is per seat (or pack) per month."""

    start: date
    end: date
    months: int
    partials: Partials
    unit_price: Decimal
    amount: Decimal
    seat: int | None = None
    add_on: str | None = None
    packs: int | None = None

    @property
    def days(self) -> int:
        return sum(days for days, _ in self.partials)

    @property
    def days_in_month(self) -> int | None:
        """Days of the first partial month (None without one); see `partials` for all."""
        return self.partials[0][1] if self.partials else None

    @property
    def seat_id(self) -> int | None:
        """`seat` under the name `plans.pricing.QuoteLine` gives it, so that
        `pricing.group_lines` groups these lines as they are (no copy per line)."""
        return self.seat

    def to_json(self, *, texts: dict | None = None) -> dict:
        """`texts`: a memo {amount or date: its text} shared by the lines of one quote, whose
        lines mostly repeat a few dates and amounts (a thousand seat lines, issue 16)."""
        texts = {} if texts is None else texts
        start, end, unit_price, amount = self.start, self.end, self.unit_price, self.amount
        partials = self.partials
        for value, text in ((start, date.isoformat), (end, date.isoformat),
                            (unit_price, money_text), (amount, money_text)):
            if value not in texts:
                texts[value] = text(value)
        data = {
            "seat": self.seat, "start": texts[start], "end": texts[end],
            "months": self.months, "days": sum(days for days, _ in partials),
            "days_in_month": partials[0][1] if partials else None,
            "partials": [list(pair) for pair in partials],
            "unit_price": texts[unit_price], "amount": texts[amount],
        }
        if self.add_on is not None:
            data["add_on"], data["packs"] = self.add_on, self.packs
        return data

    @classmethod
    def from_json(cls, data: dict) -> OrderQuoteLine:
        if "partials" in data:
            partials = tuple((int(d), int(dim)) for d, dim in data["partials"])
        else:  # stored before lines listed their partial months: at most one, days/days_in_month
            partials = ((data["days"], data["days_in_month"]),) if data["days"] else ()
        return cls(start=date.fromisoformat(data["start"]), end=date.fromisoformat(data["end"]),
                   months=data["months"], partials=partials,
                   unit_price=Decimal(data["unit_price"]), amount=Decimal(data["amount"]),
                   seat=data.get("seat"), add_on=data.get("add_on"), packs=data.get("packs"))


@dataclass(frozen=True)
class OrderQuote:
    """What an order stores exactly and its payment applies: the lines (seat lines first, then
    add-on lines), the discount on the whole net, the VAT treatment decided from the buyer's
    invoice data (code, rate in percent, reason), the totals (net = Σ lines − discount, gross =
    net + VAT; Decimal, 2 places, in `currency`) and the validity every seat gets once paid
    (`valid_until`, inclusive). `request` and `package` record what was asked and the package
    quoted (orders only)."""

    currency: str
    term_months: int
    discount_percent: Decimal
    lines: tuple[OrderQuoteLine, ...]
    net_before_discount: Decimal
    discount: Decimal
    net: Decimal
    vat_rate: Decimal
    vat_code: str | None  # None for orders stored before orders recorded it
    vat_reason: str
    vat: Decimal
    gross: Decimal
    valid_until: date
    request: dict | None = None
    package: dict | None = field(default=None)

    @property
    def treatment(self) -> VatTreatment | None:
        """The VAT treatment the quote was priced at (None for an order stored without it)."""
        if self.vat_code not in TREATMENTS:
            return None
        known = TREATMENTS[self.vat_code]
        return VatTreatment(known.rate, known.code, self.vat_reason)

    @property
    def vat_note(self) -> str:
        """Why the treatment applies, in the active language ("" when unknown)."""
        return str(VAT_REASONS.get(self.vat_reason, ""))

    @property
    def seat_lines(self) -> tuple[OrderQuoteLine, ...]:
        return tuple(line for line in self.lines if line.add_on is None)

    @property
    def add_on_lines(self) -> tuple[OrderQuoteLine, ...]:
        return tuple(line for line in self.lines if line.add_on is not None)

    def to_json(self) -> dict:
        return self._json(with_lines=True)

    def totals_json(self) -> dict:
        """`to_json` without the lines: what a page's summary shows (the totals, the term, the
        VAT treatment and the validity), without writing every line."""
        return self._json(with_lines=False)

    def _json(self, *, with_lines: bool) -> dict:
        data = {
            "currency": self.currency, "term_months": self.term_months,
            "discount_percent": money_text(self.discount_percent),
        }
        if with_lines:
            texts: dict = {}
            data["lines"] = [line.to_json(texts=texts) for line in self.lines]
        data.update({
            "net_before_discount": money_text(self.net_before_discount),
            "discount": money_text(self.discount), "net": money_text(self.net),
            "vat_rate": money_text(self.vat_rate),
            "vat_code": self.vat_code, "vat_reason": self.vat_reason, "vat_note": self.vat_note,
            "vat": money_text(self.vat), "gross": money_text(self.gross),
            "valid_until": self.valid_until.isoformat(),
        })
        if self.request is not None:
            data["request"] = self.request
        if self.package is not None:
            data["package"] = self.package
        return data

    @classmethod
    def from_json(cls, data: dict) -> OrderQuote:
        return cls(
            currency=data["currency"], term_months=data["term_months"],
            discount_percent=Decimal(data["discount_percent"]),
            lines=tuple(OrderQuoteLine.from_json(line) for line in data["lines"]),
            net_before_discount=Decimal(data["net_before_discount"]),
            discount=Decimal(data["discount"]), net=Decimal(data["net"]),
            vat_rate=Decimal(data["vat_rate"]), vat_code=data.get("vat_code"),
            vat_reason=data.get("vat_reason", ""), vat=Decimal(data["vat"]),
            gross=Decimal(data["gross"]), valid_until=date.fromisoformat(data["valid_until"]),
            request=data.get("request"), package=data.get("package"),
        )

    @classmethod
    def from_pricing(cls, quote, *, treatment: VatTreatment, currency: str) -> OrderQuote:
        """From a `plans.pricing.Quote` priced at `treatment`'s rate."""
        lines = [OrderQuoteLine(line.start, line.end, line.months, line.partials,
                                line.unit_price, line.amount, seat=line.seat_id)
                 for line in quote.lines]
        lines += [OrderQuoteLine(line.start, line.end, line.months, line.partials,
                                 line.unit_price, line.amount, add_on=line.code,
                                 packs=line.packs)
                  for line in quote.add_on_lines]
        return cls(currency=currency, term_months=quote.term_months,
                   discount_percent=quote.discount_percent, lines=tuple(lines),
                   net_before_discount=quote.net_before_discount, discount=quote.discount,
                   net=quote.net, vat_rate=quote.vat_rate, vat_code=treatment.code,
                   vat_reason=treatment.reason, vat=quote.vat, gross=quote.gross,
                   valid_until=quote.valid_until)

    @classmethod
    def for_add_ons(cls, *, lines: list[OrderQuoteLine], treatment: VatTreatment,
                    currency: str, valid_until: date, request: dict) -> OrderQuote:
        """Add-on packs bought outside a renewal: no discount, no term; VAT once on the net."""
        net = sum((line.amount for line in lines), Decimal("0.00"))
        vat = vat_amount(net, treatment.rate)
        return cls(currency=currency, term_months=0, discount_percent=Decimal("0"),
                   lines=tuple(lines), net_before_discount=net, discount=money(0), net=net,
                   vat_rate=treatment.rate, vat_code=treatment.code, vat_reason=treatment.reason,
                   vat=vat, gross=net + vat, valid_until=valid_until, request=request)
