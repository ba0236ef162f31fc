"""What the maps draw of the grid, read straight from the grid table (no shapely index to build):

- `compact_cells()`: every cell's outline as integer offsets (millionths of a degree, ~0.1 m) from
  an origin, delta-encoded along the ring: a quarter of the GeoJSON's bytes, and no object per
  cell for the browser to build;
- `areas()`: streets and communities as boundaries with their names, so that a map with no base
  map reads as a city, not a lattice. A boundary is every cell edge that no other cell of the same
  area shares (cells of an imported grid share their edges' vertices); joined into lines. This is
  linear in the cells: a union of 20,000 polygons took about a minute on a loaded machine.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import pairwise

import shapely

from .models import GridCell

SCALE = 1_000_000  # coordinates as integers of 1e-6 degree


def _rings(geometry) -> list[list]:
    """The outer rings of a GeoJSON Polygon or MultiPolygon ([] for anything else)."""
    if not isinstance(geometry, dict):
        return []
    if geometry.get("type") == "Polygon":
        return geometry["coordinates"][:1]
    if geometry.get("type") == "MultiPolygon":
        return [p[0] for p in geometry["coordinates"] if p]
    return []


def _cells():
    return GridCell.objects.order_by("code").values_list(
        "code",
        "geometry",
        "center_lng",
        "center_lat",
        "community__code",
        "community__name",
        "community__street__code",
        "community__street__name",
    )


def both() -> tuple[dict, dict]:
    """`compact_cells()` and `areas()` from one read of the grid (the read is most of the cost)."""
    cells = list(_cells())
    return compact_cells(cells), areas(cells)


def compact_cells(cells: list | None = None) -> dict:
    cells = list(_cells()) if cells is None else cells
    lngs = [c[0] for r in cells for ring in _rings(r[1]) for c in ring]
    lats = [c[1] for r in cells for ring in _rings(r[1]) for c in ring]
    ox = (int(min(lngs, default=0) * 1000) - 1) / 1000
    oy = (int(min(lats, default=0) * 1000) - 1) / 1000
    names: dict[str, int] = {}
    codes, community, rings = [], [], []
    for code, geometry, _x, _y, _cc, community_name, _sc, _sn in cells:
        out = []
        for ring in _rings(geometry):
            flat, px, py = [], 0, 0
            for k, (lng, lat, *_z) in enumerate(ring):
                x, y = round((lng - ox) * SCALE), round((lat - oy) * SCALE)
                flat += [x, y] if k == 0 else [x - px, y - py]  # delta along the ring
                px, py = x, y
            out.append(flat)
        codes.append(code)
        community.append(names.setdefault(community_name, len(names)))
        rings.append(out)
    return {"scale": SCALE, "origin": [ox, oy], "codes": codes, "community": community,
            "communities": list(names), "rings": rings}  # fmt: skip


def areas(cells: list | None = None) -> dict:
    """Streets and communities as a GeoJSON FeatureCollection of (Multi)LineStrings: properties
    level, code, name, label ([lng, lat] of a point inside the area, for its name)."""
    edges: dict[tuple, Counter] = defaultdict(Counter)
    names, centres = {}, defaultdict(list)
    for _code, geometry, cx, cy, cc, cn, sc, sn in _cells() if cells is None else cells:
        keys = (("street", sc), ("community", cc))
        names[keys[0]], names[keys[1]] = sn, cn
        for key in keys:
            centres[key].append((cx, cy))
        for ring in _rings(geometry):
            pts = [(round(p[0] * 1e7), round(p[1] * 1e7)) for p in ring]
            for a, b in pairwise(pts):
                if a != b:
                    edge = (a, b) if a < b else (b, a)
                    for key in keys:
                        edges[key][edge] += 1
    features = []
    for key in sorted(edges):
        outer = [[(a[0] / 1e7, a[1] / 1e7), (b[0] / 1e7, b[1] / 1e7)] for (a, b), n in edges[key].items() if n == 1]
        if not outer:
            continue
        # Joined into long lines, without the vertices in the middle of straight runs.
        lines = shapely.simplify(shapely.line_merge(shapely.MultiLineString(outer)), 1e-7)
        # The label sits on the cell nearest the area's middle: always inside the area.
        pts = centres[key]
        mx, my = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
        lx, ly = min(pts, key=lambda p: (p[0] - mx) ** 2 + (p[1] - my) ** 2)
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(lines),
                "properties": {
                    "level": key[0],
                    "code": key[1],
                    "name": names[key],
                    "label": [round(lx, 6), round(ly, 6)],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
