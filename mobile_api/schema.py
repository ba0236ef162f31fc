"""Shared pieces of the handset API's OpenAPI description (the error answers are `citymgmt.api.errors`)."""

from drf_spectacular.utils import OpenApiParameter

from citymgmt.api import errors

__all__ = ["IDEMPOTENCY_KEY", "errors"]

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string per report (≤ 100 characters). A retry with the same key returns the first "
    "case (200); the same key with a different body is 409.",
)
