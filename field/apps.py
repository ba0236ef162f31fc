from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    """巡查: what inspectors do on the street that is not a case (positions and trails)."""

    name = "field"
    verbose_name = _("巡查")
