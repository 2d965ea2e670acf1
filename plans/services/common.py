"""What the plans services share: loading seats, prices, the ladder, add-on states and the
account's VAT treatment with a constant number of queries; the account lock."""


from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from billing_site.vat import (
    VatTreatment,
    buyer_vat_treatment,
)
from catalogue.models import AddOnPrice, DiscountRung, PackageAddOn, PackagePrice, catalogue_name
from seats.models import Account

from .. import pricing
from ..models import AccountAddOn

TWO = Decimal("0.01")


# --- loading ------------------------------------------------------------------------------------


def _seat_terms(seats):
    """Pricing snapshots of the account's seats (trial days are excluded by the pricing itself:
    pass the account's `trial_ends_on` as `free_through`)."""
    return [pricing.SeatTerms(seat.pk, seat.valid_until, seat.paid_through, seat.created_on)
            for seat in seats]


def _lock_account(account) -> Account:
    """The account row, locked until the transaction ends: operations on one account queue here.

    No `select_related`: FOR UPDATE would lock the joined package row as well (queueing every
    account on that package), and when a concurrent transaction changed `package` while we
    waited, PostgreSQL re-checks the join against the old package row and returns no row at all.
    """
    return Account.objects.select_for_update().get(pk=account.pk)


def no_price_error(package, currency) -> DomainError:
    """The refusal of a quote for a package without a seat price in the account's currency."""
    return DomainError(
        _("Package %(package)s has no price in %(currency)s; contact support.")
        % {"package": package.display_name, "currency": currency},
        code="no_price",
    )


def _unit_price(package, currency):
    price = PackagePrice.objects.filter(package=package, currency=currency).first()
    if price is None:
        raise no_price_error(package, currency)
    return price.monthly_price


def _ladder():
    return tuple(DiscountRung.objects.values_list("min_months", "percent"))


def vat_treatment_for(account) -> VatTreatment:
    """The account's VAT treatment, decided once from its invoice data (SPEC §7; see
    `billing_site.vat.buyer_vat_treatment`). Load the account with
    `select_related("billing_profile")` to spare the query."""
    try:
        profile = account.billing_profile
    except ObjectDoesNotExist:
        profile = None
    # str(): the country may be a plain code or a django-countries `Country`
    return buyer_vat_treatment(profile=profile, country=str(account.country))


@dataclass(frozen=True)
class AddOnState:
    code: str
    name: str
    pack_size: int
    price_per_pack: Decimal | None
    included: int
    cap: int
    packs: int  # bought so far

    @property
    def bought_units(self):
        return self.packs * self.pack_size

    @property
    def max_more_packs(self):
        return max(0, (self.cap - self.included - self.bought_units) // self.pack_size)


def addon_states(account, package=None) -> dict[str, AddOnState]:
    """Every add-on the package allows, with its price in the account's currency and what the
    account has bought (one query: the price and the packs are subqueries of the limits; each
    is unique per add-on, by `addon_price_unique` and `account_addon_unique`)."""
    package = package or account.package
    price = AddOnPrice.objects.filter(addon=OuterRef("addon_id"), currency=account.currency)
    bought = AccountAddOn.objects.filter(account=account, addon=OuterRef("addon_id"))
    limits = (
        PackageAddOn.objects.filter(package=package, addon__active=True).select_related("addon")
        .annotate(price_per_pack=Subquery(price.values("monthly_price")[:1]),
                  packs=Subquery(bought.values("packs")[:1]))
    )
    return {
        limit.addon.code: AddOnState(
            code=limit.addon.code, name=limit.addon.name, pack_size=limit.addon.pack_size,
            price_per_pack=limit.price_per_pack, included=limit.included, cap=limit.cap,
            packs=limit.packs or 0,
        )
        for limit in limits
    }


def _validate_addon_request(states, add_ons):
    """`add_ons` is {code: extra packs}. Unknown codes, bad counts and caps are refused."""
    clean = {}
    for code, packs in (add_ons or {}).items():
        if code not in states:
            raise DomainError(
                _("Unknown add-on “%(code)s” for this package.") % {"code": code},
                field="add_ons",
            )
        if not isinstance(packs, int) or isinstance(packs, bool) or packs < 0:
            raise DomainError(
                _("The number of packs of %(name)s must be a whole number, 0 or more.")
                % {"name": catalogue_name(states[code].name)},
                field="add_ons",
            )
        state = states[code]
        if packs > state.max_more_packs:
            raise DomainError(
                _("%(name)s: at most %(cap)d units in total on this package (%(included)d "
                  "included, %(bought)d bought); you can add at most %(more)d more packs.")
                % {"name": catalogue_name(state.name), "cap": state.cap,
                   "included": state.included,
                   "bought": state.bought_units, "more": state.max_more_packs},
                field="add_ons",
            )
        if packs and state.price_per_pack is None:
            raise DomainError(
                _("%(name)s has no price in this currency; contact support.")
                % {"name": catalogue_name(state.name)},
                field="add_ons",
            )
        if packs:
            clean[code] = packs
    return clean
