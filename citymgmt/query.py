"""Reading dates from query strings, the same way on every page and feed."""

from django.utils.dateparse import parse_date


def query_days(query, names=("from", "to")) -> tuple[dict, dict]:
    """Days given as YYYY-MM-DD: ({name: date}, {name: "invalid"}) for the names present."""
    days, errors = {}, {}
    for name in names:
        raw = query.get(name)
        if not raw:
            continue
        try:
            parsed = parse_date(raw) if len(raw) == 10 else None
        except ValueError:  # well formed but not a day, e.g. 2026-02-30
            parsed = None
        if parsed is None:
            errors[name] = "invalid"
        else:
            days[name] = parsed
    return days, errors
