"""Hooks for other apps, sent inside the transaction that changes the case.

A receiver that writes (e.g. the hotline queueing an SMS in its outbox) commits or rolls back
together with the case change. Receivers must not do slow I/O: queue it instead.
"""

from django.dispatch import Signal

# Sent after each case event is written. kwargs: event (CaseEvent), case (Case).
case_event_written = Signal()
