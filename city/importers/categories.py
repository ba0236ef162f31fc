"""Import the category table 部件/事件分类 with time limits and default departments from CSV.

One row per subclass, UTF-8 with a header row. Columns:

    kind, major_code, major_name, major_name_en, minor_code, name, name_en, department, auto_dispatch,
    register, dispatch, handle, verify, check,
    urgent_register, urgent_dispatch, urgent_handle, urgent_verify, urgent_check

- `kind`: `component` (部件) or `event` (事件).
- `major_code`: 2 digits; `minor_code`: 2 digits (CJ/T 214, 4-digit codes) or 3 digits (GB/T 47678.5,
  5-digit codes). Both widths may be mixed within one kind. Keep the leading zeros (`01`, not `1`).
- `department`: a Department code already in the database; it becomes the category's default
  department and its city-wide routing rule (area_code "").
- `auto_dispatch`: true/false (also 1/0, yes/no, 是/否; empty means false).
- Time limits: `<amount><unit>`, unit `min` (natural minutes), `wh` (working hours) or `wd`
  (working days), e.g. `30min`, `4wh`, `5wd`. One per stage, for normal and urgent cases.
- `major_name_en` and `name_en` may be empty; other columns are required. Extra columns are ignored.

Problems name the row as a spreadsheet would (the header is row 1). The whole file is checked
first and every problem is reported at once (DataFileError); only a clean file is written, in
one transaction. Re-importing the same file changes nothing. Categories that exist but are not in
the file are left alone, and so are routing rules for smaller areas.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from city import reference
from city.models import Category, Department, RoutingRule, TimeLimit

from . import DataFileError, read_text

SHIPPED_TABLE = Path(__file__).resolve().parent.parent / "data" / "categories.csv"

STAGES = ("register", "dispatch", "handle", "verify", "check")
LIMIT_COLUMNS = {
    **{stage: (stage, TimeLimit.Urgency.NORMAL) for stage in STAGES},
    **{f"urgent_{stage}": (stage, TimeLimit.Urgency.URGENT) for stage in STAGES},
}
COLUMNS = (
    "kind",
    "major_code",
    "major_name",
    "major_name_en",
    "minor_code",
    "name",
    "name_en",
    "department",
    "auto_dispatch",
    *LIMIT_COLUMNS,
)
OPTIONAL = {"major_name_en", "name_en"}
UNITS = {"min": TimeLimit.Unit.MINUTES, "wh": TimeLimit.Unit.WORK_HOURS, "wd": TimeLimit.Unit.WORK_DAYS}
LIMIT_RE = re.compile(r"([0-9]+)\s*(min|wh|wd)", re.IGNORECASE)
MAX_AMOUNT = 100_000  # 100,000 minutes is ~70 days: anything above is a typo
TRUE = {"true", "1", "yes", "y", "是"}
FALSE = {"false", "0", "no", "n", "否", ""}
NAME_MAX = 100
MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class CategoryRow:
    row: int  # spreadsheet row number (the header is row 1)
    kind: str
    major_code: str
    minor_code: str
    major_name: str
    major_name_en: str
    name: str
    name_en: str
    department: str
    auto_dispatch: bool
    limits: dict  # (stage, urgency) → (amount, unit)

    @property
    def code(self) -> str:
        return self.major_code + self.minor_code


def parse_categories_csv(path_or_file) -> list[CategoryRow]:
    """Read and check a category file (a path, or an open text/binary file). Raises DataFileError."""
    reader = csv.DictReader(io.StringIO(read_text(path_or_file), newline=""))
    header = [(h or "").strip() for h in (reader.fieldnames or [])]
    if not header:
        raise DataFileError(["the file is empty (no header row)"])
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DataFileError([f"row 1 (header): missing column(s): {', '.join(missing)}"])
    reader.fieldnames = header

    departments = set(Department.objects.values_list("code", flat=True))
    problems: list[str] = []
    rows: list[CategoryRow] = []
    first_seen: dict[tuple[str, str], int] = {}
    major_names: dict[tuple[str, str], tuple[str, int]] = {}

    for record in reader:
        row_no = reader.line_num  # the line the record ends on: its row number for one-line records
        if None in record:  # more cells than header columns
            problems.append(f"row {row_no}: {len(record[None])} cell(s) more than the header has columns")
        values = {c: (record.get(c) or "").strip() for c in COLUMNS}
        if not any(values.values()) and None not in record:
            continue  # a blank line (e.g. at the end of a spreadsheet export)
        own: list[str] = []

        kind = values["kind"]
        if kind not in Category.Kind.values:
            own.append(f"column kind: unknown kind {kind!r} (must be component or event)")
        major, minor = values["major_code"], values["minor_code"]
        if not re.fullmatch(r"[0-9]{2}", major):
            own.append(f"column major_code: {major!r} must be exactly 2 digits, leading zero kept (e.g. 01)")
        if not re.fullmatch(r"[0-9]{2,3}", minor):
            own.append(
                f"column minor_code: {minor!r} must be 2 digits (4-digit codes) or 3 digits (5-digit codes), "
                "leading zeros kept"
            )
        for column in ("major_name", "name", "major_name_en", "name_en"):
            if column not in OPTIONAL and not values[column]:
                own.append(f"column {column}: empty")
            elif len(values[column]) > NAME_MAX:
                own.append(f"column {column}: longer than {NAME_MAX} characters")
        department = values["department"]
        if not department:
            own.append("column department: empty")
        elif department not in departments:
            own.append(f"column department: unknown department code {department!r}")
        auto = values["auto_dispatch"].lower()
        if auto not in TRUE | FALSE:
            own.append(f"column auto_dispatch: {values['auto_dispatch']!r} is not a boolean (true or false)")
        limits = {}
        for column, key in LIMIT_COLUMNS.items():
            limit = _parse_limit(values[column])
            if isinstance(limit, str):
                own.append(f"column {column}: {limit}")
            else:
                limits[key] = limit

        if not own:
            key = (kind, major + minor)
            if key in first_seen:
                own.append(f"duplicate code {kind} {major + minor}: row {first_seen[key]} has the same kind and code")
            else:
                first_seen[key] = row_no
            seen_name, seen_row = major_names.setdefault((kind, major), (values["major_name"], row_no))
            if seen_name != values["major_name"]:
                own.append(
                    f"column major_name: {values['major_name']!r} differs from {seen_name!r} "
                    f"given to {kind} major class {major} in row {seen_row}"
                )
        problems.extend(f"row {row_no}: {p}" for p in own)
        if not own:
            rows.append(
                CategoryRow(
                    row=row_no,
                    kind=kind,
                    major_code=major,
                    minor_code=minor,
                    major_name=values["major_name"],
                    major_name_en=values["major_name_en"],
                    name=values["name"],
                    name_en=values["name_en"],
                    department=department,
                    auto_dispatch=auto in TRUE,
                    limits=limits,
                )
            )

    if not problems and not rows:
        problems.append("the file has no category rows")
    if problems:
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS], f"… and {len(problems) - MAX_PROBLEMS} more problems"]
        raise DataFileError(problems)
    return rows


def import_categories(path_or_file) -> dict:
    """Check a category file and, only if it is clean, write it in one transaction.

    Returns counts: `created`, `updated`, `unchanged` categories (a category counts as updated
    when any of its fields, time limits or city-wide routing rule changed), and `categories`.
    """
    rows = parse_categories_csv(path_or_file)
    with transaction.atomic():
        summary = _write(rows)
        reference.invalidate()  # bulk writes send no signals
    return summary


# ---------------------------------------------------------------------------------------------- reading


def _parse_limit(text: str) -> tuple[int, str] | str:
    """(amount, unit), or what is wrong as a string."""
    if not text:
        return "empty (a time limit such as 30min, 4wh or 5wd is required)"
    m = LIMIT_RE.fullmatch(text)
    if m is None:
        return f"bad time limit {text!r}: must be <amount><unit>, unit min, wh or wd (e.g. 30min, 4wh, 5wd)"
    amount = int(m.group(1))
    if not 1 <= amount <= MAX_AMOUNT:
        return f"bad time limit {text!r}: the amount must be between 1 and {MAX_AMOUNT}"
    return amount, UNITS[m.group(2).lower()]


# ---------------------------------------------------------------------------------------------- writing


def _write(rows: list[CategoryRow]) -> dict:
    departments = {d.code: d for d in Department.objects.filter(code__in={r.department for r in rows})}
    existing = {(c.kind, c.code): c for c in Category.objects.filter(code__in={r.code for r in rows})}

    touched: set[tuple[str, str]] = set()
    new, changed = [], []
    fields = ["major_code", "minor_code", "code", "major_name", "major_name_en", "name", "name_en"]
    fields += ["default_department", "auto_dispatch"]
    for r in rows:
        target = {
            "major_code": r.major_code,
            "minor_code": r.minor_code,
            "code": r.code,
            "major_name": r.major_name,
            "major_name_en": r.major_name_en,
            "name": r.name,
            "name_en": r.name_en,
            "default_department": departments[r.department],
            "auto_dispatch": r.auto_dispatch,
        }
        cat = existing.get((r.kind, r.code))
        if cat is None:
            new.append(Category(kind=r.kind, **target))
            continue
        dirty = False
        for name, value in target.items():
            current = cat.default_department_id if name == "default_department" else getattr(cat, name)
            wanted = value.pk if name == "default_department" else value
            if current != wanted:
                setattr(cat, name, value)
                dirty = True
        if dirty:
            changed.append(cat)
            touched.add((r.kind, r.code))
    # bulk_create skips save(), which computes `code`: it is set explicitly above.
    Category.objects.bulk_create(new, batch_size=500)
    if changed:
        Category.objects.bulk_update(changed, fields, batch_size=500)
    created = {(c.kind, c.code) for c in new}
    cats = {(c.kind, c.code): c for c in Category.objects.filter(code__in={r.code for r in rows})}

    # Time limits: update in place, so an unchanged file leaves every row (and its id) alone.
    limits = {
        (t.category_id, t.stage, t.urgency): t for t in TimeLimit.objects.filter(category__in=list(cats.values()))
    }
    new_limits, changed_limits = [], []
    for r in rows:
        cat = cats[(r.kind, r.code)]
        for (stage, urgency), (amount, unit) in r.limits.items():
            limit = limits.get((cat.pk, stage, urgency))
            if limit is None:
                new_limits.append(TimeLimit(category=cat, stage=stage, urgency=urgency, amount=amount, unit=unit))
                touched.add((r.kind, r.code))
            elif (limit.amount, limit.unit) != (amount, unit):
                limit.amount, limit.unit = amount, unit
                changed_limits.append(limit)
                touched.add((r.kind, r.code))
    TimeLimit.objects.bulk_create(new_limits, batch_size=500)
    if changed_limits:
        TimeLimit.objects.bulk_update(changed_limits, ["amount", "unit"], batch_size=500)

    # The city-wide routing rule follows the default department; area rules are left alone.
    rules = {
        rule.category_id: rule for rule in RoutingRule.objects.filter(category__in=list(cats.values()), area_code="")
    }
    new_rules, changed_rules = [], []
    for r in rows:
        cat, dept = cats[(r.kind, r.code)], departments[r.department]
        rule = rules.get(cat.pk)
        if rule is None:
            new_rules.append(RoutingRule(category=cat, area_code="", department=dept))
            touched.add((r.kind, r.code))
        elif rule.department_id != dept.pk:
            rule.department = dept
            changed_rules.append(rule)
            touched.add((r.kind, r.code))
    RoutingRule.objects.bulk_create(new_rules, batch_size=500)
    if changed_rules:
        RoutingRule.objects.bulk_update(changed_rules, ["department"], batch_size=500)

    updated = len(touched - created)
    return {
        "categories": len(rows),
        "components": sum(r.kind == Category.Kind.COMPONENT for r in rows),
        "events": sum(r.kind == Category.Kind.EVENT for r in rows),
        "created": len(created),
        "updated": updated,
        "unchanged": len(rows) - len(created) - updated,
    }
