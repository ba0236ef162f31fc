"""The one place where a domain error raised by a non-DRF view becomes an answer.

DRF views go through `citymgmt.api.exception_handler`; everything else (map feeds, consoles'
JSON, evaluation pages, webhooks) raises `DomainError` and lands here: the error JSON for
clients that did not ask for a page, a short page in the user's language for a browser that did.
"""

from django.http import JsonResponse
from django.shortcuts import render

from .errors import DomainError, error_body


def wants_page(request) -> bool:
    """A browser navigating to a page says text/html; fetch(), curl and API clients do not."""
    return "text/html" in request.headers.get("Accept", "") and not request.path.startswith("/api/")


def json_error(exc: DomainError) -> JsonResponse:
    return JsonResponse(error_body(exc), status=exc.status, json_dumps_params={"ensure_ascii": False})


def error_response(request, exc: DomainError):
    if wants_page(request):
        return render(request, "error.html", {"error": exc}, status=exc.status)
    return json_error(exc)


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return error_response(request, exception)
        return None
