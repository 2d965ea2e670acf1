"""An account "as of" a chosen date, for ops (issue 10, "a 'preview as of date' form"): its
phase, days overdue, whether automations are paused, the banner each role would see and the
renewal quote the account would get on that date.

Everything is computed by the functions the product itself uses — `seats.access.standing_of`
(the phase), `seats.banners.banner_for` (the banners), `plans.services.renewal_quote` (the
quote) — from the seats' *current* dates: it answers "what would this account see on that day if
nothing changes until then", not "what did it see back then" (the timeline tells that).
Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from billing_site.errors import DomainError
from plans import pricing
from plans.services import renewal_default_target, renewal_quote
from seats.access import AccessDecision, account_dates, blocked_message, deletion_date, standing_of
from seats.banners import Banner, banner_for
from seats.phases import Phase, trial_deletion_due
from seats.standing import Standing, seat_standing_phase

from .models import RecordedPhase

# An account has few distinct seat dates; the preview shows at most this many (the latest).
MAX_SEAT_DATES = 50

# `seats.banners.Banner.level` in words (the phases' own labels, and the banner shown before
# expiry)
BANNER_LEVELS = {
    "upcoming": pgettext_lazy("banner level", "before expiry"),
    **{phase.value: phase.label for phase in Phase},
}


@dataclass(frozen=True)
class BannerShown:
    """A `seats.banners.Banner` with its level in the user's language."""

    banner: Banner

    @property
    def level(self) -> str:
        return self.banner.level

    @property
    def level_label(self) -> str:
        return str(BANNER_LEVELS.get(self.banner.level, self.banner.level))

    @property
    def message(self) -> str:
        return self.banner.message

    @property
    def dismissible(self) -> bool:
        return self.banner.dismissible

    @property
    def renew_link(self) -> bool:
        return self.banner.renew_link


def _shown(banner: Banner | None) -> BannerShown | None:
    return BannerShown(banner) if banner is not None else None


@dataclass(frozen=True)
class SeatDatePreview:
    """What the holders of the `seats` seats valid until `valid_until` would meet on the day:
    a manager or user (may log in? which banner?) and an admin holding such a seat (only the
    billing pages?)."""

    valid_until: date
    seats: int
    phase: Phase
    member_allowed: bool
    member_banner: BannerShown | None
    member_refusal: str
    admin_billing_only: bool


@dataclass
class Preview:
    as_of: date
    standing: Standing
    recorded: RecordedPhase | None  # what the sweep last recorded (it may lag behind)
    admin_banner: BannerShown | None
    seat_dates: list[SeatDatePreview]
    deletion_on: date | None  # an unpaid trial's deletion day
    # the unpaid trial is gone on `as_of` (its deletion day has come, `seats.phases.
    # trial_deletion_due`, the sweep's rule): nothing to show but when it would have been deleted
    deleted: bool = False
    quote: object = None  # plans.services.RenewalQuote
    quote_target: tuple[int, int] | None = None
    quote_error: str = ""
    line_groups: tuple = field(default=())

    @property
    def quote_target_text(self) -> str:
        return f"{self.quote_target[0]:04d}-{self.quote_target[1]:02d}" if self.quote_target else ""


def _decision(account, standing, dates, seat_date, *, is_admin, as_of) -> AccessDecision:
    """The `AccessDecision` `seats.access.access_decision` makes for an active member of the
    account whose seat is valid until `seat_date` (its last steps, on dates already read)."""
    phase = seat_standing_phase(seat_date, as_of, dates.policy,
                                trial_ends_on=standing.trial_ends_on, contract=dates.contract,
                                held=dates.held)
    blocked = phase == Phase.BLOCKED or standing.blocked
    details = {"phase": phase, "standing": standing, "seat_valid_until": seat_date,
               "is_admin": is_admin, "policy": dates.policy}
    if blocked and not is_admin:
        return AccessDecision(False, "blocked", blocked_message(account, standing, seat_date),
                              **details)
    return AccessDecision(True, "ok", billing_only=blocked, **details)


def account_preview(account, *, as_of: date) -> Preview:
    """The preview of `account` (a loaded `seats.Account`) on `as_of`."""
    dates = account_dates(account.pk, as_of)
    standing = standing_of(account, as_of, dates=dates)
    latest = standing.valid_until or as_of
    admin = _decision(account, standing, dates, latest, is_admin=True, as_of=as_of)
    rows = []
    for seat_date in sorted(dates.seat_dates, reverse=True)[:MAX_SEAT_DATES]:
        member = _decision(account, standing, dates, seat_date, is_admin=False, as_of=as_of)
        as_admin = _decision(account, standing, dates, seat_date, is_admin=True, as_of=as_of)
        rows.append(SeatDatePreview(
            valid_until=seat_date, seats=dates.seat_dates[seat_date], phase=member.phase,
            member_allowed=member.allowed, member_banner=_shown(banner_for(member, as_of)),
            member_refusal=member.message, admin_billing_only=as_admin.billing_only))
    preview = Preview(
        as_of=as_of, standing=standing,
        recorded=RecordedPhase.objects.filter(account=account).first(),
        admin_banner=_shown(banner_for(admin, as_of)), seat_dates=rows,
        deletion_on=deletion_date(standing, dates.policy),
    )
    if standing.trial_ends_on is not None and trial_deletion_due(standing.trial_ends_on, as_of,
                                                                dates.policy):
        preview.deleted = True
        preview.quote_error = _("the unpaid trial account would have been deleted by then.")
        return preview
    try:
        preview.quote_target = renewal_default_target(
            account=account, valid_until=standing.valid_until, as_of=as_of)
        preview.quote = renewal_quote(account=account, until=preview.quote_target, as_of=as_of)
    except DomainError as exc:
        preview.quote_error = str(exc.message)
    else:
        preview.line_groups = pricing.group_lines(preview.quote.lines)
    return preview
