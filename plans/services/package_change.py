"""Package change (SPEC §4): remaining paid time converted at the price ratio, at most once a
month."""


from dataclasses import dataclass
from datetime import date
from functools import partial

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.errors import DomainError
from catalogue.models import Package, catalogue_name
from seats.audit import audit_record, snapshot
from seats.models import Seat, SeatPeriodCause
from seats.services import seat_periods_append

from .. import pricing
from ..models import PackageChange
from .common import _lock_account, _unit_price, addon_states

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
            raise DomainError(_("Package %(name)s is not offered any more.")
                              % {"name": new.display_name}, field="package")
        if new.pk == locked.package_id:
            raise DomainError(_("The account already has package %(name)s.")
                              % {"name": new.display_name}, field="package")
        last = PackageChange.objects.filter(account=locked).order_by("-effective_on").first()
        if last is not None and as_of < last.effective_on + relativedelta(months=1):
            next_allowed = last.effective_on + relativedelta(months=1)
            raise DomainError(
                _("The package was last changed on %(last)s; the next change is possible from "
                  "%(next)s.") % {"last": formatting.day(last.effective_on),
                                  "next": formatting.day(next_allowed)},
                code="too_soon", status=409,
            )
        states = addon_states(locked, package=new)
        for state in addon_states(locked).values():
            target = states.get(state.code)
            if state.packs and (target is None
                                or target.included + state.bought_units > target.cap):
                raise DomainError(
                    _("%(name)s: the %(units)d units bought exceed what package %(package)s "
                      "allows.") % {"name": catalogue_name(state.name), "units": state.bought_units,
                                    "package": new.display_name},
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
        # the seats' new dates go into their validity ledger, which refreshes the seats
        seat_periods_append(
            account=locked, cause=SeatPeriodCause.PACKAGE_CHANGE, actor=actor, as_of=as_of,
            changes=[(seat, *after[seat.pk]) for seat in seats if seat.pk in after],
        )
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
