"""Django's error pages, answered as the API's JSON error body under /api/ (clients there parse
JSON, even for a URL that matches nothing) and as Django's HTML pages everywhere else."""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from .errors import Forbidden, InvalidData, NotFound, TooLarge
from .middleware import json_error


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return json_error(TooLarge(_("请求体过大。"), fields={"body": "too_large"}))
    return json_error(InvalidData())


def permission_denied(request, exception):
    return json_error(Forbidden()) if _is_api(request) else defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return json_error(NotFound(_("没有这个接口地址：%(path)s") % {"path": request.path[:200]}))
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        body = {"error": {"code": "server_error", "message": _("服务器内部错误，已记录。"), "fields": {}}}
        return JsonResponse(body, status=500, json_dumps_params={"ensure_ascii": False})
    return defaults.server_error(request)
