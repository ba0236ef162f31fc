"""The handset web page 城管通网页版 at /m/: for phones without the native app. It authenticates
with an API token (not the session), works offline (service worker + IndexedDB queue) and is
installable (web manifest)."""

import hashlib
import json

from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from city.models import Role
from dispatch.labels import client_table
from dispatch.models import State
from dispatch.photos import MAX_PHOTOS
from dispatch.workflow import TRANSITIONS

from ..serializers import MAX_POSITIONS

# The handset's patrol sampling (battery and data against a trail good enough for coverage): at
# most one point per 10 s, only after moving 10 m or 60 s passing; up to 100 points a request;
# nothing while the page has been hidden more than 10 minutes.
TRACK = {"min_interval_s": 10, "min_move_m": 10, "idle_s": 60, "batch": MAX_POSITIONS, "hidden_pause_s": 600}

SHELL = [
    "mobile_api/handset.js",
    "mobile_api/attendance.js",
    "mobile_api/leave.js",
    "mobile_api/handset.css",
    "mobile_api/icon-192.png",
    "mobile_api/icon-512.png",
]


def _strings() -> dict:
    """The page script's words, translated here (the script itself has none)."""
    words = {
        "online": _("在线"),
        "offline_short": _("离线"),
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
        "photos": _("照片"),
        "choose": _("请选择"),
        "too_many_photos": _("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS},
        "bad_photo": _("只接受 JPEG、PNG 或 WebP 图片。"),
        # {n}: filled in by the script.
        "others_queued": _("另有 {n} 条是其他账号的上报，该账号登录后才会发送。"),
        "rejected_alert": _("{n} 条上报或操作未能提交，点此查看。"),
        "remove_photo": _("移除照片"),
        "action_queued": _("已存入待发送队列，有信号后自动提交"),
        "outside_grid": _("此处（网格 {cell}，{community}）不在您的责任网格内，仍可上报。"),
        "kept_copy": _("离线：显示的是 {at} 保存的副本"),
        "mine_updated": _("更新于 {at}"),
        "no_reports": _("暂无上报"),
        "timeline": _("流转记录"),
        "last_sent": _("上次发送位置"),
        "never_sent": _("尚未发送位置"),
        "positions_waiting": _("{n} 个位置待发送"),
        "track_paused": _("页面在后台超过 10 分钟，{from} 至 {to} 暂停记录位置（省电）。"),
    }
    return {k: str(v) for k, v in words.items()}


def _duty_strings() -> dict:
    """The clock in / clock out bar's words (attendance.js)."""
    words = {
        "on_duty": _("在岗"),
        "off_duty": _("未上班"),
        "clock_in": _("上班打卡"),
        "clock_out": _("下班打卡"),
        "locating": _("正在定位……"),
        "no_location": _("无法定位：请打开定位权限"),
    }
    return {k: str(v) for k, v in words.items()}


def _leave_strings() -> dict:
    """The leave form's words (leave.js)."""
    words = {
        "sent": _("已提交请假，等待值班长审批"),
        "none": _("暂无请假"),
        "pending_count": _("{n} 条待审批"),
        "asked_at": _("申请于"),
        "decided_at": _("审批于"),
    }
    return {k: str(v) for k, v in words.items()}


@require_safe
def handset(request):
    config = {
        "strings": _strings(),
        "states": {s.value: str(s.label) for s in State},
        "actions": {a: str(t.label) for a, t in TRANSITIONS.items()},
        # Each action's fields and photos: the forms are built from this.
        "workflow": client_table(),
        "sw": reverse("mobile_api:handset-sw"),
        "max_photos": MAX_PHOTOS,
        # Who may report (上报): others (department staff) see their tasks first, and no report form.
        "report_roles": sorted(str(role) for role in TRANSITIONS["report"].roles),
        "lang": request.LANGUAGE_CODE,
        "track": TRACK,
        "track_role": str(Role.INSPECTOR),  # who samples a patrol trail while on duty
        "duty": _duty_strings(),
        "leave": _leave_strings(),
    }
    hint = _(
        "在岗时记录巡查位置：至多每 %(every)d 秒一次，移动 %(move)d 米以上或满 %(idle)d 秒才记一个点；"
        "页面在后台超过 %(minutes)d 分钟即暂停记录（省电），回到页面后继续。"
    ) % {
        "every": TRACK["min_interval_s"],
        "move": TRACK["min_move_m"],
        "idle": TRACK["idle_s"],
        "minutes": TRACK["hidden_pause_s"] // 60,
    }
    return render(request, "mobile_api/handset.html", {"config": config, "track_hint": hint})


def _shell_version(shell: list[str]) -> str:
    """Changes with the shell's URLs (hashed names after collectstatic) and with the files' content
    (plain names in development): a new version is a new cache, the old one is dropped on activate."""
    digest = hashlib.sha256(json.dumps(shell).encode())
    for name in SHELL:
        path = finders.find(name)
        if path:
            with open(path, "rb") as f:
                digest.update(f.read())
    return digest.hexdigest()[:12]


@require_safe
@never_cache
def service_worker(request):
    """Served from /m/ so that its scope covers the page; lists the app shell to cache."""
    page = reverse("mobile_api:handset")
    shell = [page, reverse("mobile_api:handset-manifest"), *map(static, SHELL)]
    context = {"shell_json": json.dumps(shell), "page_json": json.dumps(page), "version": _shell_version(shell)}
    body = render(request, "mobile_api/sw.js", context)
    response = HttpResponse(body.content, content_type="application/javascript")
    response["Service-Worker-Allowed"] = page
    return response


@require_safe
def manifest(request):
    page = reverse("mobile_api:handset")
    data = {
        "id": page,
        "name": _("城管通"),
        "short_name": _("城管通"),
        "start_url": page,
        "scope": page,
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
