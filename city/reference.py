"""The reference table every write reads: categories, departments, time limits and routing rules.

A report or an action used to look each of these up with its own query. They change a few times a
year (an admin, the category importer), so each process keeps them in memory and rebuilds them when
they change (`city.reloadable`): at once in this process (model signals, the importer), within
`CHECK_INTERVAL` seconds in the others (a version number in the cache).

The instances handed out are shared between threads and requests: read them, assign them to
foreign keys, never change or save them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS

from .reloadable import SharedReloadable

CHECK_INTERVAL = 3.0


@dataclass(frozen=True)
class Tables:
    categories: dict  # id → Category (its default_department loaded)
    active_by_code: dict  # code ("0102") → active categories with that code (a component and an event may share one)
    departments: dict  # id → Department
    departments_by_code: dict  # code → Department
    time_limits: dict  # (category id, stage, urgency) → (amount, unit)
    routing_rules: dict  # category id → [(area code prefix, Department)], departments active


def _build(version) -> Tables:
    from .models import Category, Department, RoutingRule, TimeLimit

    departments = {d.pk: d for d in Department.objects.all()}
    categories = {}
    for category in Category.objects.all():
        # The default department comes from the same table, not a query when it is read.
        category.default_department = departments.get(category.default_department_id)
        categories[category.pk] = category
    active_by_code: dict[str, list] = {}
    for category in categories.values():
        if category.active:
            active_by_code.setdefault(category.code, []).append(category)
    rules: dict[int, list] = {}
    for category_id, area_code, department_id in RoutingRule.objects.order_by("id").values_list(
        "category_id", "area_code", "department_id"
    ):
        department = departments.get(department_id)
        if department is not None and department.active:
            rules.setdefault(category_id, []).append((area_code, department))
    limits = {
        (category_id, stage, urgency): (amount, unit)
        for category_id, stage, urgency, amount, unit in TimeLimit.objects.values_list(
            "category_id", "stage", "urgency", "amount", "unit"
        )
    }  # one row per (category, stage, urgency): a unique constraint
    return Tables(
        categories=categories,
        active_by_code=active_by_code,
        departments=departments,
        departments_by_code={d.code: d for d in departments.values()},
        time_limits=limits,
        routing_rules=rules,
    )


shared = SharedReloadable("reference", _build, check_interval=CHECK_INTERVAL)


def tables() -> Tables:
    return shared.get()


def invalidate(using: str = DEFAULT_DB_ALIAS) -> None:
    """Categories, departments, time limits or routing rules changed: rebuild, here and elsewhere."""
    shared.invalidate(using)


def category(pk):
    return tables().categories.get(pk)


def active_categories(code: str) -> list:
    return tables().active_by_code.get(code, [])


def department(pk):
    return tables().departments.get(pk)


def department_by_code(code: str):
    return tables().departments_by_code.get(code)


def time_limit(category_id: int, stage: str, urgency: str) -> tuple[int, str] | None:
    return tables().time_limits.get((category_id, stage, urgency))


def routing_rules(category_id: int) -> list:
    """[(area code prefix, department)] of the category's rules whose department is active."""
    return tables().routing_rules.get(category_id, [])
