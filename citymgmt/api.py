"""The one place where failures become HTTP answers for the REST API.

Domain errors (citymgmt.errors) and DRF's own exceptions all leave as
`{"error": {"code", "message", "fields"}}` with the matching status. Nothing becomes a 500 that
a client's input can cause.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError, InvalidData, error_body

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


def api_exception_handler(exc, context):
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
    body = {"error": {"code": code, "message": message, "fields": _fields(detail)}}
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = "Token"
    response.data = body
    return response


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
    413: "a photo over 10 MB",
    415: "a file that is not a JPEG, PNG or WebP image",
    429: "too many attempts",
}


def errors(*statuses: int) -> dict:
    return {s: OpenApiResponse(ErrorSerializer, description=_WHAT[s]) for s in statuses}
