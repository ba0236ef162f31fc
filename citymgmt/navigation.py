"""The one header menu: every page a person's roles let them open, on every staff page."""

from django.urls import reverse
from django.utils.translation import gettext as _

from city.models import Role
from city.roles import has_role, roles_of
from dispatch import board
from dispatch.access import CITY_WIDE_ROLES
from dispatch.board import console_titles
from dispatch.search import may_query
from evaluation.access import may_see as may_see_evaluation
from field.access import may_decide_leave
from field.access import may_see_everyones as may_see_everyones_field


def menu_for(user) -> list[dict]:
    """[{"key", "url", "label"}] in a fixed order; empty for someone signed out."""
    if not user.is_authenticated:
        return []
    items = [
        {"key": f"console:{name}", "url": reverse("dispatch:console", args=[name]), "label": title}
        for name, title in console_titles().items()
        if board.may_open(user, name)
    ]
    if may_query(user):
        items.append({"key": "cases", "url": reverse("dispatch:cases"), "label": _("综合查询")})
    if has_role(user, Role.CALL_TAKER):
        items.append({"key": "intake", "url": reverse("dispatch:intake"), "label": _("热线受理")})
        items.append({"key": "callbacks", "url": reverse("hotline:callbacks"), "label": _("回访")})
    if roles_of(user) & CITY_WIDE_ROLES:
        items.append({"key": "maps", "url": reverse("maps:command"), "label": _("指挥地图")})
        items.append({"key": "wall", "url": reverse("maps:wall"), "label": _("大屏")})
    if may_see_evaluation(user):
        items.append({"key": "evaluation", "url": reverse("evaluation:index"), "label": _("综合评价")})
    if may_see_everyones_field(user):
        items.append({"key": "field", "url": reverse("field:report"), "label": _("考勤与巡查")})
    if may_decide_leave(user):
        items.append({"key": "leave", "url": reverse("field:leave"), "label": _("请假审批")})
    if has_role(user, Role.INSPECTOR):
        items.append({"key": "handset", "url": reverse("mobile_api:handset"), "label": _("城管通")})
    if user.is_staff:
        items.append({"key": "admin", "url": reverse("admin:index"), "label": _("基础数据管理")})
    return items


def menu(request) -> dict:
    """Template context processor: `menu` for base.html's header, and for admins the years the
    working calendar lacks (a banner naming them)."""
    user = getattr(request, "user", None)
    if user is None:
        return {"menu": [], "can_query": False}
    return {
        "menu": menu_for(user),
        "can_query": user.is_authenticated and may_query(user),
        "calendar_gaps": calendar_gaps_for(user),
    }


def calendar_gaps_for(user) -> list[int]:
    if not user.is_authenticated or not (user.is_staff or has_role(user, Role.ADMIN)):
        return []
    from city.calendar import years_without_schedule

    return years_without_schedule()
