"""VAT treatment of a buyer (SPEC §7) and VAT arithmetic (SPEC §2), as pure functions shared by
quoting (plans) and documents (invoices).

The treatment of a buyer is decided in one place, `buyer_vat_treatment`, from the buyer's invoice
data (country, company or person, VIES status of the VAT id), or from the account's country alone
while there is no invoice data yet. Quotes, orders of every kind, pro-formas and invoices all use
its answer (an order stores it; the documents of an order use the order's). The answer carries
the reason, so a quote can say why it applies (e.g. "reverse charge — VAT id confirmed in VIES").
`totals_by_rate` computes a document's totals from its line nets."""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from billing_site.geo import EU
from billing_site.money import money

POLISH_RATE = Decimal("23")
ZERO = Decimal("0.00")

# vat_code → what the document prints in the rate column
VAT_LABELS = {"23": "23%", "reverse_charge": "np. (odwrotne obciążenie)", "np": "np."}
# vat_code → the annotation a document must carry (none for the ordinary rate)
VAT_ANNOTATIONS = {
    "reverse_charge": "odwrotne obciążenie (reverse charge)",
    "np": "nie podlega opodatkowaniu w Polsce (not subject to Polish VAT)",
}


# Why a treatment applies: reason code → the sentence a quote shows (SPEC §7).
VAT_REASONS = {
    "domestic": _("23 % VAT: the buyer is in Poland."),
    "reverse_charge": _("Reverse charge (odwrotne obciążenie): VAT id confirmed in VIES."),
    "vies_pending": _("23 % VAT for now: VIES could not confirm the VAT id yet (the service did "
                      "not answer; it is checked again automatically). Once confirmed, new "
                      "quotes and documents carry the reverse charge."),
    "vies_invalid": _("23 % VAT: VIES does not confirm the VAT id, so the reverse charge does "
                      "not apply. Correct the VAT id in the invoice data."),
    "eu_no_vat_id": _("23 % VAT: a company in the EU without a VAT id is billed like a consumer. "
                      "Add the VAT id to the invoice data for the reverse charge."),
    "eu_consumer": _("23 % VAT: a consumer in the EU pays Polish VAT."),
    "outside_eu": _("Not subject to Polish VAT (np.): the buyer is outside the EU."),
    "no_invoice_data": _("VAT by the account's country, billed as a consumer until the invoice "
                         "data are filled in (a company in the EU with a VAT id confirmed in "
                         "VIES gets the reverse charge)."),
}


@dataclass(frozen=True)
class VatTreatment:
    rate: Decimal  # percent
    code: str  # "23", "reverse_charge" (odwrotne obciążenie) or "np" (not subject to Polish VAT)
    # why it applies: a key of VAT_REASONS ("" when unknown, e.g. read back from a document);
    # not part of equality: two treatments with the same code and rate are the same treatment
    reason: str = field(default="", compare=False)

    @property
    def reason_text(self) -> str:
        return str(VAT_REASONS.get(self.reason, ""))

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
    its VAT id is valid; a pending (VIES down) or invalid id means 23 % like a consumer.
    `tax_id_status` is an `invoices.models.TaxIdStatus` value ("valid", "invalid", "pending",
    "n/a"). The result carries the reason (a key of `VAT_REASONS`)."""
    treatment = vat_treatment(country=country,
                              eu_business_with_valid_vat_id=is_company and tax_id_status == "valid")
    country = str(country).upper()
    if country == "PL":
        reason = "domestic"
    elif country not in EU:
        reason = "outside_eu"
    elif not is_company:
        reason = "eu_consumer"
    else:
        reason = {"valid": "reverse_charge", "pending": "vies_pending",
                  "invalid": "vies_invalid"}.get(tax_id_status, "eu_no_vat_id")
    return replace(treatment, reason=reason)


def buyer_vat_treatment(*, profile, country: str) -> VatTreatment:
    """The one VAT decision for an account (SPEC §7): from its invoice data `profile` (an
    `invoices.models.BillingProfile`, or None while the account has none), else from the
    account's `country` alone, as a consumer (reason "no_invoice_data" where that matters)."""
    if profile is not None:
        return vat_treatment_for_buyer(country=str(profile.country),
                                       is_company=profile.kind == "company",
                                       tax_id_status=profile.tax_id_status)
    treatment = vat_treatment(country=country)
    country = str(country).upper()
    reason = "domestic" if country == "PL" else "outside_eu" if country not in EU else (
        "no_invoice_data")
    return replace(treatment, reason=reason)


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
