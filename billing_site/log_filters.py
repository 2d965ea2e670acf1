"""Logging filters of the site (wired in `settings.LOGGING`)."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404

# the reason of a refusal that carries none of its own, by status
DEFAULT_REASONS = {403: "permission_denied", 404: "not_found", 405: "method_not_allowed"}


def _exception_reason(exc) -> str:
    """"<code>: <message>" of a Django exception a view raised (a PermissionDenied, an Http404);
    the message alone for any other 4xx exception, "" when there is neither."""
    message = " ".join(str(arg) for arg in exc.args if isinstance(arg, str))
    code = ("permission_denied" if isinstance(exc, PermissionDenied)
            else "not_found" if isinstance(exc, Http404) else "")
    if code:
        return f"{code}: {message}" if message else code
    return message


class OneLineRefusals(logging.Filter):
    """Django logs each refusal in its own way: a 403 with the PermissionDenied's full traceback,
    a 404 as "Not Found: <path>", a 405 as "Method Not Allowed (GET): <path>", a CSRF failure as
    "Forbidden (CSRF token missing.): <path>" (logger django.security.csrf), an oversized request
    with a traceback (django.security.RequestDataTooBig). A refusal (any 4xx) is not an error:
    rewrite each to one line that says who was refused what and why — status, method, path, user
    id ("-" when anonymous) and the reason — without the traceback.

    The reason is the one the answer kept on the request (`request.refusal_reason`: the API's
    error code, set by `billing_site.api.exception_handler`; the handlers of
    `billing_site.error_views` set "not_found: …", "csrf: …", "request_too_large" …), else the
    exception's ("permission_denied: <message>"), else the status's ("not_found",
    "method_not_allowed", "permission_denied"), else "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        if not isinstance(status, int) or not 400 <= status < 500 or request is None:
            return True
        if getattr(record, "refusal_rewritten", False):  # the filter met this record before
            return True  # (attached at more than one level): its reason is already written
        reason = getattr(request, "refusal_reason", "")
        if not reason and record.exc_info and record.exc_info[1] is not None:
            reason = _exception_reason(record.exc_info[1])
        reason = reason or DEFAULT_REASONS.get(status, "-")
        user_id = "-"
        try:  # a lazy user may need the database: logging must never raise (filters are not
            # guarded by the handler's error handling)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                user_id = user.pk
        except Exception:  # noqa: BLE001
            user_id = "?"
        record.msg = "Refused %s %s %s user=%s reason=%s"
        record.args = (status, request.method, request.path, user_id,
                       " ".join(str(reason).split()))  # one line, whatever the message holds
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        record.refusal_rewritten = True
        return True
