"""Scoped reads of the plans pages and API (each function takes the requesting account and reads
only its rows), and what an account's package entitles it to (SPEC §4), for the product."""


from catalogue.models import AddOn, Package, PackageAddOn, PackagePrice
from seats.models import Seat

from .models import Order, PackageChange
from .services import addon_states


def seat_groups(seats) -> list[dict]:
    """Live seats (read with `free_now`, as `services.quote_basis(..., with_free=True)` reads
    them) grouped by validity, earliest first: [{valid_until, total, free, occupied}]. Free:
    neither occupied nor held by a pending invitation (issue 13 item 3). No query."""
    groups: dict = {}
    for seat in seats:
        group = groups.setdefault(seat.valid_until, {"valid_until": seat.valid_until,
                                                     "total": 0, "free": 0})
        group["total"] += 1
        group["free"] += bool(seat.free_now)
    rows = [groups[day] for day in sorted(groups)]
    for group in rows:
        group["occupied"] = group["total"] - group["free"]
    return rows


def seat_numbers(account, seat_ids) -> dict[int, int]:
    """{seat id: the seat's number in its account}, the number the Users page shows."""
    return dict(Seat.objects.filter(account=account, pk__in=seat_ids)
                .values_list("pk", "number"))


def add_on_names(codes) -> dict[str, str]:
    return dict(AddOn.objects.filter(code__in=codes).values_list("code", "name"))


def order_of_account(account, order_id) -> Order | None:
    """The account's order `order_id`, None when there is none (or it is another account's)."""
    return Order.objects.filter(pk=order_id, account=account).first()


def orders_of_account(account):
    return Order.objects.filter(account=account).order_by("-created_at", "-id")


def last_package_change(account) -> PackageChange | None:
    return (PackageChange.objects.filter(account=account)
            .select_related("from_package", "to_package").first())


def package_offers(account) -> list[tuple]:
    """Active packages with the seat price in the account's currency and their add-on limits:
    [(package, price or None, [PackageAddOn])] (three queries)."""
    packages = list(Package.objects.filter(active=True))
    prices = dict(PackagePrice.objects.filter(currency=account.currency)
                  .values_list("package_id", "monthly_price"))
    limits: dict[int, list] = {}
    for limit in PackageAddOn.objects.filter(package__in=packages,
                                             addon__active=True).select_related("addon"):
        limits.setdefault(limit.package_id, []).append(limit)
    return [(p, prices.get(p.pk), limits.get(p.pk, [])) for p in packages]


def automations_paused(account, *, as_of) -> bool:
    """Automations pause only for accounts suspended for non-payment (dunning slice); until that
    slice lands nothing pauses them."""
    return False


def account_entitlements(account, *, as_of) -> dict:
    package = account.package
    seats = Seat.objects.filter(account=account, removed_on__isnull=True).count()
    return {
        "package": package.code,
        "features": list(package.features),
        "seats": seats,
        "storage_gb_per_seat": package.storage_gb_per_seat,
        "storage_quota_gb": seats * package.storage_gb_per_seat,
        "add_ons": [
            {"code": s.code, "name": s.name, "pack_size": s.pack_size, "included": s.included,
             "bought": s.bought_units, "packs": s.packs, "cap": s.cap}
            for s in addon_states(account).values()
        ],
        "automations_paused": automations_paused(account, as_of=as_of),
    }
