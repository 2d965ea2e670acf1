"""The web while the database is unreachable (issue 13, item 13): a 503 with Retry-After and a
page that needs no database — a static template, or JSON under /api/ — instead of a traceback.

Two ways in, because Django turns an exception into a response at every middleware:
- `DatabaseUnavailableMiddleware.process_exception` answers for an error raised by a view;
- `server_error` (the site's `handler500`) answers for one raised by a middleware (the session
  or the member lookup, which run before any view), and is Django's 500 page otherwise.

Recovery needs nothing from here: `CONN_HEALTH_CHECKS` (settings) replaces a dropped connection
at the start of the next request, and a request while the server is down simply connects again.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from . import error_views

logger = logging.getLogger(__name__)

# psycopg's "connection refused / terminated / server closed the connection" and Django's
# "connection already closed" (InterfaceError)
DATABASE_DOWN = (OperationalError, InterfaceError)


def database_unavailable_response(request) -> HttpResponse:
    """The 503 answer: JSON {"detail", "code": "database_unavailable"} under /api/ (the API's
    error shape and language, `error_views.api_error`), else the static page `503.html`
    (rendered without a request: no context processor may query the database). Retry-After:
    `settings.DATABASE_DOWN_RETRY_AFTER` seconds."""
    retry_after = settings.DATABASE_DOWN_RETRY_AFTER
    if error_views.is_api_request(request):
        response = error_views.api_error(request, 503, "database_unavailable", lambda: _(
            "The service is temporarily unavailable: its database cannot be reached. Try again "
            "in a minute."))
    else:
        response = HttpResponse(render_to_string("503.html", {"retry_after": retry_after}),
                                status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """First in MIDDLEWARE: a view that fails because the database is unreachable gets the 503
    answer (one warning line in the log, no traceback page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_DOWN):
            return None
        logger.warning("Database unavailable for %s %s: %s", request.method, request.path,
                       str(exception).splitlines()[0] if str(exception) else type(exception))
        return database_unavailable_response(request)


def server_error(request, template_name="500.html"):
    """handler500: the 503 answer when the error being handled is an unreachable database (it
    was raised by a middleware, before any view), the site's 500 answer otherwise
    (`error_views.server_error`: JSON under /api/, the static page elsewhere)."""
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return database_unavailable_response(request)
    return error_views.server_error(request, template_name=template_name)
