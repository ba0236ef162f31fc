from django.core.management.base import BaseCommand

from city.importers import import_or_fail
from city.importers.categories import SHIPPED_TABLE, import_categories


class Command(BaseCommand):
    help = (
        "Import the category table (部件/事件分类) with time limits and default departments from a CSV file. "
        "Checks the whole file first; writes nothing if anything is wrong. Departments must exist already."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", default=str(SHIPPED_TABLE), help="the .csv file (default: the shipped category table)"
        )

    def handle(self, *args, path, **options):
        summary = import_or_fail(import_categories, path, self.stderr)
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: {summary['categories']} categories ({summary['components']} components, "
                f"{summary['events']} events): {summary['created']} new, {summary['updated']} updated, "
                f"{summary['unchanged']} unchanged"
            )
        )
