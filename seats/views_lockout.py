"""The page shown to a login that django-axes locked out (settings.AXES_LOCKOUT_CALLABLE)."""

import math

from django.conf import settings
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    """429 page for the members' login and /admin/login/ after too many wrong passwords: says
    when to try again (the cool-off, which every attempt during the lockout starts again) and
    how to regain access. Worded the same whether or not the address has a login, so it tells
    nothing about the address."""
    request.refusal_reason = "login locked out after too many wrong passwords"  # the log line
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    response = render(request, "registration/locked_out.html", {"minutes": minutes},
                      status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429))
    response["Retry-After"] = str(minutes * 60)
    return response
