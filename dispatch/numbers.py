"""Case numbers people read out over the phone: kind letter, category code, date, daily sequence.

E0102202611240037 = event, 0102 (暴露垃圾), 2026-11-24, the 37th such case that day.
"""

from datetime import datetime

from django.db import connection
from django.utils import timezone


def next_case_number(category, when: datetime) -> str:
    prefix = f"{category.kind_letter}{category.code}{timezone.localtime(when):%Y%m%d}"
    # One atomic upsert, on SQLite and PostgreSQL alike: concurrent reports never share a number.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dispatch_casenumbersequence (prefix, last) VALUES (%s, 1) "
            "ON CONFLICT (prefix) DO UPDATE SET last = dispatch_casenumbersequence.last + 1 RETURNING last",
            [prefix],
        )
        (seq,) = cursor.fetchone()
    return f"{prefix}{seq:04d}"
