"""The one place where a domain error raised by a non-DRF view becomes an answer.

DRF views go through `citymgmt.api.exception_handler`; everything else (map feeds, consoles'
JSON, evaluation pages, webhooks) raises `DomainError` and lands here: the error JSON for
clients that did not ask for a page, a short page in the user's language for a browser that did.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape

from .errors import DomainError, Unavailable, error_body

logger = logging.getLogger(__name__)
# Seconds a client should wait before repeating a request refused because the database is down.
RETRY_AFTER_S = 5


def wants_page(request) -> bool:
    """A browser navigating to a page says text/html; fetch(), curl and API clients do not."""
    return "text/html" in request.headers.get("Accept", "") and not request.path.startswith("/api/")


def json_error(exc: DomainError) -> JsonResponse:
    response = JsonResponse(error_body(exc), status=exc.status, json_dumps_params={"ensure_ascii": False})
    if isinstance(exc, Unavailable):
        response["Retry-After"] = str(RETRY_AFTER_S)
    return response


def database_down(exception) -> bool:
    """A connection that failed or broke (PostgreSQL restarting, the pool timing out), as opposed
    to a query the database refused (IntegrityError, DataError …): that is a bug, not an outage."""
    return isinstance(exception, OperationalError | InterfaceError)


def error_response(request, exc: DomainError):
    if isinstance(exc, Unavailable) and wants_page(request):
        # No template context: its processors read the user and the menu from the database.
        page = f"<!doctype html><meta charset=utf-8><title>{escape(exc.message)}</title><p>{escape(exc.message)}</p>"
        return HttpResponse(page, status=exc.status, headers={"Retry-After": str(RETRY_AFTER_S)})
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
        if database_down(exception):
            # Nothing was saved (the transaction never committed): a clean 503 the client may
            # repeat (with its Idempotency-Key), and the next request gets a fresh connection.
            logger.warning("database unavailable: %s %s: %s", request.method, request.path, exception)
            return error_response(request, Unavailable())
        return None
