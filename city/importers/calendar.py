"""A year's working calendar (statutory holidays and make-up working days, 调休) from a small CSV or
iCalendar file, checked whole before anything is written.

CSV: a header `date,is_working,note` (is_working: 1/0, true/false, 是/否, 上班/休息); one day a row.
iCalendar: all-day VEVENTs; DTSTART (and DTEND, exclusive) give the days; an event whose SUMMARY
or CATEGORIES says 班 / 上班 / 调休上班 / workday / working is a make-up working day, any other a
day off. Lines folded as RFC 5545 says are unfolded.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from city.models import CalendarDay

MAX_BYTES = 200_000
MAX_DAYS = 400
WORKING_WORDS = ("班", "workday", "working")
TRUE_WORDS = {"1", "true", "yes", "y", "是", "上班", "工作日", "working"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "休息", "休息日", "holiday", "off"}


class CalendarFileError(ValueError):
    """The file as a whole is refused: `problems` lists every line that is wrong."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Day:
    date: date
    is_working: bool
    note: str


def parse(name: str, content: bytes) -> list[Day]:
    """The days a file names, or CalendarFileError listing every problem (nothing is written)."""
    if len(content) > MAX_BYTES:
        raise CalendarFileError([_("文件太大。")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalendarFileError([_("文件须为 UTF-8 编码。")]) from exc
    if "\x00" in text:
        raise CalendarFileError([_("文件含有无效字符。")])
    is_ics = name.lower().endswith((".ics", ".ical", ".ifb")) or text.lstrip().startswith("BEGIN:VCALENDAR")
    days, problems = _parse_ics(text) if is_ics else _parse_csv(text)
    seen: dict[date, Day] = {}
    for day in days:
        if day.date in seen and seen[day.date].is_working != day.is_working:
            problems.append(_("%(d)s 同时被标为上班和休息。") % {"d": day.date.isoformat()})
        seen[day.date] = day
    if not seen and not problems:
        problems.append(_("文件中没有任何日期。"))
    if len(seen) > MAX_DAYS:
        problems.append(_("一次最多导入 %(n)s 天。") % {"n": MAX_DAYS})
    if problems:
        raise CalendarFileError(problems)
    return sorted(seen.values(), key=lambda d: d.date)


def _date(value: str) -> date:
    value = value.strip()
    if len(value) == 8 and value.isdigit():
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    found = date.fromisoformat(value)
    if not 2000 <= found.year <= 2100:
        raise ValueError(value)
    return found


def _parse_csv(text: str):
    days, problems = [], []
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"date", "is_working"} <= {(f or "").strip() for f in reader.fieldnames}:
        return [], [_("CSV 须有表头 date,is_working,note。")]
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        try:
            when = _date(row.get("date", ""))
        except ValueError:
            problems.append(_("第 %(n)s 行：日期无效。") % {"n": line})
            continue
        flag = row.get("is_working", "").lower()
        if flag not in TRUE_WORDS | FALSE_WORDS:
            problems.append(_("第 %(n)s 行：is_working 须为 1 或 0。") % {"n": line})
            continue
        days.append(Day(when, flag in TRUE_WORDS, row.get("note", "")[:100]))
    return days, problems


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    return lines


def _parse_ics(text: str):
    days, problems, event = [], [], None
    for number, line in enumerate(_unfold(text), start=1):
        name, _sep, value = line.partition(":")
        key = name.split(";")[0].strip().upper()
        if key == "BEGIN" and value.strip().upper() == "VEVENT":
            event = {"line": number}
        elif key == "END" and value.strip().upper() == "VEVENT" and event is not None:
            found, problem = _event_days(event)
            days += found
            if problem:
                problems.append(problem)
            event = None
        elif event is not None and key in ("DTSTART", "DTEND", "SUMMARY", "CATEGORIES"):
            event[key] = value.strip()
    return days, problems


def _event_days(event: dict):
    try:
        start = _date(event.get("DTSTART", "")[:8])
        end = _date(event["DTEND"][:8]) if event.get("DTEND") else start + timedelta(days=1)
    except ValueError:
        return [], _("第 %(n)s 行的事件：日期无效。") % {"n": event["line"]}
    if not start < end <= start + timedelta(days=31):
        return [], _("第 %(n)s 行的事件：结束日期无效。") % {"n": event["line"]}
    words = f"{event.get('SUMMARY', '')} {event.get('CATEGORIES', '')}".lower()
    working = any(w in words for w in WORKING_WORDS)
    note = event.get("SUMMARY", "")[:100]
    return [Day(start + timedelta(days=i), working, note) for i in range((end - start).days)], None


def import_days(days: list[Day]) -> tuple[int, int]:
    """Write checked days in one transaction: (created, updated)."""
    created = updated = 0
    with transaction.atomic():
        for day in days:
            _obj, was_created = CalendarDay.objects.update_or_create(
                date=day.date, defaults={"is_working": day.is_working, "note": day.note}
            )
            created += was_created
            updated += not was_created
    return created, updated
