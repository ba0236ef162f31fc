"""What the maps draw of the grid, read straight from the grid table (no shapely index to build):

- `compact_cells()`: every cell's outline as integer offsets (millionths of a degree, ~0.1 m) from
  an origin, delta-encoded along the ring: a quarter of the GeoJSON's bytes, and no object per
  cell for the browser to build;
- `areas()`: streets and communities as boundaries with their names, so that a map with no base
  map reads as a city, not a lattice. A boundary is every cell edge that no other cell of the same
  area shares (cells of an imported grid share their edges' vertices); joined into lines. This is
  linear in the cells: a union of 20,000 polygons took about a minute on a loaded machine.

Both work on arrays: the polygons are parsed by GEOS from the database's JSON text and their
vertices handled with numpy, so no Python object is made per vertex (for 20,000 cells, reading the
cells as Python objects was most of a second, half of it the garbage collector's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from django.db.models import TextField
from django.db.models.functions import Cast

from .models import GridCell

SCALE = 1_000_000  # coordinates as integers of 1e-6 degree
_POLYGON, _MULTIPOLYGON = 3, 6  # shapely's type ids


@dataclass
class _Grid:
    codes: list[str]
    centres: np.ndarray  # (cells, 2) lng, lat
    community: list[tuple[str, str]]  # (code, name) per cell
    street: list[tuple[str, str]]
    xy: np.ndarray  # every outer ring's vertices, ring after ring, (n, 2)
    ring_cell: np.ndarray  # the cell of each vertex's ring, per vertex
    ring_start: np.ndarray  # index into xy where each ring starts (one more entry: the end)


def _read() -> _Grid:
    rows = list(
        GridCell.objects.order_by("code")
        .annotate(geometry_text=Cast("geometry", TextField()))
        .values_list(
            "code",
            "geometry_text",
            "center_lng",
            "center_lat",
            "community__code",
            "community__name",
            "community__street__code",
            "community__street__name",
        )
    )
    texts = [r[1] if isinstance(r[1], str) else "null" for r in rows]
    shapes = shapely.from_geojson(texts, on_invalid="ignore") if rows else np.array([], dtype=object)
    # The outer ring of each polygon, or of each part of a multipolygon; anything else draws nothing.
    kind = shapely.get_type_id(shapes)
    polygons, multi = np.flatnonzero(kind == _POLYGON), np.flatnonzero(kind == _MULTIPOLYGON)
    parts, part_of = shapely.get_parts(shapes[multi], return_index=True)  # only where there are parts
    rings = shapely.get_exterior_ring(np.concatenate([shapes[polygons], parts]))
    ring_of = np.concatenate([polygons, multi[part_of]]).astype(np.int64)
    xy, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    ring_cell = ring_of[vertex_ring] if len(xy) else np.array([], dtype=np.int64)
    sizes = np.bincount(vertex_ring, minlength=len(rings)) if len(rings) else np.array([], dtype=np.int64)
    ring_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return _Grid(
        codes=[r[0] for r in rows],
        centres=np.array([(r[2], r[3]) for r in rows], dtype=float).reshape(-1, 2),
        community=[(r[4], r[5]) for r in rows],
        street=[(r[6], r[7]) for r in rows],
        xy=xy,
        ring_cell=ring_cell,
        ring_start=ring_start,
    )


def both() -> tuple[dict, dict]:
    """`compact_cells()` and `areas()` from one read of the grid."""
    g = _read()
    return compact_cells(g), areas(g)


def compact_cells(g: _Grid | None = None) -> dict:
    g = _read() if g is None else g
    if len(g.xy):
        # Python's int() truncates, as the page expects of the origin (a thousandth of a degree below).
        ox = (int(float(g.xy[:, 0].min()) * 1000) - 1) / 1000
        oy = (int(float(g.xy[:, 1].min()) * 1000) - 1) / 1000
    else:
        ox = oy = -0.001
    ints = np.rint((g.xy - (ox, oy)) * SCALE).astype(np.int64)
    deltas = ints.copy()
    deltas[1:] -= ints[:-1]  # delta along the ring; each ring's first vertex stays whole
    starts = g.ring_start[:-1]
    deltas[starts] = ints[starts]
    flat = deltas.ravel().tolist()
    rings: list[list] = [[] for _ in g.codes]
    ring_cells = g.ring_cell[starts].tolist() if len(starts) else []
    for cell, a, b in zip(ring_cells, starts.tolist(), g.ring_start[1:].tolist(), strict=True):
        rings[cell].append(flat[2 * a : 2 * b])
    names: dict[str, int] = {}
    community = [names.setdefault(name, len(names)) for _code, name in g.community]
    return {"scale": SCALE, "origin": [ox, oy], "codes": g.codes, "community": community,
            "communities": list(names), "rings": rings}  # fmt: skip


def areas(g: _Grid | None = None) -> dict:
    """Streets and communities as a GeoJSON FeatureCollection of (Multi)LineStrings: properties
    level, code, name, label ([lng, lat] of a point inside the area, for its name)."""
    g = _read() if g is None else g
    # Every edge of every ring, its ends as integers of 1e-7 degree, the smaller end first.
    pts = np.rint(g.xy * 1e7).astype(np.int64)
    same_ring = np.ones(len(pts), dtype=bool)
    same_ring[g.ring_start[1:-1] - 1] = False  # a ring's last vertex starts no edge
    first = np.flatnonzero(same_ring[:-1]) if len(pts) else np.array([], dtype=np.int64)
    a, b = pts[first], pts[first + 1]
    keep = (a != b).any(axis=1)
    a, b, edge_cell = a[keep], b[keep], g.ring_cell[first][keep]
    if not len(a):
        return {"type": "FeatureCollection", "features": []}
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    a[swap], b[swap] = b[swap], a[swap].copy()
    features = []
    for level, of_cell in (("community", g.community), ("street", g.street)):
        keys = sorted({code for code, _name in of_cell})
        number = {code: k for k, code in enumerate(keys)}
        names = dict(of_cell)
        cell_area = np.array([number[code] for code, _name in of_cell], dtype=np.int64)
        # An edge is on the boundary when no other cell of the same area has it.
        rows = np.column_stack([cell_area[edge_cell], a, b])
        rows = rows[np.lexsort(rows.T[::-1])]  # by area, then edge (np.unique by rows is 10× slower)
        starts = np.flatnonzero(np.concatenate([[True], (rows[1:] != rows[:-1]).any(axis=1)]))
        counts = np.diff(np.append(starts, len(rows)))
        outer = rows[starts[counts == 1]]
        # The label sits on the cell nearest the area's middle: always inside the area.
        n = np.bincount(cell_area, minlength=len(keys))
        mx = np.bincount(cell_area, g.centres[:, 0], len(keys)) / np.maximum(n, 1)
        my = np.bincount(cell_area, g.centres[:, 1], len(keys)) / np.maximum(n, 1)
        dist = (g.centres[:, 0] - mx[cell_area]) ** 2 + (g.centres[:, 1] - my[cell_area]) ** 2
        order = np.lexsort((np.arange(len(cell_area)), dist, cell_area))  # nearest, then first in code order
        label_cell = order[np.searchsorted(cell_area[order], np.arange(len(keys)))] if len(order) else order
        # Joined into long lines, without the vertices in the middle of straight runs.
        segments = shapely.linestrings(outer[:, 1:].reshape(-1, 2) / 1e7, indices=np.repeat(np.arange(len(outer)), 2))
        present, line_of_edge = np.unique(outer[:, 0], return_inverse=True)  # areas with a boundary
        lines = shapely.multilinestrings(segments, indices=line_of_edge) if len(outer) else []
        lines = shapely.simplify(shapely.line_merge(lines), 1e-7) if len(outer) else []
        for area, line in zip(present.tolist(), lines, strict=True):
            lx, ly = g.centres[label_cell[area]]
            features.append(
                {
                    "type": "Feature",
                    "geometry": shapely.geometry.mapping(line),
                    "properties": {
                        "level": level,
                        "code": keys[area],
                        "name": names[keys[area]],
                        "label": [round(float(lx), 6), round(float(ly), 6)],
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}
