"""API plumbing shared by every app: domain errors become clear JSON errors (`exception_handler`),
the documented error shape (`ErrorOutputSerializer`, `error_responses`) and the staff-only
business date (`business_date`). The language of the answers is negotiated in
`billing_site.api_language`."""

import json
import math
from collections.abc import Mapping

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular import authentication
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import (
    APIException,
    MethodNotAllowed,
    NotAcceptable,
    NotAuthenticated,
    NotFound,
    ParseError,
    PermissionDenied,
    Throttled,
    UnsupportedMediaType,
)
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .choices import accepted_values
from .dates import as_of_out_of_window, today
from .errors import DomainError


def exception_handler(exc, context):
    """DRF's `EXCEPTION_HANDLER`: every refusal is `{"detail": <message>, "code": <code>}` in
    the API's language (`billing_site.api_language`). A `DomainError` carries its own code and
    status (and the message under its field); a missing object is a 404. DRF's own refusals get
    their stable DRF code — "not_authenticated" / "authentication_failed" (401),
    "permission_denied" or the permission's own code (403), "not_found" (404),
    "method_not_allowed" (405), "not_acceptable" (406), "unsupported_media_type" (415),
    "throttled" (429, with Retry-After) — and, where DRF's message is its terse default, the
    project's translated wording (`_reworded`). A 400 without a `detail` gets a translated one
    with code "invalid" (the messages stay under their fields); a body DRF's parser could not
    read is a translated 400 "malformed_json" (or "malformed_body" for a form body). The code is
    kept on the request as the reason of the one-line refusal log (`billing_site.log_filters`).
    Issues 12/13."""
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.field:
            body[exc.field] = [str(exc.message)]
        _keep_reason(context, exc.code)
        return Response(body, status=exc.status)
    if isinstance(exc, (ObjectDoesNotExist, Http404)):
        exc = NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied()
    if isinstance(exc, ParseError) and exc.get_codes() == ParseError.default_code:
        exc = _unreadable_body(exc)
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
    exc = _reworded(exc, context)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, APIException):
        codes = exc.get_codes()
        _keep_reason(context, codes if isinstance(codes, str) else "invalid")
        if isinstance(codes, str) and isinstance(response.data, dict):
            # every refusal DRF answers itself (401, 403, 404, 405, 406, 415, an unreadable
            # body, a CSRF refusal) carries its stable code, like the project's own errors
            response.data.setdefault("code", codes)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        if isinstance(response.data, dict) and "detail" not in response.data:
            # translated like the field errors, so that the body is in one language
            response.data = {"detail": _("Invalid input."), "code": "invalid",
                             **response.data}
    return response


def _default_messages():
    """The project's wording (and catalogue) for DRF's own refusals, by exception class: DRF's
    English messages are terse ("Not found.") and some of its Polish ones clumsy. Built when
    called, so that they are in the language of the request."""
    return {
        NotAuthenticated: _("Authentication is needed: send an API token in the Authorization "
                            "header (“Token <key>”) or log in."),
        PermissionDenied: _("You may not do this."),
        NotFound: _("Not found: there is no such object, or it is not visible to you."),
        NotAcceptable: _("The API answers in JSON only: accept application/json."),
    }


def _reworded(exc, context):
    """`exc` with the project's translated message when it is one of DRF's refusals still
    carrying DRF's default message (a message of our own, e.g. a permission's, is kept); the
    code stays DRF's stable one (not_authenticated, permission_denied, not_found,
    method_not_allowed, not_acceptable, unsupported_media_type)."""
    if not isinstance(exc, APIException) or not isinstance(exc.detail, str):
        return exc
    if str(exc.detail) != str(type(exc).default_detail) and not isinstance(
            exc, (MethodNotAllowed, UnsupportedMediaType)):
        return exc
    messages = _default_messages()
    request = context.get("request")
    if isinstance(exc, MethodNotAllowed):
        view = context.get("view")
        allowed = ", ".join(m for m in getattr(view, "allowed_methods", [])
                            if m not in {"OPTIONS", "HEAD"})
        message = _("The method %(method)s is not allowed at this address; allowed: "
                    "%(allowed)s.") % {"method": getattr(request, "method", "")[:20],
                                       "allowed": allowed}
        return MethodNotAllowed(getattr(request, "method", ""), detail=message)
    if isinstance(exc, UnsupportedMediaType):
        media_type = (getattr(request, "content_type", "") or "").split(";")[0][:100]
        return UnsupportedMediaType(media_type, detail=_(
            "The request body's content type “%(type)s” is not accepted: send "
            "application/json.") % {"type": media_type})
    for kind, message in messages.items():
        if type(exc) is kind:
            return kind(message)
    return exc


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


