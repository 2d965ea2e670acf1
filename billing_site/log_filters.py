"""Logging filters of the site (wired in `settings.LOGGING`)."""

import logging

REFUSALS = (403, 404, 429)


class OneLineRefusals(logging.Filter):
    """`django.request` logs each 403 with the PermissionDenied's full traceback, and each 404 as
    "Not Found: <path>". A refusal is not an error: rewrite both to one line that says who was
    refused what and why — status, method, path, user id ("-" when anonymous) and the reason
    (the exception's message; for a 404 the one `billing_site.views.page_not_found` kept;
    "-" when the view gave none) — without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        if status not in REFUSALS or request is None:
            return True
        reason = ""
        if record.exc_info and record.exc_info[1] is not None:
            reason = str(record.exc_info[1])
        reason = reason or getattr(request, "refusal_reason", "") or "-"
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
        return True
