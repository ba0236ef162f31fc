"""Describing a point (city.gazetteer.describe_point / nearest_place) against a same-run baseline:
a scan over every place with the same distance formula (what the index replaces).

    python bench/place_lookup.py [--places N] [--points N]

Sets itself up: DEBUG=1, a throwaway SQLite file, migrations, the demo grid (2,250 cells) and N
places at random in it. Prints figures; asserts nothing about time (it does check that the index
and the scan name the same place for every point).
"""

import argparse
import io
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import setup


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, default=5000)
    parser.add_argument("--points", type=int, default=20000)
    args = parser.parse_args()
    setup("sqlite", "citymgmt-bench-places")

    import numpy as np

    from city import gazetteer, grid
    from city.demo.grid import demo_grid_features
    from city.importers.grid import import_grid
    from city.models import GridCell, Place

    import_grid(io.StringIO(json.dumps(demo_grid_features())))
    ext = [GridCell.objects.order_by(f).values_list(f, flat=True).first() for f in ("min_lng", "min_lat")]
    ext += [GridCell.objects.order_by(f"-{f}").values_list(f, flat=True).first() for f in ("max_lng", "max_lat")]
    minx, miny, maxx, maxy = ext
    rng = np.random.default_rng(12319)
    xs = minx + rng.random(args.places) * (maxx - minx)
    ys = miny + rng.random(args.places) * (maxy - miny)
    Place.objects.bulk_create(
        Place(name=f"地名{k:05d}", kind="landmark", lng=float(x), lat=float(y))
        for k, (x, y) in enumerate(zip(xs, ys, strict=True))
    )
    gazetteer.invalidate()
    grid.locate(minx, miny)  # build the grid index outside the timings

    started = time.perf_counter()
    index = gazetteer.shared.get()
    build_s = time.perf_counter() - started
    px = (minx + rng.random(args.points) * (maxx - minx)).tolist()
    py = (miny + rng.random(args.points) * (maxy - miny)).tolist()

    started = time.perf_counter()
    near = [gazetteer.nearest_place(x, y) for x, y in zip(px, py, strict=True)]
    nearest_s = time.perf_counter() - started
    started = time.perf_counter()
    texts = [gazetteer.describe_point(x, y).text for x, y in zip(px, py, strict=True)]
    describe_s = time.perf_counter() - started

    # Baseline: every place looked at for every point (fewer points: it is slow).
    m = min(args.points, 1000)
    places = index.places
    kx, ky = index.kx * gazetteer.BUCKET_M, index.ky * gazetteer.BUCKET_M  # metres per degree
    started = time.perf_counter()
    scan = []
    for x, y in zip(px[:m], py[:m], strict=True):
        best = min(places, key=lambda p, x=x, y=y: (((p.lng - x) * kx) ** 2 + ((p.lat - y) * ky) ** 2, p.name))
        d = math.hypot((best.lng - x) * kx, (best.lat - y) * ky)
        scan.append(best.name if d <= gazetteer.NEAR_M else None)
    scan_s = time.perf_counter() - started
    assert scan == [n[0].name if n else None for n in near[:m]], "index and scan disagree"

    named = sum(1 for n in near if n)
    share = f"{named / args.points:.0%} within {gazetteer.NEAR_M:.0f} m of a place"
    print(f"places: {len(places):,}; points: {args.points:,} ({share})")
    print(f"index build (names, initials, buckets):  {build_s * 1000:8.1f} ms")
    print(f"nearest_place, index:                    {nearest_s / args.points * 1e6:8.1f} µs a point")
    print(f"describe_point (grid + place + text):    {describe_s / args.points * 1e6:8.1f} µs a point")
    print(f"baseline, scan of every place:           {scan_s / m * 1e6:8.1f} µs a point")
    print(f"example: {texts[0]!r}")


if __name__ == "__main__":
    main()
