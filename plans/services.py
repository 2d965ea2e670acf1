"""Renewal quotes, payable orders, package changes and billing periods (SPEC §4–5).

The maths lives in `plans.pricing` (pure); these functions load what it needs with a constant
number of queries, call it, and store the outcome under the account lock with an audit row.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from billing_site.vat import (
    TREATMENTS,
    VAT_REASONS,
    VatTreatment,
    buyer_vat_treatment,
    vat_amount,
)
from catalogue.models import AddOnPrice, DiscountRung, Package, PackageAddOn, PackagePrice
from seats.audit import audit_record, snapshot
from seats.models import Account, Seat

from . import pricing
from .models import AccountAddOn, Order, OrderKind, OrderStatus, OrderVoidReason, PackageChange

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


def _unit_price(package, currency):
    price = PackagePrice.objects.filter(package=package, currency=currency).first()
    if price is None:
        raise DomainError(
            _("Package %(package)s has no price in %(currency)s; contact support.")
            % {"package": package.name, "currency": currency},
            code="no_price",
        )
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
    account has bought (three queries)."""
    package = package or account.package
    limits = PackageAddOn.objects.filter(package=package, addon__active=True).select_related(
        "addon"
    )
    prices = dict(
        AddOnPrice.objects.filter(currency=account.currency).values_list("addon_id",
                                                                          "monthly_price")
    )
    bought = dict(AccountAddOn.objects.filter(account=account).values_list("addon_id", "packs"))
    return {
        limit.addon.code: AddOnState(
            code=limit.addon.code, name=limit.addon.name, pack_size=limit.addon.pack_size,
            price_per_pack=prices.get(limit.addon_id), included=limit.included, cap=limit.cap,
            packs=bought.get(limit.addon_id, 0),
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
                _("The number of packs of %(code)s must be a whole number, 0 or more.")
                % {"code": code},
                field="add_ons",
            )
        state = states[code]
        if packs > state.max_more_packs:
            raise DomainError(
                _("%(name)s: at most %(cap)d units in total on this package (%(included)d "
                  "included, %(bought)d bought); you can add at most %(more)d more packs.")
                % {"name": state.name, "cap": state.cap, "included": state.included,
                   "bought": state.bought_units, "more": state.max_more_packs},
                field="add_ons",
            )
        if packs and state.price_per_pack is None:
            raise DomainError(
                _("%(name)s has no price in this currency; contact support.")
                % {"name": state.name},
                field="add_ons",
            )
        if packs:
            clean[code] = packs
    return clean


# --- renewal quotes -----------------------------------------------------------------------------


def parse_target_month(value) -> tuple[int, int]:
    """'YYYY-MM' → (year, month), refusing anything else with a field error."""
    try:
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
            % {"month": ym, "current": current.isoformat(), "first": f"{current:%Y-%m}"},
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


def renewal_default_target(*, account, valid_until, as_of) -> tuple[int, int]:
    """The target month the renew page starts with, so that the default never offers 0.00 while
    something can be paid (SPEC §5, issue 7):
    1. the end of this month (SPEC's default), when it can be quoted and costs something;
    2. else the month of the seats' validity, when that is later and something is due within it
       (e.g. a seat added this month and never paid): it pays what is due without extending;
    3. else "+1 month", one month beyond the validity, which always costs something.
    Up to two quotes' worth of queries."""
    def costs_something(month):
        try:
            return renewal_quote(account=account, until=month, as_of=as_of).gross > 0
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


def renewal_quote(*, account, until, add_seats=0, add_ons=None, as_of) -> pricing.Quote:
    """Quote extending every seat of the account (and `add_seats` new ones, and `add_ons` extra
    packs) to the end of the month `until` = (year, month). A constant number of queries."""
    if not isinstance(add_seats, int) or isinstance(add_seats, bool) or add_seats < 0:
        raise DomainError(_("New seats must be a whole number, 0 or more."), field="add_seats")
    if add_seats > 500:
        raise DomainError(_("At most 500 new seats can be added at once."), field="add_seats")
    account = Account.objects.select_related("package", "billing_profile").get(pk=account.pk)
    seats = Seat.objects.filter(account=account, removed_on__isnull=True).only(
        "id", "valid_until", "paid_through", "created_on"
    )
    states = addon_states(account)
    extra = _validate_addon_request(states, add_ons)
    addon_lines = []
    for code, state in states.items():
        if state.packs and state.price_per_pack is not None:  # renewed with the seats
            addon_lines.append(pricing.AddOnLine(code, state.packs, state.price_per_pack))
        if extra.get(code):  # bought now: charged from today
            addon_lines.append(
                pricing.AddOnLine(code, extra[code], state.price_per_pack, start=as_of)
            )
    terms = _seat_terms(seats)
    _check_target_month(until, as_of=as_of, current=pricing.account_valid_until(terms))
    treatment = vat_treatment_for(account)
    try:
        quote = pricing.quote_renewal(
            seats=terms,
            new_seats=add_seats,
            unit_price=_unit_price(account.package, account.currency),
            target_month=until,
            as_of=as_of,
            ladder=_ladder(),
            vat_rate=treatment.rate,
            add_ons=addon_lines,
            free_through=account.trial_ends_on,
        )
    except pricing.PricingError as exc:
        raise DomainError(str(exc), field="until") from exc
    return RenewalQuote(quote, treatment)


@dataclass(frozen=True)
class RenewalQuote:
    """A renewal quote with the VAT treatment it was priced at (the rate is `quote.vat_rate`).
    Attribute access falls through to the pricing `Quote` (`.gross`, `.lines`, ...)."""

    quote: pricing.Quote
    treatment: VatTreatment

    def __getattr__(self, name):
        return getattr(self.quote, name)


def _money(value):
    return str(Decimal(value).quantize(TWO))


def _line_json(line, *, add_on=None):
    data = {
        "seat": getattr(line, "seat_id", None),
        "start": line.start.isoformat(),
        "end": line.end.isoformat(),
        "months": line.months,
        "days": line.days,
        "days_in_month": line.days_in_month,
        "partials": [list(pair) for pair in line.partials],
        "unit_price": _money(line.unit_price),
        "amount": _money(line.amount),
    }
    if add_on is not None:
        data["add_on"] = add_on
        data["packs"] = line.packs
    return data


def localized_quote(data: dict) -> dict:
    """A stored quote JSON with its `vat_note` in the active language (the note is stored in the
    language of the request that created the order; its `vat_reason` code is what counts)."""
    if data.get("vat_reason") in VAT_REASONS:
        return {**data, "vat_note": str(VAT_REASONS[data["vat_reason"]])}
    return data


def _vat_json(treatment: VatTreatment) -> dict:
    return {"vat_code": treatment.code, "vat_reason": treatment.reason,
            "vat_note": treatment.reason_text}


def quote_json(quote: RenewalQuote, currency: str) -> dict:
    """The API shape of a quote (and what an order stores): amounts as 2-decimal strings.
    Add-on lines follow the seat lines, with `"seat": null` and their `add_on` code and `packs`.
    Each line lists its partial months as `partials` [[days, days in month], ...]. `vat_code`
    ("23", "reverse_charge", "np"), `vat_reason` (a key of `billing_site.vat.VAT_REASONS`) and
    `vat_note` (that reason in words) say which VAT treatment applies and why."""
    return {
        "currency": currency,
        "term_months": quote.term_months,
        "discount_percent": _money(quote.discount_percent),
        "lines": [_line_json(line) for line in quote.lines]
        + [_line_json(line, add_on=line.code) for line in quote.add_on_lines],
        "net_before_discount": _money(quote.net_before_discount),
        "discount": _money(quote.discount),
        "net": _money(quote.net),
        "vat_rate": _money(quote.vat_rate),
        **_vat_json(quote.treatment),
        "vat": _money(quote.vat),
        "gross": _money(quote.gross),
        "valid_until": quote.valid_until.isoformat(),
    }


# --- orders --------------------------------------------------------------------------------------

# Allowed order status changes (SPEC §5); anything else is refused by `order_transition`.
ORDER_TRANSITIONS = {
    OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED},
    OrderStatus.PAID: set(),
    OrderStatus.CANCELLED: set(),
    OrderStatus.EXPIRED: set(),
}


