"""Payable orders (SPEC §5): creation from a quote, the status transition table, voiding and
expiry of pending orders."""


from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.dates import end_of_month
from billing_site.errors import DomainError
from billing_site.vat import (
    VatTreatment,
)
from catalogue.models import AddOn
from seats.audit import audit_record
from seats.models import Account, Contract, Seat

from .. import pricing
from ..models import AccountAddOn, Order, OrderKind, OrderStatus, OrderVoidReason
from ..order_quote import OrderQuote, OrderQuoteLine
from .common import (
    _lock_account,
    _seat_terms,
    _validate_addon_request,
    addon_states,
    vat_treatment_for,
)
from .quotes import renewal_quote

# --- orders --------------------------------------------------------------------------------------

# Allowed order status changes (SPEC §5); anything else is refused by `order_transition`.
ORDER_TRANSITIONS = {
    OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED},
    OrderStatus.PAID: {OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED},
    OrderStatus.PARTLY_REFUNDED: {OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED},
    OrderStatus.CANCELLED: set(),
    OrderStatus.EXPIRED: set(),
    OrderStatus.REFUNDED: set(),
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


def order_valid_through(as_of):
    """The last day an order quoted on `as_of` can be paid: `ORDER_VALIDITY_DAYS` later, but
    never past the end of `as_of`'s month (issue 9)."""
    return min(as_of + timedelta(days=settings.ORDER_VALIDITY_DAYS), end_of_month(as_of))


