"""Calendar helpers shared by all apps: business dates are dates in Europe/Warsaw (SPEC §2)."""

import calendar
from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .formatting import day as long_day


def today():
    """The current business date. Only views and job entry points call this; services take
    `as_of`."""
    return timezone.localdate()


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def as_of_window(now: date) -> tuple[date, date]:
    """The first and last business date staff may act "as of" (the API's `as_of`, the ops
    preview, a job's Run now): `settings.AS_OF_WINDOW_YEARS` years either side of `now`,
    inclusive. One rule for every input of such a date (issue 13: year 1 made a real order)."""
    span = relativedelta(years=settings.AS_OF_WINDOW_YEARS)
    return now - span, now + span


def as_of_out_of_window(day: date, now: date):
    """None when `day` lies in `as_of_window(now)`; else the message to show, naming the
    window's years, e.g. "Pick a date within 5 years of today." (translated)."""
    first, last = as_of_window(now)
    if first <= day <= last:
        return None
    years = settings.AS_OF_WINDOW_YEARS
    return ngettext("Pick a date within %(years)d year of today.",
                    "Pick a date within %(years)d years of today.", years) % {"years": years}


def schedule_window(now: date) -> tuple[date, date]:
    """The first and last day a change may be scheduled for ("effective" dates: suspending or
    deleting a member later): from `now` to `settings.SCHEDULE_WINDOW_DAYS` days after it,
    inclusive. A date far ahead (2999-01-01) is a typo, not a plan."""
    return now, now + relativedelta(days=settings.SCHEDULE_WINDOW_DAYS)


def schedule_out_of_window(day: date, now: date):
    """None when `day` lies in `schedule_window(now)`; else the message naming the allowed range
    in the active language's date format, e.g. "Pick a date from Nov. 16, 2026 to Nov. 16,
    2027." (translated)."""
    first, last = schedule_window(now)
    if first <= day <= last:
        return None
    return _("Pick a date from %(first)s to %(last)s.") % {"first": long_day(first),
                                                           "last": long_day(last)}


def past_out_of_window(day: date, now: date):
    """None when `day` is not after `now` and lies within `settings.AS_OF_WINDOW_YEARS` years
    before it (a day something already happened: a transfer received); else the message naming
    the allowed range, e.g. "Pick a date from Nov. 16, 2021 to Nov. 16, 2026." (translated)."""
    first = as_of_window(now)[0]
    if first <= day <= now:
        return None
    return _("Pick a date from %(first)s to %(last)s.") % {"first": long_day(first),
                                                           "last": long_day(now)}
