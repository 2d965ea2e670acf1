"""Renewal quotes (SPEC §5): target-month shortcuts, the default target, the quote and its JSON."""


from dataclasses import dataclass, field
from datetime import date

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.errors import DomainError
from billing_site.inputs import ASCII_MONTH
from billing_site.vat import (
    VatTreatment,
)
from catalogue.models import BillingPolicy, PackagePrice
from seats.models import Account, Seat

from .. import pricing
from ..order_quote import OrderQuote
from .common import (
    _ladder,
    _validate_addon_request,
    addon_states,
    no_price_error,
    vat_treatment_for,
)

# --- renewal quotes -----------------------------------------------------------------------------


def parse_target_month(value) -> tuple[int, int]:
    """'YYYY-MM' in ASCII digits → (year, month), refusing anything else ("２０２７-０１",
    "2027-01\n") with a field error."""
    try:
        if not ASCII_MONTH.match(str(value)):
            raise ValueError(value)
        year, month = (int(part) for part in str(value).split("-"))
        date(year, month, 1)
    except (TypeError, ValueError):
        raise DomainError(_("Enter the target month as YYYY-MM."), field="until") from None
    return year, month


def _check_target_month(until, *, as_of, current):
    """The target-month rules of `pricing.quote_renewal`, with messages people can read in their
    own language (pricing keeps the same checks as its own guard)."""
    year, month = until
    ym = f"{year:04d}-{month:02d}"
    offset = (year - as_of.year) * 12 + month - as_of.month
    if offset < 0:
        raise DomainError(_("The target month %(month)s is in the past.") % {"month": ym},
                          field="until")
    furthest = pricing.furthest_target_month(current_valid_until=current, as_of=as_of)
    if (year, month) > furthest:
        raise DomainError(
            _("The target month %(month)s is too far ahead: renewals reach at most %(max)d "
              "months beyond this month or the seats' current validity, whichever is later "
              "(here %(furthest)s).")
            % {"month": ym, "max": pricing.MAX_MONTHS_AHEAD,
               "furthest": f"{furthest[0]:04d}-{furthest[1]:02d}"},
            field="until",
        )
    if current is not None and pricing.month_end(year, month) < current:
        raise DomainError(
            _("The target month %(month)s ends before the seats' current validity "
              "(%(current)s); pick %(first)s or later.")
            % {"month": ym, "current": formatting.day(current), "first": f"{current:%Y-%m}"},
            field="until",
        )


SHORTCUT_MONTHS = (0, 1, 3, 6, 12)  # SPEC §5: end of this month, +1, +3, +6, +12 months


@dataclass(frozen=True)
class TargetShortcut:
    """A target-month shortcut of the renewal: `offset` 0 is the end of this month; +N is N
    months after the month of the account's validity (after this month when nothing is valid),
    so "+6" is always a 6-month term (SPEC §5). `disabled` when it ends before the validity."""

    offset: int
    month: tuple[int, int]
    end: date
    disabled: bool

    @property
    def value(self) -> str:
        return f"{self.month[0]:04d}-{self.month[1]:02d}"


def renewal_shortcuts(*, valid_until, as_of) -> list[TargetShortcut]:
    """The shortcuts for an account whose seats are valid until `valid_until` (None: no seats)."""
    base = pricing.base_month(current_valid_until=valid_until, as_of=as_of)
    rows = []
    for offset in SHORTCUT_MONTHS:
        month = (as_of.year, as_of.month) if offset == 0 else pricing.add_months(base, offset)
        end = pricing.month_end(*month)
        rows.append(TargetShortcut(offset, month, end,
                                   disabled=valid_until is not None and end < valid_until))
    return rows


def renewal_default_target(*, account, valid_until, as_of, basis=None) -> tuple[int, int]:
    """The target month the renew page starts with, so that the default never offers 0.00 while
    something can be paid (SPEC §5, issue 7):
    1. the end of this month (SPEC's default), when it can be quoted and costs something;
    2. else the month of the seats' validity, when that is later and something is due within it
       (e.g. a seat added this month and never paid): it pays what is due without extending;
    3. else "+1 month", one month beyond the validity, which always costs something.
    Up to two quotes; no query when `basis` (`quote_basis`) is given, else one basis each."""
    def costs_something(month):
        try:
            return renewal_quote(account=account, until=month, as_of=as_of,
                                 basis=basis).gross > 0
        except DomainError:
            return False

    this_month, plus_one = renewal_shortcuts(valid_until=valid_until, as_of=as_of)[:2]
    if not this_month.disabled and costs_something(this_month.month):
        return this_month.month
    if valid_until is not None and this_month.disabled:
        validity_month = (valid_until.year, valid_until.month)
        if costs_something(validity_month):
            return validity_month
    return plus_one.month


# What a quote needs of the billing policy, read inside the account query.
_POLICY_FIELDS = ("renewal_paid_grace_days", "grace_days")


@dataclass(frozen=True)
class QuoteBasis:
    """Everything a renewal quote of one account reads, read once: a page that quotes several
    target months (the default target, then the quote it shows) or shows the prices beside the
    quote reads each table once per request (issue 16).

    `account` comes with its package and invoice data (the VAT treatment); `seats` are the live
    seats as rows (`id`, `valid_until`, `paid_through`, `created_on`; `free_now` too when asked
    for); `unit_price` is the package's monthly
    seat price in the account's currency, None when it has none (a quote then refuses);
    `policy` is the billing policy (only `_POLICY_FIELDS` are read)."""

    account: Account
    seats: tuple
    terms: tuple
    states: dict
    unit_price: object
    ladder: tuple
    policy: BillingPolicy
    # quotes already made from this basis, by their arguments: the Renew page's default target
    # is found by quoting it, and the page then shows that same quote
    made: dict = field(default_factory=dict, compare=False, repr=False)


