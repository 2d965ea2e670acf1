"""API plumbing shared by every app: domain errors become clear JSON errors (`exception_handler`),
the documented error shape (`ErrorOutputSerializer`, `error_responses`) and the staff-only
business date (`business_date`). The language of the answers is negotiated in
`billing_site.api_language`."""

from collections.abc import Mapping

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .dates import as_of_out_of_window, today
from .errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.field:
            body[exc.field] = [str(exc.message)]
        return Response(body, status=exc.status)
    if isinstance(exc, ObjectDoesNotExist):
        exc = NotFound()
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
    400: OpenApiResponse(ErrorOutputSerializer, description="Invalid input."),
    401: OpenApiResponse(ErrorOutputSerializer, description="Not authenticated."),
    403: OpenApiResponse(ErrorOutputSerializer, description="Access refused or wrong role."),
    404: OpenApiResponse(ErrorOutputSerializer, description="No such account, seat or member."),
    409: OpenApiResponse(ErrorOutputSerializer,
                         description="Refused by the current state (an occupied seat, the last "
                                     "admin, a package changed too recently, an order already "
                                     "paid, …); the request itself was well formed."),
}


def error_responses(*codes):
    """The OpenAPI responses of the given error status codes (400, 401, 403, 404, 409)."""
    return {code: ERRORS[code] for code in codes}


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
    A staff date outside `billing_site.dates.as_of_window` (settings.AS_OF_WINDOW_YEARS either
    side of today) is refused too (code "as_of_range")."""
    as_of = data.get("as_of")
    if as_of is None:
        return today()
    as_of_allowed(request, data)
    message = as_of_out_of_window(as_of, today())
    if message:
        raise DomainError(message, code="as_of_range", field="as_of")
    return as_of
