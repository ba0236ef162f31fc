"""Refuse NUL bytes before any view sees them.

PostgreSQL refuses NUL (\\x00) in text and SQLite stores it (pitfalls.md): a NUL in a path segment,
a query parameter or a form field would answer 500 on PostgreSQL only, wherever it reaches a
query. One check here covers every door: 400 with the API's error body for JSON endpoints, a plain
400 page for pages. JSON bodies are the serializers' business (DRF's CharField refuses NUL).

/hotline/ is left alone: Twilio signs every parameter, and the hotline's views decide there.
"""

import re

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from .errors import InvalidData, error_body

NUL = "\x00"
SKIPPED = ("/hotline/",)
# Endpoints answering JSON: the APIs, the map feeds, and the consoles' data URLs (their pages end in "/").
JSON_PATHS = re.compile(r"^/(api/|maps/api/|console/.*[^/]$)", re.DOTALL)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


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
        if not request.path.startswith(SKIPPED):
            field = nul_field(request)
            if field is not None:
                return self.refuse(request, field)
        return self.get_response(request)

    @staticmethod
    def refuse(request, field):
        message = _("请求中含有不允许的空字符（NUL）：%(field)s") % {"field": field}
        if JSON_PATHS.match(request.path):
            exc = InvalidData(message, fields={field: "nul"})
            return JsonResponse(error_body(exc), status=400, json_dumps_params={"ensure_ascii": False})
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
