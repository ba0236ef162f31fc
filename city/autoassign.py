"""自动分拨: which department a case should go to."""

from .models import Department, RoutingRule


def suggest_department(category, cell_code: str | None, exclude=()) -> Department | None:
    """The rule whose area prefix is the longest match for the cell wins; a rule with an empty
    prefix covers the whole city; with no rule, the category's default department. Departments in
    `exclude` (codes: those that returned the case) are skipped: the next matching rule is the
    suggestion, and with none left there is no suggestion rather than one that was refused."""
    excluded = set(exclude)
    rules = RoutingRule.objects.filter(category=category, department__active=True).select_related("department")
    matching = [rule for rule in rules if (cell_code or "").startswith(rule.area_code)]
    matching.sort(key=lambda rule: len(rule.area_code), reverse=True)
    for rule in matching:
        if rule.department.code not in excluded:
            return rule.department
    default = category.default_department
    if default is not None and default.active and default.code not in excluded:
        return default
    return None


def suggest_department_for_case(case, exclude=()) -> Department | None:
    return suggest_department(case.category, case.cell.code if case.cell_id else None, exclude)
