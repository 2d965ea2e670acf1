"""API plumbing shared by every app: domain errors become clear JSON errors (`exception_handler`),
the documented error shape (`ErrorOutputSerializer`, `error_responses`) and the staff-only
business date (`business_date`). The language of the answers is negotiated in
`billing_site.api_language`."""

import json
from collections.abc import Mapping

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular import authentication
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .api_auth import CsrfFailed
from .choices import accepted_values
from .dates import today
from .errors import DomainError


def exception_handler(exc, context):
    """DRF's `EXCEPTION_HANDLER`: a `DomainError` becomes `{"detail", "code"}` (and the message
    under its field) with the error's status; a missing object a 404; DRF's own exceptions keep
    DRF's answer, a 400 without a `detail` gets a translated one with code "invalid", and a body
    DRF's parser could not read is a translated 400 with code "malformed_json" (or
    "malformed_body" for a form body); a parse error and a CSRF refusal carry their code. The
    error's code is kept on the request as the reason of the one-line refusal log
    (`billing_site.log_filters`)."""
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.field:
            body[exc.field] = [str(exc.message)]
        _keep_reason(context, exc.code)
        return Response(body, status=exc.status)
    if isinstance(exc, ObjectDoesNotExist):
        exc = NotFound()
    if isinstance(exc, ParseError) and exc.get_codes() == ParseError.default_code:
        exc = _unreadable_body(exc)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, APIException):
        codes = exc.get_codes()
        _keep_reason(context, codes if isinstance(codes, str) else "invalid")
        if isinstance(exc, (ParseError, CsrfFailed)) and isinstance(codes, str):
            response.data["code"] = codes  # an unreadable body, a CSRF refusal: coded too
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        if isinstance(response.data, dict) and "detail" not in response.data:
            # translated like the field errors, so that the body is in one language
            response.data = {"detail": _("Invalid input."), "code": "invalid",
                             **response.data}
    return response


def _keep_reason(context, code):
    request = getattr(context.get("request"), "_request", None)
    if request is not None and not getattr(request, "refusal_reason", ""):
        request.refusal_reason = code


class MalformedBody(ParseError):
    """A request body DRF's parser could not read, with a translated message (DRF's is English
    with the parser's own words: "JSON parse error - Expecting value: line 1 column 1")."""


def _unreadable_body(exc):
    """`MalformedBody` for DRF's `ParseError`: code "malformed_json" for a JSON body (naming
    the line and column of the fault when the JSON decoder gave them), "malformed_body" for
    any other."""
    cause = exc.__context__
    if str(exc.detail).startswith("JSON parse error"):
        if isinstance(cause, json.JSONDecodeError):
            message = _("The request body is not valid JSON (error at line %(line)d, column "
                        "%(column)d).") % {"line": cause.lineno, "column": cause.colno}
        else:
            message = _("The request body is not valid JSON.")
        return MalformedBody(message, code="malformed_json")
    return MalformedBody(_("The request body could not be read."), code="malformed_body")


class SessionScheme(authentication.SessionScheme):
    """The schema documents the site's session authentication (`billing_site.api_auth`) as
    drf-spectacular documents DRF's: the session cookie ("cookieAuth")."""

    target_class = "billing_site.api_auth.SessionAuthentication"


class ChoiceField(serializers.ChoiceField):
    """DRF's ChoiceField whose refusal names the accepted values, each with its display name in
    the API's language (`billing_site.choices.accepted_values`): "“boss” is not one of the
    accepted values: admin (administrator), manager, user." DRF's own says only "“boss” is not a
    valid choice." Use it for every choice an API client sends."""

    default_error_messages = {
        "invalid_choice": gettext_lazy("“{input}” is not one of the accepted values: {accepted}."),
    }

    def fail(self, key, **kwargs):
        if key == "invalid_choice":
            kwargs["input"] = str(kwargs.get("input", ""))[:50]  # never echo a whole body back
            kwargs["accepted"] = accepted_values(self.choices.items())
        super().fail(key, **kwargs)


@extend_schema_serializer(component_name="Error")
class ErrorOutputSerializer(serializers.Serializer):
    """A refused request. A 400 also carries `{"<field>": ["message"]}` for the input field at
    fault."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


ERRORS = {
    400: OpenApiResponse(ErrorOutputSerializer, description="Invalid input or refused operation."),
    401: OpenApiResponse(ErrorOutputSerializer, description="Not authenticated."),
    403: OpenApiResponse(ErrorOutputSerializer, description="Access refused or wrong role."),
    404: OpenApiResponse(ErrorOutputSerializer, description="No such account, seat or member."),
}


def error_responses(*codes):
    """The OpenAPI responses of the given error status codes (400, 401, 403, 404)."""
    return {code: ERRORS[code] for code in codes}


AS_OF_YEARS = 5  # as the ops preview: "within 5 years of today"


def as_of_allowed(request, raw) -> None:
    """Refuse `as_of` in the raw query or body `raw` of a user who is not staff, before the
    value itself is parsed: such a user is told the parameter is not theirs (DomainError code
    "staff_only", field "as_of"), whatever they wrote in it."""
    if isinstance(raw, Mapping) and "as_of" in raw and not request.user.is_staff:
        raise DomainError(_("Only staff may preview another date."), code="staff_only",
                          field="as_of")


def business_date(request, data):
    """The business date an API operation runs for: today (Europe/Warsaw), or the `as_of` in
    `data` when a staff user asked for another date; anyone else passing `as_of` is refused
    (DomainError, field "as_of"), so a date in a request never silently means something else.
    A staff date more than 5 years from today is refused too (code "as_of_range")."""
    as_of = data.get("as_of")
    if as_of is None:
        return today()
    as_of_allowed(request, data)
    now, span = today(), relativedelta(years=AS_OF_YEARS)
    if not now - span <= as_of <= now + span:
        raise DomainError(_("Pick a date within 5 years of today."), code="as_of_range",
                          field="as_of")
    return as_of
