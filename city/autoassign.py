"""自动分拨: which department a case should go to."""

from .models import Department, RoutingRule


def suggest_department(category, cell_code: str | None) -> Department | None:
    """The rule whose area prefix is the longest match for the cell wins; a rule with an empty
    prefix covers the whole city; with no rule, the category's default department."""
    rules = RoutingRule.objects.filter(category=category, department__active=True).select_related("department")
    best = None
    for rule in rules:
        if (cell_code or "").startswith(rule.area_code) and (best is None or len(rule.area_code) > len(best.area_code)):
            best = rule
    if best is not None:
        return best.department
    default = category.default_department
    return default if default is not None and default.active else None


def suggest_department_for_case(case) -> Department | None:
    return suggest_department(case.category, case.cell.code if case.cell_id else None)