def _order_create(*, account, kind, quote: OrderQuote, actor, as_of) -> Order:
    data = quote.to_json()
    order = Order.objects.create(
        account=account, kind=kind, currency=quote.currency, net=quote.net, vat=quote.vat,
        gross=quote.gross, quote=data, as_of=as_of, basis=order_basis(account),
        valid_through=order_valid_through(as_of),
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
    what it was priced on stays as it was (`order_refresh`).

    Refused with `DomainError` (409, "contract_account") while a contract runs on `as_of`: the
    account's seats are invoiced monthly for the confirmed count (SPEC §3), so a renewal paid on
    top would bill the same seats twice."""
    account = _lock_account(account)
    if Contract.objects.running_on(as_of).filter(account=account).exists():
        raise DomainError(
            _("This account has a contract: its seats are invoiced on the 1st of each month, so "
              "they are not renewed here. To change the number of seats billed, send the new "
              "seat count on the Users page."),
            code="contract_account", status=409,
        )
    quote = renewal_quote(account=account, until=until, add_seats=add_seats, add_ons=add_ons,
                          as_of=as_of)
    if quote.gross <= 0:
        raise DomainError(
            _("Nothing to pay: every seat is already paid until %(date)s. Pick a later month or "
              "add seats.") % {"date": formatting.day(quote.valid_until)},
            field="until", code="nothing_to_pay",
        )
    order_quote = replace(
        OrderQuote.from_pricing(quote.quote, treatment=quote.treatment,
                                currency=account.currency),
        request={"until": f"{until[0]:04d}-{until[1]:02d}", "add_seats": add_seats,
                 "add_ons": add_ons or {}},
        package={"code": account.package.code, "name": account.package.name},
    )
    return _order_create(account=account, kind=OrderKind.RENEWAL, quote=order_quote,
                         actor=actor, as_of=as_of)


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
            code="no_validity", status=409,
        )
    start = pricing.chargeable_from(as_of, account.trial_ends_on)
    if start > valid_until:
        raise DomainError(
            _("During the free trial add-on packs are free until the trial ends; buy them "
              "together with a renewal to keep them afterwards."),
            code="trial_addons", status=409, field="add_ons",
        )
    period = pricing.split_period(start, valid_until)
    lines = [
        OrderQuoteLine(start, valid_until, period.months, period.partials,
                       states[code].price_per_pack,
                       pricing.addon_prorata(packs=packs,
                                             price_per_pack=states[code].price_per_pack,
                                             as_of=start, until=valid_until),
                       add_on=code, packs=packs)
        for code, packs in extra.items()
    ]
    order_quote = OrderQuote.for_add_ons(lines=lines, treatment=vat_treatment_for(account),
                                         currency=account.currency, valid_until=valid_until,
                                         request={"add_ons": extra})
    return _order_create(account=account, kind=OrderKind.ADDONS, quote=order_quote,
                         actor=actor, as_of=as_of)


def order_quote(order: Order) -> OrderQuote:
    """What `order` stores, typed (every reader of `Order.quote` goes through this)."""
    return OrderQuote.from_json(order.quote)


def order_vat_treatment(order: Order) -> VatTreatment | None:
    """The VAT treatment an order was priced at (its documents use it), None for an order
    stored before orders recorded it."""
    return order_quote(order).treatment


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
    valid_through = order.valid_through or order_valid_through(order.as_of)
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


def account_orders_refreshed(*, account, as_of) -> list[Order]:
    """The orders of `account`, newest first, each pending one closed first when it can no
    longer be paid (`order_refresh`, in id order as `orders_refresh`, the basis read once): what
    the History page lists. One query while no order is pending (issue 16), where
    `orders_refresh` followed by a read of the list costs two."""
    orders = list(Order.objects.filter(account=account).order_by("-created_at", "-id"))
    pending = sorted((order for order in orders if order.status == OrderStatus.PENDING),
                     key=lambda order: order.pk)
    if not pending:
        return orders
    basis = order_basis(account)
    refreshed = {}
    for order in pending:
        order.account = account  # the same row: no query per order for it
        refreshed[order.pk] = order_refresh(order=order, as_of=as_of, basis=basis)
    return [refreshed.get(order.pk, order) for order in orders]


def _bought_packs(order) -> dict[str, int]:
    """{add-on code: packs} the order bought (its request's `add_ons`), zero counts left out."""
    request = order_quote(order).request or {}
    return {code: packs for code, packs in (request.get("add_ons") or {}).items() if packs}


def order_add_on_packs_grant(*, order, actor) -> dict[str, int]:
    """Add the add-on packs a paid `order` bought (its request's `add_ons`, {code: packs}) to the
    account's packs; called once, by the payments slice, when it applies the order. Returns the
    packs added. Locks the account; audit row with before/after."""
    extra = _bought_packs(order)
    if not extra:
        return {}
    account = _lock_account(order.account)
    addons = {a.code: a for a in AddOn.objects.filter(code__in=extra)}
    before, after = {}, {}
    for code, packs in extra.items():
        row, _created = AccountAddOn.objects.select_for_update().get_or_create(
            account=account, addon=addons[code], defaults={"packs": 0})
        before[code] = row.packs
        row.packs += packs
        row.save(update_fields=["packs"])
        after[code] = row.packs
    audit_record(account=account, actor=actor, action="addons.grant", target=order,
                 before={"packs": before}, after={"packs": after})
    return extra


def order_add_on_packs_revoke(*, order, actor) -> dict[str, int]:
    """Take back the add-on packs a fully refunded `order` added (`order_add_on_packs_grant`),
    never below zero. Returns the packs taken back. Locks the account; audit row."""
    extra = _bought_packs(order)
    if not extra:
        return {}
    account = _lock_account(order.account)
    before, after, taken = {}, {}, {}
    for row in AccountAddOn.objects.select_for_update().filter(
            account=account, addon__code__in=extra).select_related("addon"):
        before[row.addon.code] = row.packs
        taken[row.addon.code] = min(row.packs, extra[row.addon.code])
        row.packs -= taken[row.addon.code]
        row.save(update_fields=["packs"])
        after[row.addon.code] = row.packs
    audit_record(account=account, actor=actor, action="addons.revoke", target=order,
                 before={"packs": before}, after={"packs": after})
    return taken
