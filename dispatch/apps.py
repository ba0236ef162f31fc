from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    """Cases: the workflow, the case event log, deadlines and warnings, the live board."""

    name = "dispatch"
    verbose_name = _("案件调度")

    def ready(self):
        from citymgmt import checks

        checks.register()  # check --deploy: an in-memory channel layer reaches one process only

        from . import photos

        # The worker's loop (manage.py run_worker) calls this each pass: thumbnails are made there,
        # not while a handset waits for its report's answer.
        self.worker_job = photos.make_due_thumbnails
