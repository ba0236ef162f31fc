"""The one place where a domain error raised by a non-DRF view becomes an answer.

DRF views go through `citymgmt.api.exception_handler`; everything else (map feeds, consoles'
JSON, evaluation pages, webhooks) raises `DomainError` and lands here: the error JSON for
clients that did not ask for a page, a short page in the user's language for a browser that did.

And NUL bytes are refused before any view sees them. PostgreSQL refuses NUL (\\x00) in text and
SQLite stores it (pitfalls.md): a NUL in a path segment, a query parameter or a form field would
answer 500 on PostgreSQL only, wherever it reaches a query. One check covers every door: 400 with
the error JSON for JSON endpoints (and clients that ask for no page), the error page for browsers.
JSON bodies are the serializers' business (DRF's CharField refuses NUL). /hotline/ and /open311/ are left alone:
Twilio signs every parameter and GeoReport answers in XML or JSON: their views decide there.
"""

import logging
import re

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import gettext as _

from .errors import DomainError, InvalidData, Unavailable, error_body
from .field_labels import readable

logger = logging.getLogger(__name__)
# Seconds a client should wait before repeating a request refused because the database is down.
RETRY_AFTER_S = 5

NUL = "\x00"
# Each answers in its own format (TwiML, GeoReport XML/JSON); the hotline's pages (回访, recordings) do not.
NUL_SKIPPED = ("/hotline/twilio/", "/open311/")
# Endpoints answering JSON: the APIs, the map feeds, and the consoles' data URLs (their pages end in "/").
JSON_PATHS = re.compile(r"^/(api/|maps/api/|console/.*[^/]$)", re.DOTALL)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


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
        return render(request, "error.html", {"error": exc, "problems": readable(exc.fields)}, status=exc.status)
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


def nul_field(request) -> str | None:
    """Where the request carries a NUL byte: "path", "query.<name>", "<form field>", or None."""
    if NUL in request.path:
        return "path"
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in v for v in values):
            return f"query.{name.replace(NUL, '?')[:50]}"
    if (
        request.method == "POST"
        and not request.path.startswith("/api/")  # DRF reads API bodies itself, and checks them
        and request.content_type in FORM_TYPES
    ):
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in v for v in values):
                return name.replace(NUL, "?")[:50]
    return None


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(NUL_SKIPPED):
            field = nul_field(request)
            if field is not None:
                message = _("请求中含有不允许的空字符（NUL）：%(field)s") % {"field": field}
                exc = InvalidData(message, fields={field: "nul"})
                return json_error(exc) if JSON_PATHS.match(request.path) else error_response(request, exc)
        return self.get_response(request)
