"""Keep in-process caches of reference data in step with the database."""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from .models import CalendarDay, GridCell, Place, WorkPeriod


@receiver([post_save, post_delete], sender=GridCell)
def _grid_changed(**kwargs):
    from . import grid

    grid.invalidate()


@receiver([post_save, post_delete], sender=Place)
def _places_changed(**kwargs):
    from . import gazetteer

    gazetteer.invalidate()


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=WorkPeriod)
def _calendar_changed(**kwargs):
    from . import calendar

    calendar.invalidate()


@receiver(post_migrate)
def _tables_rebuilt(**kwargs):
    # `flush` and migrations change rows without model signals.
    from . import calendar, gazetteer, grid

    grid.invalidate()
    gazetteer.invalidate()
    calendar.invalidate()
