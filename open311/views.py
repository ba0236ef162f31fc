"""GeoReport v2 endpoints under /open311/v2/: thin views over `open311.georeport`. Every refusal
becomes the spec's errors here, in the format the path asked for; nothing raises past this door."""

import logging
from functools import wraps

from django.conf import settings
from django.http import QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from citymgmt.errors import DomainError, InvalidData

from . import clients, georeport, render

logger = logging.getLogger("open311.views")


def _params(request) -> QueryDict:
    """Query string and form body together (the body wins): `api_key` may come in either."""
    merged = request.GET.copy()
    if request.method == "POST":
        for key, values in request.POST.lists():
            merged.setlist(key, values)
    return merged


def door(view):
    @csrf_exempt
    @wraps(view)
    def wrapped(request, fmt, *args, **kwargs):
        try:
            params = _params(request)
            values = [v for _key, vs in params.lists() for v in vs] + [*params.keys(), *map(str, kwargs.values())]
            if any("\x00" in v for v in values):  # PostgreSQL refuses NUL in text: refuse it first
                raise InvalidData("NUL character in the request")
            georeport.check_jurisdiction(params)
            return view(request, fmt, params, *args, **kwargs)
        except DomainError as exc:
            headers = {"Retry-After": str(exc.context["retry_after"])} if "retry_after" in exc.context else None
            return render.errors(fmt, exc.status, exc.message, headers)
        except Exception:
            logger.exception("open311 %s failed", request.path)
            return render.errors(fmt, 500, "internal error")

    return wrapped


def _base(request) -> str:
    return request.build_absolute_uri("/open311/v2/")


def _media_base(request) -> str:
    return request.build_absolute_uri(
        settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else "/" + settings.MEDIA_URL
    )


@require_http_methods(["GET", "HEAD"])
@door
def discovery(request, fmt, params):
    return render.answer(fmt, "discovery", georeport.discovery(_base(request)))


@require_http_methods(["GET", "HEAD"])
@door
def services(request, fmt, params):
    return render.answer(fmt, "services", georeport.services_list())


@require_http_methods(["GET", "HEAD"])
@door
def service_definition(request, fmt, params, code):
    return render.answer(fmt, "service_definition", georeport.service_definition(code))


@require_http_methods(["GET", "HEAD", "POST"])
@door
def requests_(request, fmt, params):
    if request.method == "POST":
        client = clients.client_for_key(params.get("api_key"), post=True)
        media = request.FILES.getlist("media")[:1]
        return render.answer(fmt, "service_requests", georeport.file_request(client, params, media))
    if params.get("api_key"):  # reading needs no key; a wrong one, or one without reading, is refused
        clients.client_for_key(params.get("api_key"), read=True)
    extended = georeport.wants_extensions(params)
    base = _media_base(request)
    records = [georeport.record(c, base, extended) for c in georeport.find_requests(params)]
    return render.answer(fmt, "service_requests", records)


@require_http_methods(["GET", "HEAD"])
@door
def one_request(request, fmt, params, number):
    case = georeport.one_request(number)
    record = georeport.record(case, _media_base(request), georeport.wants_extensions(params))
    return render.answer(fmt, "service_requests", [record])


@require_http_methods(["GET", "HEAD"])
@door
def token(request, fmt, params, value):
    return render.answer(fmt, "service_requests", georeport.token(value))


@require_http_methods(["GET", "HEAD"])
@door
def updates(request, fmt, params):
    return render.answer(fmt, "service_request_updates", georeport.updates(params))


@csrf_exempt
def unknown(request, fmt="json", rest=""):
    """Anything else under /open311/v2/: the spec's 404 (or 400 for a format we do not speak)."""
    if fmt not in ("xml", "json"):
        return render.errors("json", 400, str(InvalidData("format must be .xml or .json")))
    return render.errors(fmt, 404, "not found")
