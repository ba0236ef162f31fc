from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    """The 12319 hotline gateway."""

    name = "hotline"
    verbose_name = _("12319 热线")
