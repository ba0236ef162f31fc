"""The handset web page 城管通网页版 at /m/: for phones without the native app. It authenticates
with an API token (not the session), works offline (service worker + IndexedDB queue) and is
installable (web manifest)."""

import hashlib
import json

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dispatch.models import State
from dispatch.workflow import TRANSITIONS

SHELL = [
    "mobile_api/handset.js",
    "mobile_api/handset.css",
    "mobile_api/icon-192.png",
    "mobile_api/icon-512.png",
]


def _strings() -> dict:
    words = {
        "offline": _("离线：上报会先存在手机上，有信号后自动发送。"),
        "queued": _("已存入待发送队列"),
        "sent": _("已上报，案卷号"),
        "failed": _("发送失败"),
        "locating": _("正在定位……"),
        "located": _("已定位"),
        "no_location": _("无法定位：请打开定位权限"),
        "need_location": _("还没有位置，不能上报"),
        "no_tasks": _("暂无待办"),
        "due": _("时限"),
        "done": _("已完成"),
        "login_failed": _("登录失败"),
        "needs_network": _("此操作需要网络"),
        "note": _("意见"),
        "reason": _("理由"),
        "hours": _("延期小时"),
        "photos": _("照片"),
        "result": _("结果"),
        "exists": _("属实"),
        "not_found": _("不属实"),
        "unable": _("无法核实"),
        "passed": _("通过"),
        "failed_check": _("不通过"),
    }
    return {k: str(v) for k, v in words.items()}


@require_GET
def handset(request):
    config = {
        "strings": _strings(),
        "states": {s.value: str(s.label) for s in State},
        "actions": {a: str(t.label) for a, t in TRANSITIONS.items()},
        "sw": "/m/sw.js",
        "lang": request.LANGUAGE_CODE,
    }
    return render(request, "mobile_api/handset.html", {"config": config})


@require_GET
@never_cache
def service_worker(request):
    """Served from /m/ so that its scope covers the page; lists the app shell with hashed URLs."""
    shell = ["/m/", "/m/manifest.webmanifest", *map(static, SHELL)]
    # A new shell (new hashed file names) is a new cache: the old one is dropped on activate.
    version = hashlib.sha256(json.dumps(shell).encode()).hexdigest()[:12]
    body = render(request, "mobile_api/sw.js", {"shell_json": json.dumps(shell), "version": version})
    response = HttpResponse(body.content, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/m/"
    return response


@require_GET
def manifest(request):
    data = {
        "name": _("城管通"),
        "short_name": _("城管通"),
        "start_url": "/m/",
        "scope": "/m/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b4f8a",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("mobile_api/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("mobile_api/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
