"""Keyset (seek) pages for 综合查询: "the 25 cases after this one in this order", not OFFSET.

OFFSET makes the database produce and drop every earlier row, so page 400 of a million cases
costs 400 pages. A cursor names the last (or first) row shown — its sort value and id — and the
next page starts right after it, by index. The cursor is plain data in the link (`after=` /
`before=`): it selects nothing the person could not already see, the query's own filters and
`visible_cases` still apply. Sorts on a column that may be empty (department, due, closed) keep
numbered pages: NULLs sort differently on PostgreSQL and SQLite.
"""

import base64
import binascii
import json
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from citymgmt.errors import InvalidData

from .models import Case

MAX_ID = 2**63 - 1
MAX_TEXT = 200  # longer than any sortable column's value: a longer one was not made here
BAD_CURSOR = _("翻页链接已失效，请从第一页重新查询。")


def encode(sort: str, field: str, case: Case) -> str:
    """The cursor of `case` in the order `sort` (the `sort` parameter, "" for the default)."""
    value = _path_value(case, field)
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, case.pk], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _path_value(case, field: str):
    value = case
    for part in field.split("__"):
        value = getattr(value, part)
    return value


def decode(raw: str, sort: str, field: str, param: str):
    """(value, id) from a cursor made by `encode` for this same sort; InvalidData otherwise."""
    bad = InvalidData(BAD_CURSOR, fields={param: "invalid"})
    try:
        padded = raw + "=" * (-len(raw) % 4)
        got_sort, value, pk = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode())
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise bad from None
    if got_sort != sort or type(pk) is not int or not 0 < pk <= MAX_ID:
        raise bad
    if field == "id":
        return pk, pk
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\x00" in value:
        raise bad
    if Case._meta.get_field(field.split("__")[0]).get_internal_type() == "DateTimeField":
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise bad from None
        if value.tzinfo is None:
            raise bad
    return value, pk


def seek(qs, field: str, descending: bool, value, pk, *, backwards: bool = False):
    """`qs` from just after (value, pk) in the order (field, id) — both descending or both
    ascending — or, `backwards`, just before it. The redundant `field <= value` bound lets the
    database start its index scan at the cursor instead of filtering from the top."""
    down = descending != backwards  # moving toward smaller values
    if field == "id":
        return qs.filter(pk__lt=pk) if down else qs.filter(pk__gt=pk)
    if down:
        return qs.filter(**{f"{field}__lte": value}).filter(Q(**{f"{field}__lt": value}) | Q(pk__lt=pk))
    return qs.filter(**{f"{field}__gte": value}).filter(Q(**{f"{field}__gt": value}) | Q(pk__gt=pk))
