"""The reference table every write reads: categories, departments, time limits and routing rules.

A report or an action used to look each of these up with its own query. They change a few times a
year (an admin, the category importer), so each process keeps them in memory and rebuilds them when
they change (`city.reloadable`): at once in this process (model signals, the importer), within
`CHECK_INTERVAL` seconds in the others (a version number in the cache), and in any case when the
table is `MAX_AGE` seconds old (processes that share no cache: SQLite's daphne and worker) or is
asked for an id it does not know (a row another process added). Lookups by id only: a code a
client sends is looked up in the database, which also tells a deleted row from a live one.

The instances handed out are shared between threads and requests: read them, assign them to
foreign keys, never change or save them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS

from .reloadable import SharedReloadable

CHECK_INTERVAL = 3.0
MAX_AGE = 60.0  # seconds: what the time limits' cache entries lived before this table


@dataclass(frozen=True)
class Tables:
    categories: dict  # id → Category (its default_department loaded)
    departments: dict  # id → Department
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
        departments=departments,
        time_limits=limits,
        routing_rules=rules,
    )


shared = SharedReloadable("reference", _build, check_interval=CHECK_INTERVAL)


_built_at = 0.0


def tables() -> Tables:
    global _built_at
    value = shared.get()
    if time.monotonic() - _built_at > MAX_AGE:
        shared.drop()
        value = shared.get()
        _built_at = time.monotonic()
    return value


def _knowing(category_id=None, department_id=None) -> Tables:
    """The tables, rebuilt once if they do not know this category or department (added since)."""
    value = tables()
    unknown = (category_id is not None and category_id not in value.categories) or (
        department_id is not None and department_id not in value.departments
    )
    if unknown:
        shared.drop()
        value = shared.get()
    return value


def invalidate(using: str = DEFAULT_DB_ALIAS) -> None:
    """Categories, departments, time limits or routing rules changed: rebuild, here and elsewhere."""
    shared.invalidate(using)


def category(pk):
    return _knowing(category_id=pk).categories.get(pk)


def department(pk):
    return _knowing(department_id=pk).departments.get(pk) if pk is not None else None


def time_limit(category_id: int, stage: str, urgency: str) -> tuple[int, str] | None:
    return _knowing(category_id=category_id).time_limits.get((category_id, stage, urgency))


def routing_rules(category_id: int) -> list:
    """[(area code prefix, department)] of the category's rules whose department is active."""
    return _knowing(category_id=category_id).routing_rules.get(category_id, [])
