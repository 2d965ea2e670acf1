"""VAT treatment of a buyer (SPEC §7) and VAT arithmetic (SPEC §2), as pure functions.

`vat_treatment` takes what is known of the buyer: plans quote from the account's country alone;
documents pass the billing profile (business or consumer, VIES result) through
`vat_treatment_for_buyer`. `totals_by_rate` computes a document's totals from its line nets."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from billing_site.geo import EU

POLISH_RATE = Decimal("23")
CENTS = Decimal("0.01")
ZERO = Decimal("0.00")

# vat_code → what the document prints in the rate column
VAT_LABELS = {"23": "23%", "reverse_charge": "np. (odwrotne obciążenie)", "np": "np."}
# vat_code → the annotation a document must carry (none for the ordinary rate)
VAT_ANNOTATIONS = {
    "reverse_charge": "odwrotne obciążenie (reverse charge)",
    "np": "nie podlega opodatkowaniu w Polsce (not subject to Polish VAT)",
}


@dataclass(frozen=True)
class VatTreatment:
    rate: Decimal  # percent
    code: str  # "23", "reverse_charge" (odwrotne obciążenie) or "np" (not subject to Polish VAT)

    @property
    def label(self) -> str:
        return VAT_LABELS.get(self.code, f"{self.rate}%")

    @property
    def annotation(self) -> str:
        return VAT_ANNOTATIONS.get(self.code, "")


def vat_treatment(*, country: str, eu_business_with_valid_vat_id: bool = False) -> VatTreatment:
    country = str(country).upper()
    if country == "PL":
        return VatTreatment(POLISH_RATE, "23")
    if country in EU:
        if eu_business_with_valid_vat_id:
            return VatTreatment(Decimal("0"), "reverse_charge")
        return VatTreatment(POLISH_RATE, "23")
    return VatTreatment(Decimal("0"), "np")


# The treatment of a stored document or line, from its vat_code
TREATMENTS = {
    "23": VatTreatment(POLISH_RATE, "23"),
    "reverse_charge": VatTreatment(Decimal("0"), "reverse_charge"),
    "np": VatTreatment(Decimal("0"), "np"),
}


def vat_treatment_for_buyer(*, country: str, is_company: bool, tax_id_status: str
                            ) -> VatTreatment:
    """A business buyer in another EU country gets the reverse charge only once VIES has said
    its VAT id is valid; a pending (VIES down) or invalid id means 23 % like a consumer."""
    return vat_treatment(country=country,
                         eu_business_with_valid_vat_id=is_company and tax_id_status == "valid")


def money(value) -> Decimal:
    """2 places, ROUND_HALF_UP (SPEC §2)."""
    return Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


def vat_amount(net: Decimal, rate: Decimal) -> Decimal:
    """VAT on one rate's net total: computed once, 2 places, ROUND_HALF_UP (SPEC §2)."""
    return money(net * rate / 100)


@dataclass(frozen=True)
class RateTotal:
    vat_code: str
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    by_rate: tuple[RateTotal, ...]  # highest rate first


def totals_by_rate(items) -> Totals:
    """`items` are (net, VatTreatment) pairs of rounded line nets. VAT is computed once per rate
    on that rate's net total (SPEC §2); the document's totals are the sums over the rates."""
    nets: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for net, treatment in items:
        nets[(treatment.code, treatment.rate)] += net
    by_rate = []
    for (code, rate), net in sorted(nets.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
        vat = vat_amount(net, rate)
        by_rate.append(RateTotal(code, rate, net, vat, net + vat))
    net = sum((t.net for t in by_rate), ZERO)
    vat = sum((t.vat for t in by_rate), ZERO)
    return Totals(net, vat, net + vat, tuple(by_rate))
