from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobileApiConfig(AppConfig):
    """The handset API (城管通)."""

    name = "mobile_api"
    verbose_name = _("城管通接口")

    def ready(self):
        from . import authentication  # noqa: F401  (registers the OpenAPI auth scheme)
