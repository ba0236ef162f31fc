"""自动分拨: which department a case should go to."""

from . import reference
from .models import Department


def suggest_department(category, cell_code: str | None, exclude=()) -> Department | None:
    """The rule whose area prefix is the longest match for the cell wins; a rule with an empty
    prefix covers the whole city; with no rule, the category's default department. Departments in
    `exclude` (codes: those that returned the case) are skipped: the next matching rule is the
    suggestion, and with none left there is no suggestion rather than one that was refused."""
    excluded = set(exclude)
    # Rules and departments from the reference table in memory (city.reference): no query.
    rules = reference.routing_rules(category.pk)
    matching = [(area, dept) for area, dept in rules if (cell_code or "").startswith(area)]
    matching.sort(key=lambda rule: len(rule[0]), reverse=True)
    for _area, department in matching:
        if department.code not in excluded:
            return department
    default = reference.department(category.default_department_id)
    if default is not None and default.active and default.code not in excluded:
        return default
    return None


def suggest_department_for_case(case, exclude=()) -> Department | None:
    return suggest_department(case.category, case.cell.code if case.cell_id else None, exclude)
