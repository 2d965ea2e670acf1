"""VAT treatment of a buyer (SPEC §7), as a pure function. The invoices slice feeds it the billing
profile (business or consumer, VIES result); until then the account's country is all we know."""

from dataclasses import dataclass
from decimal import Decimal

from billing_site.geo import EU

POLISH_RATE = Decimal("23")


@dataclass(frozen=True)
class VatTreatment:
    rate: Decimal  # percent
    code: str  # "23", "reverse_charge" (odwrotne obciążenie) or "np" (not subject to Polish VAT)


def vat_treatment(*, country: str, eu_business_with_valid_vat_id: bool = False) -> VatTreatment:
    country = country.upper()
    if country == "PL":
        return VatTreatment(POLISH_RATE, "23")
    if country in EU:
        if eu_business_with_valid_vat_id:
            return VatTreatment(Decimal("0"), "reverse_charge")
        return VatTreatment(POLISH_RATE, "23")
    return VatTreatment(Decimal("0"), "np")
