"""The expiry banner every page shows (SPEC §6), drawn from the access decision already made for
the request (no query of its own).

- An admin sees one when any seat of the account expires within the banner lead (default 7 days)
  or has expired: how many seats, the earliest date, and a "renew now" link. The same for a trial
  about to end (with the days left, today included) or ended, and for an account finance blocked
  by hand.
- A manager or user sees one only for their own seat.
- Before expiry the banner can be dismissed (until the dates change); from the first unpaid day
  (grace, blocked, suspended) it cannot.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .phases import Phase


@dataclass(frozen=True)
class Banner:
    level: str  # "upcoming" (dismissible), "grace", "blocked", "suspended"
    message: str
    dismissible: bool
    # identifies what the banner is about, so that a dismissal ends when the dates change
    key: str
    renew_link: bool


def _day(value: date) -> str:
    return date_format(value, "DATE_FORMAT")


def _trial_days_left(ends: date, as_of: date) -> str:
    """"Free trial: 3 days left (today included)." — `ends` is the trial's last day (inclusive),
    so on that day one day is left."""
    days = (ends - as_of).days + 1
    return ngettext("Free trial: %(days)d day left (today included).",
                    "Free trial: %(days)d days left (today included).", days) % {"days": days}


def banner_for(decision, as_of: date) -> Banner | None:
    """The banner for the person `decision` (a `seats.access.AccessDecision`) is about, or None."""
    standing = getattr(decision, "standing", None)
    if standing is None or not decision.allowed:
        return None
    if decision.is_admin:
        return _admin_banner(decision, standing, as_of)
    return _member_banner(decision, standing, as_of)


def _admin_banner(decision, standing, as_of):
    if standing.held:
        return Banner("blocked", _("The vendor's finance team has blocked this organisation "
                                   "until its overdue invoices are paid. Only the billing pages "
                                   "are open."), False, "held", True)
    if standing.trial_ends_on is not None:
        ends = standing.trial_ends_on
        if as_of > ends:
            deleted_on = ends + timedelta(days=decision.policy.trial_deletion_days)
            return Banner(
                "blocked",
                _("Your free trial ended on %(end)s. Pay for a renewal to go on working; "
                  "unpaid, the organisation and its data are deleted on %(deleted)s.")
                % {"end": _day(ends), "deleted": _day(deleted_on)},
                False, f"trial-ended:{ends}", True)
        if (ends - as_of).days <= decision.policy.banner_lead_days:
            return Banner("upcoming", _trial_days_left(ends, as_of) + " "
                          + _("Your free trial ends on %(end)s. Renew to keep working without "
                              "a break.") % {"end": _day(ends)},
                          True, f"trial:{ends}", True)
        return None
    if not standing.expiring_count:
        return None
    first, count = standing.expiring_first, standing.expiring_count
    values = {"count": count, "date": _day(first)}
    # `first` is a seat's last valid day: "valid until" it, never "expired on" it
    if first >= as_of:
        message = ngettext(
            "%(count)d seat is valid only until %(date)s. Renew now to avoid a break.",
            "%(count)d seats need renewing soon, the first is valid only until %(date)s. "
            "Renew now to avoid a break.", count) % values
        return Banner("upcoming", message, True, f"upcoming:{first}:{count}", True)
    level = standing.phase if standing.phase != Phase.ACTIVE else Phase.GRACE
    seats = ngettext("%(count)d seat was valid until %(date)s.",
                     "%(count)d seats need renewing, the first was valid until %(date)s.",
                     count) % values
    if standing.phase == Phase.SUSPENDED:
        message = _("Payment required: the organisation is suspended and its automations are "
                    "paused. %(seats)s") % {"seats": seats}
    elif standing.phase == Phase.BLOCKED:
        message = _("Payment required: access is blocked for everyone but administrators. "
                    "%(seats)s") % {"seats": seats}
    else:
        message = _("Payment required: %(seats)s Renew now to keep access.") % {"seats": seats}
    return Banner(str(level), message, False, f"{level}:{first}:{count}", True)


def _member_banner(decision, standing, as_of):
    mine = decision.seat_valid_until
    if mine is None or standing.contract:
        return None
    if standing.trial_ends_on is not None:  # nothing is paid yet: the trial's end is the date
        ends = standing.trial_ends_on
        if as_of > ends or (ends - as_of).days > decision.policy.banner_lead_days:
            return None  # after the trial members cannot log in at all
        return Banner("upcoming", _trial_days_left(ends, as_of) + " "
                      + _("Your organisation's free trial ends on %(date)s. Ask an "
                          "administrator of your organisation to renew it.")
                      % {"date": _day(ends)}, True, f"own-trial:{ends}", False)
    days_left = (mine - as_of).days
    if days_left > decision.policy.banner_lead_days:
        return None
    if days_left >= 0:
        return Banner("upcoming", _("Your seat is paid until %(date)s. Ask an administrator of "
                                    "your organisation to renew it.") % {"date": _day(mine)},
                      True, f"own:{mine}", False)
    blocked_on = mine + timedelta(days=decision.policy.grace_days + 1)
    return Banner("grace", _("Payment required: your seat was valid until %(date)s. Ask an "
                             "administrator of your organisation to renew it; without payment "
                             "you cannot log in from %(blocked)s.")
                  % {"date": _day(mine), "blocked": _day(blocked_on)},
                  False, f"own-expired:{mine}", False)
