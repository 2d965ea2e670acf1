"""API plumbing shared by every app: domain errors become clear JSON errors (`exception_handler`),
the documented error shape (`ErrorOutputSerializer`, `error_responses`) and the staff-only
business date (`business_date`). The language of the answers is negotiated in
`billing_site.api_language`."""

import math
from collections.abc import Mapping

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .dates import today
from .errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.field:
            body[exc.field] = [str(exc.message)]
        return Response(body, status=exc.status)
    if isinstance(exc, ObjectDoesNotExist):
        exc = NotFound()
    if isinstance(exc, Throttled):
        # DRF's own wording is not in our catalogue; the wait is also in Retry-After
        wait = max(1, math.ceil(exc.wait or 1))
        django_request = getattr(context.get("request"), "_request", None)
        if django_request is not None:  # the one-line refusal in the log says why
            django_request.refusal_reason = f"throttled, retry after {wait} s"
        response = drf_exception_handler(Throttled(wait=wait), context)
        response.data = {"detail": ngettext(
            "Too many requests. Try again in %(seconds)d second.",
            "Too many requests. Try again in %(seconds)d seconds.", wait) % {"seconds": wait},
            "code": "throttled"}
        return response
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        if isinstance(response.data, dict) and "detail" not in response.data:
            # translated like the field errors, so that the body is in one language
            response.data = {"detail": _("Invalid input."), "code": "invalid",
                             **response.data}
    return response


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
    429: OpenApiResponse(ErrorOutputSerializer,
                         description="Too many requests (see the Retry-After header)."),
}


def error_responses(*codes):
    """The OpenAPI responses of the given error status codes (400, 401, 403, 404), plus 429:
    every API operation is throttled (settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])."""
    return {code: ERRORS[code] for code in (*codes, 429)}


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
