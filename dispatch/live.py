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
        .select_related("case")
        .only("id", "kind", "action", "from_state", "to_state", "created_at", "summary", "case__number")
        [: settings.REPLAY_MAX_EVENTS + 1]
    )  # fmt: skip
    events = list(events)
    max_age = timedelta(hours=settings.REPLAY_MAX_AGE_HOURS)
    if len(events) > settings.REPLAY_MAX_EVENTS or (events and events[0].created_at < timezone.now() - max_age):
        raise ResyncNeeded()
    # Each event as it was written and sent live: its own stored case summary, never today's case
    # (an audience must not learn what happened after it stopped receiving the case's events).
    return [event_message(e) for e in events]
