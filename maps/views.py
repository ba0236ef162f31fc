"""Map pages: the command map 指挥地图, the wall screen 大屏, hot spots 高发问题."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from city import basemap
from city.models import Category, Department, Street
from city.roles import roles_of
from citymgmt.errors import InvalidData
from dispatch import board
from dispatch.access import CITY_WIDE_ROLES
from dispatch.labels import client_table, js_labels
from dispatch.models import State
from field import coverage
from field.access import may_see_everyones

from . import builder, queries
from . import wall as wall_figures


def _staff(request):
    if not roles_of(request.user) & CITY_WIDE_ROLES:
        raise PermissionDenied


def _filter(request):
    try:
        return queries.CaseFilter.from_query(request.GET), None
    except InvalidData as exc:
        return queries.CaseFilter.from_query({}), exc


def _page(request, template, *, title, wall=False, replay=False, extra=None):
    _staff(request)
    f, error = _filter(request)
    built = builder.build()
    query = request.GET.copy()
    query.pop("after", None)
    if f.date_from and "from" not in query and "all" not in query:
        query["from"] = f.date_from.isoformat()
    config = {
        "names": built.names,
        "locale": request.LANGUAGE_CODE,
        "labels": js_labels(),
        "workflow": client_table(),
        "colors": builder.LIGHT_COLORS,
        "cases_url": f"{reverse('maps:cases-columns')}?{query.urlencode()}",
        "cells_url": reverse("maps:cells"),
        "grid_url": reverse("maps:grid-compact"),
        "areas_url": reverse("maps:areas"),
        "places_url": reverse("maps:places"),
        "locate_url": reverse("maps:locate"),
        "crs": basemap.display_crs(),
        # Layer choices and the view are remembered in this browser, per person and page.
        "remember_key": f"citymgmt.map.{request.user.get_username()}.{'wall' if wall else 'command'}",
        "inspectors_url": reverse("maps:inspectors"),
        "today_url": reverse("maps:today"),
        "filter": {
            "states": f.states,
            "category": f.category,
            "department": f.department,
            "street": f.street,
            "from": f.date_from.isoformat() if f.date_from else "",
            "to": f.date_to.isoformat() if f.date_to else "",
        },
        "strings": {
            "open_cases": _("在办"),
            "due": _("时限"),
            "open": _("打开"),
            "cell": _("网格"),
            "cases": _("件"),
            "full_screen": _("全屏"),
            "exit_full_screen": _("退出全屏"),
            "locate": _("定位"),
            "locate_placeholder": _("案卷编号"),
            "not_found": _("未找到该案卷"),
            "not_in_filter": _("该案卷不在当前筛选范围内"),
            "all_states": _("全部状态"),
        },
        # Category names in the interface's language (the case feeds carry codes only).
        "category_names": {c.full_code: c.display_name for c in Category.objects.all()},
        "wall": wall,
        "case_url": _case_page_for(request.user),
    }
    if replay:
        config["replay"] = {
            "track_url": reverse("maps:track"),
            "strings": {"none": _("这一天没有轨迹。"), "points": _("个轨迹点")},
        }
    return render(
        request,
        template,
        {
            "map": built,
            "config": config,
            "title": title,
            "error": error,
            "filter": f,
            "states": State.choices,
            "categories": Category.objects.filter(active=True).order_by("kind", "major_code", "minor_code"),
            "departments": Department.objects.filter(active=True).order_by("code"),
            "streets": Street.objects.order_by("code"),
            "inspectors": coverage.inspectors() if replay else [],
            "today": timezone.localdate(),
            **(extra or {}),
        },
        status=400 if error else 200,
    )


def _case_page_for(user) -> str:
    """Where a map's popup opens a case: the console this person works in."""
    for name in ("dispatch", "supervision"):
        if board.may_open(user, name):
            return reverse("dispatch:console", args=[name])
    return reverse("dispatch:console", args=["supervision"])


@login_required
def command_map(request):
    return _page(request, "maps/command.html", title=_("指挥地图"), replay=may_see_everyones(request.user))


@login_required
def wall(request):
    """The wall 大屏: the map in the middle, the city's figures around it (maps.wall), live."""
    _staff(request)
    config = wall_figures.page_words() | {
        "summary_url": reverse("maps:wall-summary"),
        "locale": request.LANGUAGE_CODE,
        "labels": js_labels(),
        "time_zone": client_table()["time_zone"],
        "category_names": {c.full_code: c.display_name for c in Category.objects.all()},
    }
    extra = {"wall": config, "figures": wall_figures.FIGURES}
    return _page(request, "maps/wall.html", title=_("城市管理大屏"), wall=True, extra=extra)


@login_required
def hotspots(request):
    _staff(request)
    f, error = _filter(request)
    built = builder.build(heat_points=queries.heat_points(f), with_cases=False)
    return render(
        request,
        "maps/hotspots.html",
        {
            "map": built,
            "title": _("高发问题"),
            "error": error,
            "filter": f,
            "cells": queries.hot_cells(f),
            "places": queries.hot_places(f),
            "labels": {"street": _("街道"), "community": _("社区")},
            "categories": Category.objects.filter(active=True).order_by("kind", "major_code", "minor_code"),
            "config": {
                "names": built.names,
                "grid_url": reverse("maps:grid-compact"),
                "areas_url": reverse("maps:areas"),
                "places_url": reverse("maps:places"),
                "crs": basemap.display_crs(),
                "remember_key": f"citymgmt.map.{request.user.get_username()}.hotspots",
                "hot": True,
                "strings": {"open_cases": _("在办")},
            },
        },
        status=400 if error else 200,
    )
