from django.core.management.base import BaseCommand, CommandError

from city.demo.seed import seed_city
from city.importers import DataFileError

from ... import photos
from ...demo import seed_cases


class Command(BaseCommand):
    """The demo city is reference data (city.demo); its case history goes through the workflow, so the
    command lives with the cases."""

    help = "Build the demo city (Baiyin District): grid, departments, categories, staff, gazetteer. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo12319", help="password of every demo account (new ones)")
        parser.add_argument("--cases", type=int, default=0, help="also create N cases through the real workflow")

    def handle(self, *args, password, cases, **options):
        try:
            created = seed_city(password)
        except DataFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"demo city ready: {created}")
        if cases:
            made = seed_cases(cases)
            self.stdout.write(f"demo cases created: {made}")
            # The demo runs no worker (scripts/demo): make the history's thumbnails here.
            while photos.make_due_thumbnails():
                pass
