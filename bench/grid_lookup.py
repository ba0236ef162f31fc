"""Grid lookup throughput: city.grid.locate / locate_many against a bare shapely STRtree.

    python bench/grid_lookup.py [--points N] [--cells N]

Sets itself up: DEBUG=1, a throwaway SQLite file, migrations. Prints figures; asserts nothing
about time (it does check that locate and the baseline agree on every point).
"""

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DB_PATH = Path(tempfile.gettempdir()) / "citymgmt-bench-grid.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymgmt.settings")
os.environ["DEBUG"] = "1"
os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.pop("REDIS_URL", None)

for suffix in ("", "-wal", "-shm"):
    Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)

import django

django.setup()

import numpy as np
import shapely
from django.core.management import call_command

from city import grid
from city.demo.grid import demo_grid_features, synthetic_grid_features
from city.importers.grid import import_grid
from city.models import Community, District, GridCell, Street


def rate(n, seconds):
    return f"{n / seconds:>12,.0f}/s"


def points(rng, extent, n, outside_share):
    minx, miny, maxx, maxy = extent
    w, h = maxx - minx, maxy - miny
    xs = minx + rng.random(n) * w
    ys = miny + rng.random(n) * h
    k = int(n * outside_share)
    if k:  # a box three times as wide and high: most of these fall outside the grid
        xs[:k] = minx - w + rng.random(k) * 3 * w
        ys[:k] = miny - h + rng.random(k) * 3 * h
        rng.shuffle(order := np.arange(n))
        xs, ys = xs[order], ys[order]
    return xs, ys


def bench_grid(label, features, n_points):
    print(f"\n== {label}: {len(features['features']):,} cells")
    GridCell.objects.all().delete()
    Community.objects.all().delete()
    Street.objects.all().delete()
    District.objects.all().delete()
    t = time.perf_counter()
    import_grid(io.StringIO(json.dumps(features)))
    print(f"import_grid                  {time.perf_counter() - t:8.2f} s")

    grid.invalidate()
    t = time.perf_counter()
    grid.locate(0.0, 0.0)
    print(f"index build (locate's first) {time.perf_counter() - t:8.2f} s")
    index = grid.shared.value
    print(
        f"  buckets {index.nx}x{index.ny}, {np.mean(index.buckets_np >= 0):.0%} answer without a test, "
        f"{np.mean(index.buckets_np < -1):.0%} need one, {len(index.groups):,} candidate lists"
    )

    # Baseline: the same polygons in a bare STRtree, no wrapper, one query per point.
    rows = list(GridCell.objects.order_by("code").values_list("code", "geometry"))
    codes = [code for code, _ in rows]
    polys = [shapely.geometry.shape(geometry) for _, geometry in rows]
    t = time.perf_counter()
    tree = shapely.STRtree(polys)
    tree.query(shapely.Point(0, 0))
    print(f"bare STRtree build           {time.perf_counter() - t:8.2f} s")

    extent = shapely.total_bounds(np.array(polys, dtype=object))
    rng = np.random.default_rng(12319)
    for mix_label, outside in (("inside the extent", 0.0), ("50% outside", 0.5)):
        xs, ys = points(rng, extent, n_points, outside)
        pts = list(zip(xs.tolist(), ys.tolist(), strict=True))
        print(f"-- {n_points:,} random points, {mix_label}")

        locate = grid.locate
        t = time.perf_counter()
        got = [locate(x, y) for x, y in pts]
        print(f"locate()                     {rate(n_points, time.perf_counter() - t)}")

        t = time.perf_counter()
        many = grid.locate_many(np.column_stack([xs, ys]))
        print(f"locate_many()                {rate(n_points, time.perf_counter() - t)}")

        point, query = shapely.Point, tree.query
        t = time.perf_counter()
        base = [query(point(x, y), predicate="intersects") for x, y in pts]
        print(f"baseline STRtree.query loop  {rate(n_points, time.perf_counter() - t)}")

        t = time.perf_counter()
        tree.query(shapely.points(xs, ys), predicate="intersects")
        print(f"baseline STRtree vectorized  {rate(n_points, time.perf_counter() - t)}")

        found = sum(g is not None for g in got)
        expected = [min(b) if len(b) else None for b in base]
        cells = [i.cell_code if i else None for i in got]
        agree = cells == [codes[k] if k is not None else None for k in expected]
        agree_many = cells == [i.cell_code if i else None for i in many]
        print(f"  {found:,} points in a cell; locate == baseline: {agree}; locate_many == locate: {agree_many}")
        if not (agree and agree_many):
            raise SystemExit("MISMATCH between locate and the baseline")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--cells", type=int, default=20_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"python {sys.version.split()[0]}, shapely {shapely.__version__}, numpy {np.__version__}")
    for label, features in (
        ("demo grid (Baiyin District)", demo_grid_features()),
        (f"synthetic grid of {args.cells:,}", synthetic_grid_features(args.cells)),
    ):
        bench_grid(label, features, args.points)
