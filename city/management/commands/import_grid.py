from django.core.management.base import BaseCommand

from city.importers import import_or_fail
from city.importers.grid import import_grid


class Command(BaseCommand):
    help = (
        "Import unit grid cells from a GeoJSON FeatureCollection (properties: code, community_name, "
        "street_name, district_name). Checks the whole file first; writes nothing if anything is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .geojson file")

    def handle(self, *args, path, **options):
        summary = import_or_fail(import_grid, path, self.stderr)
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: {summary['cells']} cells ({summary['cells_created']} new, "
                f"{summary['cells_updated']} updated, {summary['cells_unchanged']} unchanged) in "
                f"{summary['districts']} district(s), {summary['streets']} street(s), "
                f"{summary['communities']} communities"
            )
        )
