"""The page shown to a login that django-axes locked out (settings.AXES_LOCKOUT_CALLABLE)."""

import math

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from billing_site import formatting


def lockout_response(request, original_response=None, credentials=None):
    """429 page for the members' login and /admin/login/ after too many wrong passwords: says
    when to try again (the cool-off, which every attempt during the lockout starts again) and
    how to regain access: the time the pause ends (now + `AXES_COOLOFF_TIME`, in the active
    language), the password-reset link, and whom to ask — the organisation's administrator on
    the members' login, the vendor's operations team on /admin/login/ (staff). Worded the same
    whether or not the address has a login, so it tells nothing about the address."""
    request.refusal_reason = "login locked out after too many wrong passwords"  # the log line
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    # when the pause ends if nothing more is tried: a time of day in the site's time zone,
    # written as the active language writes times ("3:05 p.m." / "15:05"), with the day when
    # it is not today (issues 12/13 item 5)
    now = timezone.localtime()
    until = timezone.localtime(now + settings.AXES_COOLOFF_TIME)
    staff = request.path.startswith(reverse("admin:login"))
    response = render(request, "registration/locked_out.html", {
        "minutes": minutes,
        "until_time": date_format(until, "TIME_FORMAT"),
        "until_day": formatting.day(until.date()) if until.date() != now.date() else "",
        "staff": staff,
        "login_url": reverse("admin:login") if staff else reverse("login"),
    }, status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429))
    response["Retry-After"] = str(minutes * 60)
    return response
