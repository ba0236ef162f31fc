"""Shared pieces of the handset API's OpenAPI description (the error answers are `citymgmt.api.errors`)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from citymgmt.api import errors

__all__ = ["CASE_QUERY_PARAMETERS", "IDEMPOTENCY_KEY", "errors"]

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string per report (≤ 100 characters). A retry with the same key returns the first "
    "case (200); the same key with a different body is 409.",
)
ACTION_IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string per action (≤ 100 characters). A retry of an action that was taken (same "
    "person, same action, same key) returns the case and changes nothing, even though the case's version moved.",
)
LEAVE_IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string per leave form (≤ 100 characters). A retry with the same key returns the first "
    "request (200); the same key with a different body is 409.",
)


def _case_query_parameters() -> list[OpenApiParameter]:
    """The case query's filters (dispatch.search.CaseQuery), documented for GET /api/v1/cases."""
    import django_filters

    from dispatch.search import CaseQuery

    params = []
    for name, f in CaseQuery.base_filters.items():
        if name == "state":  # already in the list's own query serializer
            continue
        description = str(f.label or name)
        if isinstance(f, django_filters.ModelChoiceFilter):  # a code; its choices are data
            params.append(OpenApiParameter(name, str, required=False, description=description))
        elif isinstance(f, django_filters.MultipleChoiceFilter):
            choices = [c for c, _label in f.field.choices if c != ""]
            params.append(OpenApiParameter(name, str, many=True, enum=choices, required=False, description=description))
        elif isinstance(f, django_filters.ChoiceFilter):
            choices = [c for c, _label in f.field.choices if c != ""]
            params.append(OpenApiParameter(name, str, enum=choices, required=False, description=description))
        elif isinstance(f, django_filters.BooleanFilter):
            params.append(OpenApiParameter(name, bool, required=False, description=description))
        elif isinstance(f, django_filters.DateFilter):
            params.append(OpenApiParameter(name, OpenApiTypes.DATE, required=False, description=description))
        else:
            params.append(OpenApiParameter(name, str, required=False, description=description))
    return params


CASE_QUERY_PARAMETERS = _case_query_parameters()