MAX_UNKNOWN_FIELDS = 20  # named in one answer; a body of a thousand typos gets the first ones


class InputSerializer(serializers.Serializer):
    """The base of every API input (request body) serializer: a key the operation does not take
    is refused (400, the message under that key: "“cout” is not a field of this request; it
    takes: count."), so a typo never silently falls back to a default; nested input serializers
    check their own keys the same way. Reported together with every other field error of the
    body. The schema states it (`additionalProperties: false`, see
    `strict_request_bodies`)."""

    def to_internal_value(self, data):
        errors = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors, value = dict(exc.detail), None
        if isinstance(data, Mapping):
            errors.update(self._unknown_fields(data))
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def _unknown_fields(self, data) -> dict:
        """{key: [message]} for each key of `data` (at most MAX_UNKNOWN_FIELDS) that names no
        writable field."""
        known = [name for name, field in self.fields.items() if not field.read_only]
        unknown = [key for key in data if key not in known][:MAX_UNKNOWN_FIELDS]
        accepted = ", ".join(known) or _("nothing")
        return {str(key): [_("“%(field)s” is not a field of this request; it takes: "
                             "%(accepted)s.") % {"field": str(key)[:50], "accepted": accepted}]
                for key in unknown}


class NoInput(InputSerializer):
    """The body of an operation that takes none: any key in it is refused as unknown (an empty
    body or `{}` is fine)."""


def no_input(request) -> None:
    """Refuse a body with keys sent to an operation that takes no input (400, each key named,
    see `InputSerializer`): `{"remove_seat": true}` sent to restore must not look accepted."""
    NoInput(data=request.data or {}).is_valid(raise_exception=True)


def domain_check(check):
    """A DRF field validator running `check(value)`, a service's own input rule that raises
    `DomainError` (e.g. `billing_site.money.amount_input`): its refusal becomes this field's
    error, so the serializer reports it together with every other field at fault instead of the
    service reporting one field after the validation passed."""

    def validator(value):
        try:
            check(value)
        except DomainError as exc:
            raise serializers.ValidationError(str(exc.message), code=exc.code) from exc

    return validator


def strict_request_bodies(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): the
    object schemas of request bodies say `additionalProperties: false`, as `InputSerializer`
    refuses unknown keys; a generated client then does not send them. Output components are
    left open."""
    schemas = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            content = (operation.get("requestBody") or {}).get("content", {}) if isinstance(
                operation, dict) else {}
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "")
                schema = schemas.get(ref.rsplit("/", 1)[-1]) if ref else media.get("schema")
                if schema and schema.get("type") == "object":
                    schema["additionalProperties"] = False
    return result


@extend_schema_serializer(component_name="Error")
class ErrorOutputSerializer(serializers.Serializer):
    """A refused request. A 400 also carries `{"<field>": ["message"]}` for each input field at
    fault (an unknown field included)."""

    detail = serializers.CharField(help_text="What was refused and why, in the language of "
                                             "Accept-Language (English by default).")
    code = serializers.CharField(help_text="Stable machine-readable reason, e.g. invalid, "
                                           "not_authenticated, not_found, throttled.")


ERRORS = {
    400: OpenApiResponse(ErrorOutputSerializer, description="Invalid input."),
    401: OpenApiResponse(ErrorOutputSerializer, description="Not authenticated."),
    403: OpenApiResponse(ErrorOutputSerializer, description="Access refused or wrong role."),
    404: OpenApiResponse(ErrorOutputSerializer, description="No such account, seat or member."),
    409: OpenApiResponse(ErrorOutputSerializer,
                         description="Refused by the current state (an occupied seat, the last "
                                     "admin, a package changed too recently, an order already "
                                     "paid, …); the request itself was well formed."),
    429: OpenApiResponse(ErrorOutputSerializer,
                         description="Too many requests (see the Retry-After header)."),
}


def error_responses(*codes):
    """The OpenAPI responses of the given error status codes (400, 401, 403, 404, 409), plus
    429: every API operation is throttled (settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])."""
    return {code: ERRORS[code] for code in (*codes, 429)}


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
