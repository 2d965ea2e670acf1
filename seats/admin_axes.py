"""django-axes' login-attempt lists in the admin, trimmed to fit a 1280 px screen (issues 12/13 item
5): axes' own admin classes show the full user agent and path in every row, which pushed the
columns that matter (who, from where, locked or not) off-screen. The rows are the same; the user
agent and the path stay on each row's page and in the search and filters.

Registered from `seats.admin` (seats is listed after axes in INSTALLED_APPS, so axes' classes
are registered by then and are replaced here)."""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


@admin.display(description=_("login and IP address"), ordering="username")
def who(obj) -> str:
    """The address typed and, below it, the IP it came from: one column instead of two (the
    lockout is per address and IP; both must be seen, side by side they did not fit)."""
    return format_html('{}<br><span class="quiet">{}</span>', obj.username or "—",
                       obj.ip_address or "—")


@admin.display(description=_("failures and status"), ordering="failures_since_start")
def failures(obj) -> str:
    """How many failures and, below, whether the address is locked out: one column (in Polish the
    four columns did not fit 1280 px beside the filters)."""
    left = settings.AXES_FAILURE_LIMIT - obj.failures_since_start
    state = (ngettext("%(count)d attempt left", "%(count)d attempts left", left) % {"count": left}
             if left > 0 else gettext("locked out"))
    return format_html('{}<br><span class="quiet">{}</span>', obj.failures_since_start, state)


class TrimmedAccessAttemptAdmin(AccessAttemptAdmin):
    """Who is (about to be) locked out: the address and IP, when, how many failures, status."""

    list_display = [who, "attempt_time", failures]


class TrimmedAccessFailureLogAdmin(AccessFailureLogAdmin):
    list_display = [who, "attempt_time", "locked_out"]


class TrimmedAccessLogAdmin(AccessLogAdmin):
    list_display = [who, "attempt_time", "logout_time"]


def register() -> None:
    """Replace axes' registrations (if any: `AXES_ENABLE_ADMIN`) by the trimmed ones."""
    for model, model_admin in ((AccessAttempt, TrimmedAccessAttemptAdmin),
                               (AccessFailureLog, TrimmedAccessFailureLogAdmin),
                               (AccessLog, TrimmedAccessLogAdmin)):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, model_admin)


register()
