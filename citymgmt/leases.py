"""Claim-with-a-lease: how every worker queue (SMS outbox, MMS and Open311 photo fetches,
status webhooks) hands one row to exactly one worker without holding a transaction while a
remote server answers.

A row is due when `next_attempt_at <= now`. A worker claims it alone with a conditional UPDATE
that matches only while the row is still due as it was read, and moves `next_attempt_at` one
lease ahead (counting the attempt): two workers never both win, and a worker that dies mid-send
leaves the row due again after the lease, so it is retried, not lost.
"""

from django.db.models import F


def claim_due(queryset, *, now, lease, batch, **still):
    """The pks of due rows of `queryset` this worker won, oldest first (a generator: each row is
    claimed just before the caller handles it). `still` are the conditions the row must still
    meet at claim time (e.g. `done=False`)."""
    model = queryset.model
    due = queryset.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "id")
    for pk, due_at in list(due.values_list("pk", "next_attempt_at")[:batch]):
        won = model.objects.filter(pk=pk, next_attempt_at=due_at, **still).update(
            next_attempt_at=now + lease, attempts=F("attempts") + 1
        )
        if won:
            yield pk
