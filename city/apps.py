from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CityConfig(AppConfig):
    """The city's reference data: areas and grid, departments, categories, staff, calendar."""

    name = "city"
    label = "city"
    verbose_name = _("城市基础数据")

    def ready(self):
        from . import checks, signals  # noqa: F401
