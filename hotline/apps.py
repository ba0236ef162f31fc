from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    """The 12319 hotline gateway."""

    name = "hotline"
    verbose_name = _("12319 热线")

    def ready(self):
        from dispatch.casefile import register_recording, register_section

        from . import casefile, media, outbox

        register_section(casefile.sms_section)  # the SMS about a case, on its page and printed file
        register_section(casefile.voice_section)  # the call a voice report came from
        register_recording(casefile.recording_player)  # its recording, played from our own storage

        def worker_pass():
            outbox.send_due()
            media.fetch_due()

        # The worker's loop (manage.py run_worker) calls this each pass.
        self.worker_job = worker_pass
