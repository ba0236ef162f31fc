"""The one place where failures become HTTP answers for the REST API.

Domain errors (citymgmt.errors) and DRF's own exceptions all leave as
`{"error": {"code", "message", "fields"}}` with the matching status. Nothing becomes a 500 that
a client's input can cause.
"""

import logging
from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import query
from .errors import DomainError, InvalidData, TooLarge, error_body
from .field_labels import readable

logger = logging.getLogger(__name__)

_DRF_CODES = {
    exceptions.ParseError: "invalid",
    exceptions.ValidationError: "invalid",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media",
    exceptions.Throttled: "throttled",
}


def _fields(detail) -> dict:
    if isinstance(detail, dict):
        return {k: " ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in detail.items()}
    return {}


def body_too_large() -> TooLarge:
    return TooLarge(_("请求体过大。"), fields={"body": "too_large"})


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = body_too_large()
    if isinstance(exc, DomainError):
        response = Response(error_body(exc), status=exc.status)
        if "retry_after" in exc.context:
            response["Retry-After"] = str(exc.context["retry_after"])
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django log it and answer 500
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(detail, dict):
        message = str(InvalidData.default_message)  # the fields say what; in the client's language
    elif isinstance(detail, list):
        message = " ".join(map(str, detail))
    else:
        message = str(detail)
    fields = _fields(detail)  # DRF's own messages, already in words (readable() keeps them)
    body = {"error": {"code": code, "message": message, "fields": fields, "problems": readable(fields)}}
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = "Token"
    response.data = body
    return response


# ----------------------------------------------------------------------- fields every door shares


class Rfc3339DateTimeField(serializers.DateTimeField):
    """Written in the city's zone, or in UTC where that zone's offset is not whole minutes (local
    mean time before 1901 is +08:05:43 in Shanghai): every time the API returns is valid RFC 3339."""

    def to_representation(self, value):
        text = super().to_representation(value)
        if isinstance(text, str) and isinstance(value, datetime) and not query.RFC3339.match(text):
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return text


class BoundedDateTimeField(Rfc3339DateTimeField):
    """A date-time within citymgmt.query's bounds, read as an aware moment in UTC."""

    default_error_messages = {"out_of_range": _("时间须在 {first} 与 {last} 之间。")}

    def to_internal_value(self, value):
        try:
            moment = super().to_internal_value(value)
        except OverflowError:  # DRF's own zone check on a naive 0001-01-01T00:00 (UTC is before year 1)
            self.fail("out_of_range", first=query.EARLIEST_DAY, last=query.LATEST_DAY)
        try:
            bounded = query.bounded_moment(moment)
        except (ValueError, OverflowError):
            bounded = None
        if bounded is None:
            self.fail("out_of_range", first=query.EARLIEST_DAY, last=query.LATEST_DAY)
        return bounded


# ----------------------------------------------------------------------- the documented error body


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="invalid, not_authenticated, forbidden, not_found, wrong_state, …")
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField(), help_text="field name → problem")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_WHAT = {
    400: "invalid input (fields says which)",
    401: "no valid token or session",
    403: "the role may not do this",
    404: "no such thing, or not visible to this user",
    409: "wrong state, or changed by someone else, or a reused Idempotency-Key",
    413: "a photo over 10 MB or 50 megapixels, or a request body over the limit",
    415: "a file that is not a whole JPEG, PNG or WebP image (fields names it: photos.<i>)",
    429: "too many attempts",
}


def errors(*statuses: int) -> dict:
    return {s: OpenApiResponse(ErrorSerializer, description=_WHAT[s]) for s in statuses}
