"""The Procfile's worker: a plain loop, as healthchecks' `sendalerts`.

Each pass turns the warning lights of cases whose stage crossed the yellow share of its limit or
its due time, then takes the automatic levers (催办 on red, 督办 when red lasts, overdue orders).
Several workers may run: each light change takes the case's row lock and re-reads it, and each
automatic step is claimed with a conditional UPDATE, so a change is logged once.
"""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from dispatch.services import cases_with_light_change, escalation_pass, record_light_change

logger = logging.getLogger(__name__)


def scan_once(now=None) -> int:
    """One pass: lights, then the automatic urges, escalations and overdue supervision orders;
    returns how many events were written."""
    now = now or timezone.now()
    changed = sum(record_light_change(case_id, now) is not None for case_id in cases_with_light_change(now))
    return changed + escalation_pass(now)


class Command(BaseCommand):
    help = "Run background work: warning lights (and, as other apps add them, their periodic jobs)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=15.0, help="seconds between passes")
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *args, interval, once, **options):
        while True:
            started = time.monotonic()
            try:
                changed = scan_once()
                for job in periodic_jobs():
                    job()
                if changed:
                    logger.info("warning lights changed: %d", changed)
            except Exception:
                logger.exception("worker pass failed; trying again next pass")
            finally:
                close_old_connections()
            if once:
                return
            time.sleep(max(0.0, interval - (time.monotonic() - started)))


def periodic_jobs():
    """Other apps' periodic work (e.g. the hotline's outbox), discovered so this loop stays the one loop."""
    from django.apps import apps

    jobs = []
    for config in apps.get_app_configs():
        job = getattr(config, "worker_job", None)
        if job is not None:
            jobs.append(job)
    return jobs