def order_basis(account) -> dict:
    """What an order of `account` is priced on, as JSON: package id, currency, VAT code, every
    seat (not removed) with its `valid_until` and `paid_through`, and the add-on packs bought.
    Two queries (plus one for the invoice data unless `account` was loaded with it)."""
    seats = Seat.objects.filter(account=account, removed_on__isnull=True).order_by("pk")
    return {
        "package": account.package_id,
        "currency": account.currency,
        "vat_code": vat_treatment_for(account).code,
        "seats": [[pk, valid_until.isoformat(), paid and paid.isoformat()]
                  for pk, valid_until, paid in seats.values_list("pk", "valid_until",
                                                                 "paid_through")],
        "add_ons": dict(sorted(AccountAddOn.objects.filter(account=account, packs__gt=0)
                               .values_list("addon__code", "packs"))),
    }


def _void_reason(then: dict, now: dict) -> str:
    """The first thing that differs between two `order_basis` values ("" when none)."""
    for key, reason in (("currency", OrderVoidReason.CURRENCY), ("vat_code", OrderVoidReason.VAT),
                        ("package", OrderVoidReason.PACKAGE), ("seats", OrderVoidReason.SEATS),
                        ("add_ons", OrderVoidReason.ADD_ONS)):
        if then.get(key) != now.get(key):
            return reason
    return ""


