from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    """The Open311 GeoReport v2 door, API clients, status webhooks and the public report page."""

    name = "open311"
    verbose_name = _("Open311 接口")

    def ready(self):
        from . import media, webhooks

        def worker_pass():
            media.fetch_due()
            webhooks.deliver_due()

        # The worker's loop (manage.py run_worker) calls this each pass.
        self.worker_job = worker_pass
