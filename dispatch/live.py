"""Resume, don't lose: replaying the case event log to a reconnecting board or handset.

A client says the last event id it applied; it gets every later event it would have received
live, from the log, then `synced`, then the live stream. When the gap is too large to replay
(older than the replay window), it is told to `resync`: reload its lists.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .broadcast import event_message
from .models import CaseEvent


class ResyncNeeded(Exception):
    pass


def last_event_id() -> int:
    return CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def replay(groups: set[str], since: int, before: int | None = None) -> list[dict]:
    """The messages of events after `since` (and before `before`) that went to any of `groups`,
    oldest first."""
    events = CaseEvent.objects.filter(id__gt=since, audiences__group__in=sorted(groups))
    if before is not None:
        events = events.filter(id__lt=before)
    events = (
        events
        .distinct()
        .order_by("id")
        .select_related(
            "case", "case__category", "case__department", "case__suggested_department", "case__assigned_inspector",
            "case__cell__community__street",
        )[: settings.REPLAY_MAX_EVENTS + 1]
    )  # fmt: skip
    events = list(events)
    max_age = timedelta(hours=settings.REPLAY_MAX_AGE_HOURS)
    if len(events) > settings.REPLAY_MAX_EVENTS or (events and events[0].created_at < timezone.now() - max_age):
        raise ResyncNeeded()
    # The case summary is today's; the event fields say what happened then. Boards apply events in
    # order, so the last one leaves each case as it is now.
    return [event_message(e, e.case) for e in events]