def _order_create(*, account, kind, data, net, vat, gross, actor, as_of) -> Order:
    order = Order.objects.create(
        account=account, kind=kind, currency=account.currency, net=net, vat=vat, gross=gross,
        quote=data, as_of=as_of, basis=order_basis(account),
        valid_through=as_of + timedelta(days=settings.ORDER_VALIDITY_DAYS),
        created_by=actor if actor is not None and actor.pk else None,
    )
    audit_record(account=account, actor=actor, action="order.create", target=order,
                 after={"kind": order.kind, "gross": data["gross"], "currency": order.currency,
                        "vat_code": data["vat_code"],
                        "valid_through": order.valid_through.isoformat()})
    return order


@transaction.atomic
def renewal_order_create(*, account, until, add_seats=0, add_ons=None, actor, as_of) -> Order:
    """A pending renewal order holding exactly the quote (and the request that produced it);
    payment applies it later. It is payable through `as_of + ORDER_VALIDITY_DAYS` and only while
    what it was priced on stays as it was (`order_refresh`)."""
    account = _lock_account(account)
    quote = renewal_quote(account=account, until=until, add_seats=add_seats, add_ons=add_ons,
                          as_of=as_of)
    if quote.gross <= 0:
        raise DomainError(
            _("Nothing to pay: every seat is already paid until %(date)s. Pick a later month or "
              "add seats.") % {"date": quote.valid_until.isoformat()},
            field="until", code="nothing_to_pay",
        )
    data = quote_json(quote, account.currency)
    data["request"] = {"until": f"{until[0]:04d}-{until[1]:02d}", "add_seats": add_seats,
                       "add_ons": add_ons or {}}
    data["package"] = {"code": account.package.code, "name": account.package.name}
    return _order_create(account=account, kind=OrderKind.RENEWAL, data=data, net=quote.net,
                         vat=quote.vat, gross=quote.gross, actor=actor, as_of=as_of)


@transaction.atomic
def addon_order_create(*, account, add_ons, actor, as_of) -> Order:
    """Add-on packs bought outside a renewal: charged pro rata from today (from the day after
    the trial during a free trial) to the account's validity end, as a pending order (SPEC §4).
    Each line lists every partial month it covers, so its shown maths gives its amount."""
    account = _lock_account(account)
    states = addon_states(account)
    extra = _validate_addon_request(states, add_ons)
    if not extra:
        raise DomainError(_("Choose at least one pack to buy."), field="add_ons")
    valid_until = pricing.account_valid_until(
        _seat_terms(Seat.objects.filter(account=account, removed_on__isnull=True))
    )
    if valid_until is None or valid_until < as_of:
        raise DomainError(
            _("The account has no valid seats; buy add-on packs together with a renewal."),
            code="no_validity",
        )
    start = pricing.chargeable_from(as_of, account.trial_ends_on)
    if start > valid_until:
        raise DomainError(
            _("During the free trial add-on packs are free until the trial ends; buy them "
              "together with a renewal to keep them afterwards."),
            code="trial_addons", field="add_ons",
        )
    period = pricing.split_period(start, valid_until)
    lines, net = [], Decimal("0.00")
    for code, packs in extra.items():
        amount = pricing.addon_prorata(packs=packs, price_per_pack=states[code].price_per_pack,
                                       as_of=start, until=valid_until)
        lines.append({"seat": None, "add_on": code, "packs": packs,
                      "start": start.isoformat(), "end": valid_until.isoformat(),
                      "months": period.months, "days": period.days,
                      "days_in_month": period.days_in_month,
                      "partials": [list(pair) for pair in period.partials],
                      "unit_price": _money(states[code].price_per_pack),
                      "amount": _money(amount)})
        net += amount
    treatment = vat_treatment_for(account)
    vat = vat_amount(net, treatment.rate)
    data = {"currency": account.currency, "term_months": 0, "discount_percent": "0.00",
            "lines": lines, "net_before_discount": _money(net), "discount": "0.00",
            "net": _money(net), "vat_rate": _money(treatment.rate), **_vat_json(treatment),
            "vat": _money(vat), "gross": _money(net + vat), "valid_until": valid_until.isoformat(),
            "request": {"add_ons": extra}}
    return _order_create(account=account, kind=OrderKind.ADDONS, data=data, net=net, vat=vat,
                         gross=net + vat, actor=actor, as_of=as_of)


