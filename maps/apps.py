from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MapsConfig(AppConfig):
    """Map dashboards."""

    name = "maps"
    verbose_name = _("地图")

    def ready(self):
        from . import checks  # noqa: F401 (registers the base map's system checks)
