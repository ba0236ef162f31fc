from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    """Cases: the workflow, the case event log, deadlines and warnings, the live board."""

    name = "dispatch"
    verbose_name = _("案件调度")

    def ready(self):
        from citymgmt import checks

        checks.register()  # check --deploy: an in-memory channel layer reaches one process only
