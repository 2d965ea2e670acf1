"""What an account's package entitles it to (SPEC §4), for the product over the API."""

from seats.models import Seat

from .services import addon_states


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
