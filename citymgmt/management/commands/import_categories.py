from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from citymgmt.importers import DataFileError
from citymgmt.importers.categories import import_categories

DEFAULT_CSV = Path(__file__).resolve().parents[2] / "data" / "categories.csv"


class Command(BaseCommand):
    help = (
        "Import the category table (部件/事件分类) with time limits and default departments from a CSV file. "
        "Checks the whole file first; writes nothing if anything is wrong. Departments must exist already."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", default=str(DEFAULT_CSV), help="the .csv file (default: the shipped category table)"
        )

    def handle(self, *args, path, **options):
        try:
            summary = import_categories(path)
        except DataFileError as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError(f"{path}: {len(exc.problems)} problem(s); nothing was imported") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: {summary['categories']} categories ({summary['components']} components, "
                f"{summary['events']} events): {summary['created']} new, {summary['updated']} updated, "
                f"{summary['unchanged']} unchanged"
            )
        )
