"""Shared pieces of the OpenAPI description: every error answer has the same documented body."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from .serializers import ErrorSerializer

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


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string per report (≤ 100 characters). A retry with the same key returns the first "
    "case (200); the same key with a different body is 409.",
)
