"""Calendar helpers shared by all apps: business dates are dates in Europe/Warsaw (SPEC §2)."""

import calendar
from datetime import date

from django.utils import timezone


def today():
    """The current business date. Only views and job entry points call this; services take
    `as_of`."""
    return timezone.localdate()


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
