"""Keep in-process caches of reference data in step with the database."""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from .models import (
    CalendarDay,
    Category,
    Community,
    Department,
    District,
    GridCell,
    Place,
    RoutingRule,
    Street,
    TimeLimit,
    WorkPeriod,
)


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
    from . import calendar, gazetteer, grid, reference

    grid.invalidate()
    gazetteer.invalidate()
    calendar.invalidate()
    reference.invalidate()


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Department)
@receiver([post_save, post_delete], sender=TimeLimit)
@receiver([post_save, post_delete], sender=RoutingRule)
def _reference_changed(**kwargs):
    from . import reference

    reference.invalidate()


@receiver([post_save, post_delete], sender=Community)
@receiver([post_save, post_delete], sender=Street)
@receiver([post_save, post_delete], sender=District)
def _area_names_changed(**kwargs):
    # The grid index carries each cell's community, street and district names and ids.
    from . import grid

    grid.invalidate()
