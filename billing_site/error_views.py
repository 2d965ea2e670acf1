"""The site's error answers (issue 13, item 7): the handlers Django calls for a 400, a 404 and a
500 (`handler400`, `handler404`, `handler500` in `billing_site.urls`) and for a refused CSRF check
(`settings.CSRF_FAILURE_VIEW`).

Every answer under /api/ is JSON in the API's error shape (`billing_site.api`: `{"detail":
"<message>", "code": "<code>"}`), in the language of Accept-Language
(`billing_site.api_language`), whatever went wrong before DRF saw the request: an address no API
view matches (a word or a negative number where an id goes), a body larger than Django accepts, a
CSRF refusal, an unexpected exception. The pages get the site's layout in the user's language.

Each 4xx handler keeps its reason on the request (`request.refusal_reason`, "<code>" or
"<code>: <detail>") for the one-line refusal log (`billing_site.log_filters`), which only sees the
response."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults

from .api_auth import CsrfFailed
from .api_language import api_language

API_PREFIX = "/api/"
logger = logging.getLogger(__name__)


def is_api_request(request) -> bool:
    """Whether `request` addresses the API (its path is /api or starts with /api/): it is
    answered in JSON."""
    return request.path_info.startswith(API_PREFIX) or request.path_info == API_PREFIX[:-1]


def api_error(request, status: int, code: str, message, *, log_detail: str = "") -> JsonResponse:
    """A JSON error `{"detail": message, "code": code}` with HTTP `status`, the message (a lazy
    or a callable translation) rendered in the API language of the request's Accept-Language,
    which the response's Content-Language names. A 4xx keeps `code` (and `log_detail`, an English
    detail for the log) as the request's refusal reason."""
    language = api_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    with translation.override(language):
        detail = str(message() if callable(message) else message)
    response = JsonResponse({"detail": detail, "code": code}, status=status)
    response["Content-Language"] = language
    if status < 500:
        request.refusal_reason = f"{code}: {log_detail}" if log_detail else code
    return response


def _bad_id(path: str) -> str | None:
    """The segment of an API `path` that stands where an id goes but is no id (a word, a negative
    or a fractional number): the path resolves once that segment is a positive number. None when
    no such segment explains the miss (the address is unknown)."""
    segments = path.split("/")
    for index, segment in enumerate(segments):
        if not segment or (segment.isascii() and segment.isdigit()):
            continue
        candidate = "/".join([*segments[:index], "1", *segments[index + 1:]])
        try:
            resolve(candidate)
        except Resolver404:
            continue
        return segment
    return None


def page_not_found(request, exception, template_name="404.html"):
    """404: JSON under /api/ (code "invalid_id" when a word or a negative number stands where an
    id goes, else "not_found"); elsewhere Django's 404 page (templates/404.html). The reason is
    kept for the log."""
    message = exception.args[0] if exception is not None and exception.args else ""
    # an unknown address carries the resolver's tried patterns (a dict): not a reason to log
    detail = message if isinstance(message, str) else "no page at this address"
    if is_api_request(request):
        bad = _bad_id(request.path_info)
        if bad is not None:
            return api_error(request, 404, "invalid_id", lambda: _(
                "“%(value)s” is not an id: ids are whole numbers from 1.") % {"value": bad[:50]},
                log_detail=bad[:50])
        return api_error(request, 404, "not_found",
                         lambda: _("There is no API endpoint at this address."), log_detail=detail)
    request.refusal_reason = f"not_found: {detail}" if detail else "not_found"
    return defaults.page_not_found(request, exception, template_name=template_name)


def _too_big_message(exception):
    if isinstance(exception, RequestDataTooBig):
        return _("The request is too large: at most %(size)s may be sent.") % {
            "size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
    if isinstance(exception, TooManyFilesSent):
        return _("The request sends too many files.")
    return _("The request sends too many fields.")


def bad_request(request, exception, template_name="400.html"):
    """400 (a SuspiciousOperation or BadRequest Django raised while reading the request). A body
    larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` is a 413 (code "request_too_large"), too many fields
    or files a 400 ("too_many_fields"), anything else a 400 ("bad_request"). JSON under /api/,
    else the page templates/400.html in the site's layout with the same message."""
    too_big = isinstance(exception, RequestDataTooBig)
    if too_big or isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        status, code = (413, "request_too_large") if too_big else (400, "too_many_fields")

        def message():
            return _too_big_message(exception)
    else:
        status, code = 400, "bad_request"

        def message():
            return _("The request could not be read. Reload the page and try again.")

    if is_api_request(request):
        return api_error(request, status, code, message)
    request.refusal_reason = code
    try:
        return render(request, template_name, {"message": message()}, status=status)
    except Exception:  # a request refused before the middleware ran (an unknown Host …) may lack
        # what the layout reads: still a 400 with the message, never a 500
        logger.exception("The 400 page could not be rendered; answering without the layout")
        return HttpResponse(message(), status=status, content_type="text/plain; charset=utf-8")


def server_error(request, template_name="500.html"):
    """500: JSON under /api/ (code "server_error"), else Django's page (templates/500.html, which
    needs no context: the error may lie in what a richer page would need)."""
    if is_api_request(request):
        return api_error(request, 500, "server_error", lambda: _(
            "Something went wrong on our side; the error has been logged. Please try again in a "
            "moment."))
    return defaults.server_error(request, template_name=template_name)


def _back_url(request) -> str:
    """Where the CSRF page's link leads: the page the form was on (the Referer) when it is on this
    site, else the start page."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return reverse("home")


def csrf_failure(request, reason=""):
    """`settings.CSRF_FAILURE_VIEW`: a POST whose CSRF check failed. Under /api/ a JSON 403 (code
    "csrf"); elsewhere a 403 page in the site's layout that says, in the user's language, that
    cookies are needed (no CSRF cookie came) or that the form expired, with a link back to the
    page the form was on. `reason` is Django's English reason, kept for the log only."""
    if is_api_request(request):
        return api_error(request, 403, "csrf", CsrfFailed.default_detail, log_detail=reason)
    request.refusal_reason = f"csrf: {reason}" if reason else "csrf"
    return render(request, "csrf_failure.html", {
        "no_cookie": reason == REASON_NO_CSRF_COOKIE, "back_url": _back_url(request),
    }, status=403)