def quote_basis(account, *, with_free=False) -> QuoteBasis:
    """Read the `QuoteBasis` of `account` (four queries, whatever the number of seats: the
    account with its package, invoice data, seat price and the policy's fields; the add-on
    states; the seats; the ladder). `with_free`: annotate each seat with `free_now` (neither
    occupied nor held by an open invitation), for the Renew page's seat groups."""
    seat_price = PackagePrice.objects.filter(package=OuterRef("package_id"),
                                             currency=OuterRef("currency"))
    account = (
        Account.objects.select_related("package", "billing_profile")
        .annotate(seat_price=Subquery(seat_price.values("monthly_price")[:1]),
                  **BillingPolicy.subqueries(_POLICY_FIELDS))
        .get(pk=account.pk)
    )
    # in id order, as `Seat.Meta.ordering` within one account, without its join to the account
    seats = Seat.objects.filter(account=account, removed_on__isnull=True).order_by("id")
    fields = ["id", "valid_until", "paid_through", "created_on"]
    if with_free:
        seats = seats.with_free_now(account)
        fields.append("free_now")
    # rows, not model instances: a thousand instances cost more than the query itself
    seats = tuple(seats.values_list(*fields, named=True))
    policy = BillingPolicy.from_values(
        {f"policy_{name}": getattr(account, f"policy_{name}") for name in _POLICY_FIELDS})
    terms = tuple(pricing.SeatTerms(seat.id, seat.valid_until, seat.paid_through,
                                    seat.created_on) for seat in seats)
    return QuoteBasis(account=account, seats=seats, terms=terms,
                      states=addon_states(account), unit_price=account.seat_price,
                      ladder=_ladder(), policy=policy)


def renewal_quote(*, account, until, add_seats=0, add_ons=None, as_of,
                  basis: QuoteBasis | None = None) -> pricing.Quote:
    """Quote extending every seat of the account (and `add_seats` new ones, and `add_ons` extra
    packs) to the end of the month `until` = (year, month). A constant number of queries: those
    of `quote_basis`, none when `basis` (read for this account in this request) is given."""
    if not isinstance(add_seats, int) or isinstance(add_seats, bool) or add_seats < 0:
        raise DomainError(_("New seats must be a whole number, 0 or more."), field="add_seats")
    if add_seats > 500:
        raise DomainError(_("At most 500 new seats can be added at once."), field="add_seats")
    if basis is None:
        basis = quote_basis(account)
    elif basis.account.pk != account.pk:
        raise ValueError("the quote basis of another account")
    account, states = basis.account, basis.states
    extra = _validate_addon_request(states, add_ons)
    addon_lines = []
    for code, state in states.items():
        if state.packs and state.price_per_pack is not None:  # renewed with the seats
            addon_lines.append(pricing.AddOnLine(code, state.packs, state.price_per_pack))
        if extra.get(code):  # bought now: charged from today
            addon_lines.append(
                pricing.AddOnLine(code, extra[code], state.price_per_pack, start=as_of)
            )
    key = (tuple(until), add_seats, tuple(sorted(extra.items())), as_of)
    if key in basis.made:
        return basis.made[key]
    terms = list(basis.terms)
    _check_target_month(until, as_of=as_of, current=pricing.account_valid_until(terms))
    treatment = vat_treatment_for(account)
    if basis.unit_price is None:
        raise no_price_error(account.package, account.currency)
    try:
        quote = pricing.quote_renewal(
            seats=terms,
            new_seats=add_seats,
            unit_price=basis.unit_price,
            target_month=until,
            as_of=as_of,
            ladder=basis.ladder,
            vat_rate=treatment.rate,
            add_ons=addon_lines,
            free_through=account.trial_ends_on,
            grace_days=basis.policy.renewal_paid_grace_days,
        )
    except pricing.PricingError as exc:
        raise DomainError(str(exc), field="until") from exc
    basis.made[key] = RenewalQuote(quote, treatment)
    return basis.made[key]


@dataclass(frozen=True)
class RenewalQuote:
    """A renewal quote with the VAT treatment it was priced at (the rate is `quote.vat_rate`).
    Attribute access falls through to the pricing `Quote` (`.gross`, `.lines`, ...)."""

    quote: pricing.Quote
    treatment: VatTreatment

    def __getattr__(self, name):
        return getattr(self.quote, name)


def localized_quote(data: dict) -> dict:
    """A stored quote JSON as the API and pages show it: read through `OrderQuote`, so its
    `vat_note` speaks the active language (the stored note is in the language of the request
    that created the order; its `vat_reason` code is what counts)."""
    return OrderQuote.from_json(data).to_json()


def renewal_order_quote(quote: RenewalQuote, currency: str) -> OrderQuote:
    """A renewal quote as the typed `OrderQuote` an order would store (see `quote_json`), for a
    page that shows it without writing it out as JSON."""
    return OrderQuote.from_pricing(quote.quote, treatment=quote.treatment, currency=currency)


def quote_json(quote: RenewalQuote, currency: str) -> dict:
    """The API shape of a quote (and what an order stores): `OrderQuote.to_json` — amounts as
    2-decimal strings; add-on lines follow the seat lines, with `"seat": null` and their
    `add_on` code and `packs`; each line lists its partial months as `partials`; `vat_code`,
    `vat_reason` and `vat_note` say which VAT treatment applies and why."""
    return renewal_order_quote(quote, currency).to_json()
