"""How the evaluation tables read to a person: areas, roles and people by name (codes on hover),
the settings in force as labelled rows. Plain functions used by the pages; exports keep codes."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from city.models import Community, District, GridCell, Role, Street

AREA_LEVEL_LABELS = {
    "district": gettext_lazy("区"),
    "street": gettext_lazy("街道"),
    "community": gettext_lazy("社区"),
    "cell": gettext_lazy("网格"),
}
WEIGHT_LABELS = {
    "volume": gettext_lazy("案件量得分"),
    "closure": gettext_lazy("结案率"),
    "on_time_handling": gettext_lazy("按期处置率"),
    "no_rework": gettext_lazy("无返工 (100 − 返工率)"),
}


def area_names(codes) -> dict[str, str]:
    """{code: name} for district (6), street (9), community (12) and cell codes (14/15 digits)."""
    codes = {c for c in codes if c}
    names = dict(District.objects.filter(code__in=codes).values_list("code", "name"))
    names |= {
        c: f"{d} {s}" for c, s, d in Street.objects.filter(code__in=codes).values_list("code", "name", "district__name")
    }
    for c, n, s in Community.objects.filter(code__in=codes).values_list("code", "name", "street__name"):
        names[c] = f"{s} {n}"
    for c, n, s in GridCell.objects.filter(code__in=codes).values_list(
        "code", "community__name", "community__street__name"
    ):
        names[c] = _("%(street)s %(community)s 网格 %(seq)s") % {"street": s, "community": n, "seq": c[12:]}
    return names


def person_names(usernames) -> dict[str, str]:
    users = get_user_model().objects.filter(username__in=[u for u in usernames if u])
    return {u.username: u.get_full_name() or u.username for u in users}


def page_columns(table: str, columns) -> list:
    """The columns as a page heads them: an area's column holds its name there (exports keep the code)."""
    if table != "areas":
        return list(columns)
    return [(c, _("区域") if c == "code" else label) for c, label in columns]


def table_cells(table: str, columns, rows: list[dict]) -> list[list[dict]]:
    """Each row's cells as {"text", "title"}: an area's, a person's or a role's name, the code
    or user name on hover; other values as they are ("—" for none)."""
    keys = [c for c, _label in columns]
    areas = area_names(r.get("code") for r in rows) if table == "areas" else {}
    people = person_names(r.get("username") for r in rows) if "username" in keys else {}
    roles = dict(Role.choices)
    out = []
    for r in rows:
        cells = []
        for key in keys:
            value = r.get(key)
            title = ""
            if table == "areas" and key == "code":
                value, title = areas.get(value, value), value
            elif key == "username":
                value, title = people.get(value, value), value
            elif key == "actor_role":
                value, title = str(roles.get(value, value or "")), value
            elif table == "departments" and key == "name":
                title = r.get("code", "")
            cells.append({"text": "—" if value is None else value, "title": title or ""})
        out.append(cells)
    return out


def settings_rows(settings: dict) -> dict:
    """The settings in force as labelled rows: weights, case-volume bands, grade bands."""
    weights = settings.get("department_weights") or {}
    total = sum(v for v in weights.values() if isinstance(v, int | float)) or 1
    weight_rows = [
        (str(WEIGHT_LABELS.get(k, k)), f"{v} %", f"{100 * v / total:.0f} %")
        for k, v in weights.items()
        if isinstance(v, int | float)
    ]
    volume_rows, previous = [], None
    for limit, score in settings.get("volume_bands") or []:
        if limit is None:
            words = _("超过 %(n)s 件") % {"n": previous} if previous is not None else _("任意件数")
        elif previous is None:
            words = _("不超过 %(n)s 件") % {"n": limit}
        else:
            words = _("%(a)s – %(b)s 件") % {"a": previous + 1, "b": limit}
        volume_rows.append((words, _("%(n)s 分") % {"n": score}))
        previous = limit
    grade_rows = [(_("不低于 %(n)s 分") % {"n": lowest}, g) for lowest, g in settings.get("grade_bands") or []]
    return {"weights": weight_rows, "volume": volume_rows, "grades": grade_rows}