def order_vat_treatment(order: Order) -> VatTreatment | None:
    """The VAT treatment an order was priced at (its documents use it), None for an order
    stored before orders recorded it."""
    code = order.quote.get("vat_code")
    return TREATMENTS[code] if code in TREATMENTS else None


def order_transition(*, order, to, reason="", actor, as_of) -> Order:
    """Move `order` to status `to` along `ORDER_TRANSITIONS` (the only writer of
    `Order.status`). Re-reads the row under `select_for_update`, so of two concurrent
    transitions one wins and the other is refused; writes an audit row. Raises `DomainError`
    (code "order_state", 409) for a transition the table does not allow from the current
    status."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if to not in ORDER_TRANSITIONS[locked.status]:
            raise DomainError(
                _("Order #%(id)d is %(status)s and cannot become %(to)s.")
                % {"id": locked.pk, "status": locked.get_status_display(),
                   "to": OrderStatus(to).label},
                code="order_state", status=409,
            )
        before = {"status": locked.status}
        locked.status, locked.status_reason, locked.status_changed_on = to, reason, as_of
        locked.save(update_fields=["status", "status_reason", "status_changed_on"])
        audit_record(account=locked.account, actor=actor, action="order.status", target=locked,
                     before=before, after={"status": to, "reason": reason})
        return locked


def order_void_reason(order: Order, *, as_of, basis=None) -> str:
    """Why a pending `order` can no longer be paid on `as_of` ("" while it can): its validity
    window ended, or the account's currency, VAT treatment, package, seats or add-on packs
    differ from what it was priced on. `basis` is the account's current `order_basis`, when the
    caller has it."""
    valid_through = order.valid_through or order.as_of + timedelta(
        days=settings.ORDER_VALIDITY_DAYS)
    if as_of > valid_through:
        return OrderVoidReason.EXPIRED
    if not order.basis:  # stored before orders recorded their basis: nothing to compare
        return ""
    if basis is None:  # the account as it stands now, not as the caller's copy remembers it
        basis = order_basis(Account.objects.select_related("billing_profile")
                            .get(pk=order.account_id))
    return _void_reason(order.basis, basis)


def order_refresh(*, order, as_of, basis=None) -> Order:
    """A pending order that can no longer be paid (see `order_void_reason`) is closed: expired
    when its window ended, cancelled with the reason otherwise. Other orders are returned as
    they are. Idempotent: safe from pages, the API, documents and the daily job."""
    if order.status != OrderStatus.PENDING:
        return order
    reason = order_void_reason(order, as_of=as_of, basis=basis)
    if not reason:
        return order
    to = OrderStatus.EXPIRED if reason == OrderVoidReason.EXPIRED else OrderStatus.CANCELLED
    try:
        return order_transition(order=order, to=to, reason=reason, actor=None, as_of=as_of)
    except DomainError:  # closed (or paid) by someone else meanwhile: theirs stands
        return Order.objects.get(pk=order.pk)


def orders_refresh(*, as_of, account=None, batch=500) -> int:
    """`order_refresh` for every pending order (of `account`, or of every account), in batches of
    `batch` orders; each account's basis is computed once per batch. Returns how many orders were
    closed. The daily job `plans.refresh_orders` runs it."""
    pending = Order.objects.filter(status=OrderStatus.PENDING).select_related(
        "account", "account__billing_profile").order_by("pk")
    if account is not None:
        pending = pending.filter(account=account)
    closed, last_pk = 0, 0
    while chunk := list(pending.filter(pk__gt=last_pk)[:batch]):
        bases: dict[int, dict] = {}
        for order in chunk:
            if order.account_id not in bases:
                bases[order.account_id] = order_basis(order.account)
            refreshed = order_refresh(order=order, as_of=as_of, basis=bases[order.account_id])
            closed += refreshed.status != OrderStatus.PENDING
        last_pk = chunk[-1].pk
    return closed


# --- package change -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageChangeResult:
    package: Package
    effective: date
    seats: list  # [pricing.SeatChange]
    applied: bool


def _convert(day, *, as_of, old_price, new_price):
    """`day` moved by the price ratio (SPEC §4 formula); days before `as_of` do not move."""
    if day is None or day < as_of:
        return day
    return pricing.package_change(
        seats=[pricing.SeatTerms(0, day, None, as_of)], old_price=old_price,
        new_price=new_price, as_of=as_of,
    )[0].valid_until_after


def _seat_change(seat, *, as_of, old_price, new_price, in_trial):
    """(valid_until, paid_through) of one seat still valid on `as_of`, after the change.

    SPEC §4 as written: `valid_until` becomes `as_of + floor((valid_until − as_of).days × old /
    new)` for every valid seat, and `paid_through` moves by the same formula so that the converted
    time stays paid. One exception: during the free trial nothing moves, because trial days were
    never paid at either price (converting them would let a downgrade lengthen the trial).
    """
    if in_trial:
        return seat.valid_until, seat.paid_through
    convert = partial(_convert, as_of=as_of, old_price=old_price, new_price=new_price)
    return convert(seat.valid_until), convert(seat.paid_through)


def package_change(*, account, package_code, dry_run, actor, as_of) -> PackageChangeResult:
    """Change the package of every seat, effective today (SPEC §4): the remaining paid time of
    each valid seat is converted at the price ratio (see `_seat_change`); expired seats are
    untouched. At most once per calendar
    month. `dry_run` computes the same result and changes nothing."""
    with transaction.atomic():
        locked = _lock_account(account)
        new = Package.objects.filter(code=package_code).first()
        if new is None:
            raise DomainError(_("Unknown package “%(code)s”.") % {"code": package_code},
                              field="package")
        if not new.active:
            raise DomainError(_("Package %(name)s is not offered any more.") % {"name": new.name},
                              field="package")
        if new.pk == locked.package_id:
            raise DomainError(_("The account already has package %(name)s.") % {"name": new.name},
                              field="package")
        last = PackageChange.objects.filter(account=locked).order_by("-effective_on").first()
        if last is not None and as_of < last.effective_on + relativedelta(months=1):
            next_allowed = last.effective_on + relativedelta(months=1)
            raise DomainError(
                _("The package was last changed on %(last)s; the next change is possible from "
                  "%(next)s.") % {"last": last.effective_on.isoformat(),
                                  "next": next_allowed.isoformat()},
                code="too_soon",
            )
        states = addon_states(locked, package=new)
        for state in addon_states(locked).values():
            target = states.get(state.code)
            if state.packs and (target is None
                                or target.included + state.bought_units > target.cap):
                raise DomainError(
                    _("%(name)s: the %(units)d units bought exceed what package %(package)s "
                      "allows.") % {"name": state.name, "units": state.bought_units,
                                    "package": new.name},
                    code="addon_cap",
                )
        old_price = _unit_price(locked.package, locked.currency)
        new_price = _unit_price(new, locked.currency)
        seats = list(Seat.objects.select_for_update().filter(account=locked,
                                                             removed_on__isnull=True))
        in_trial = bool(locked.trial and locked.trial_ends_on and as_of <= locked.trial_ends_on)
        try:
            pricing.package_change(seats=[], old_price=old_price, new_price=new_price,
                                   as_of=as_of)  # refuses prices it cannot convert at
            after = {
                s.pk: _seat_change(s, as_of=as_of, old_price=old_price, new_price=new_price,
                                   in_trial=in_trial)
                for s in seats if s.valid_until >= as_of  # expired seats are untouched
            }
        except pricing.PricingError as exc:
            raise DomainError(str(exc), field="package") from exc
        changes = [pricing.SeatChange(s.pk, s.valid_until, after[s.pk][0])
                   for s in seats if s.pk in after]
        if dry_run:
            transaction.set_rollback(True)
            return PackageChangeResult(new, as_of, changes, applied=False)
        before = snapshot(locked, ["package"])
        changed = []
        for seat in seats:
            if seat.pk in after:
                seat.valid_until, seat.paid_through = after[seat.pk]
                changed.append(seat)
        Seat.objects.bulk_update(changed, ["valid_until", "paid_through"])
        PackageChange.objects.create(account=locked, from_package=locked.package,
                                     to_package=new, effective_on=as_of,
                                     actor=actor if actor is not None and actor.pk else None)
        locked.package = new
        locked.save(update_fields=["package"])
        audit_record(
            account=locked, actor=actor, action="account.package_change", target=locked,
            before=before,
            after={**snapshot(locked, ["package"]),
                   "seats": [[c.seat_id, c.valid_until_before.isoformat(),
                              c.valid_until_after.isoformat()] for c in changes]},
        )
        return PackageChangeResult(new, as_of, changes, applied=True)
