"""What the maps draw of the grid, from the in-memory grid index (city.grid), not the database:

- `compact_cells()`: every cell's outline as integer offsets (millionths of a degree, ~0.1 m) from
  an origin, delta-encoded along the ring: a fifth of the GeoJSON's bytes, and no object per cell
  for the browser to build;
- `areas()`: streets and communities as boundaries with their names (the union of their cells,
  simplified to about a metre) and a point inside each for the label, so that a map with no base
  map reads as a city, not a lattice.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import shapely

from . import grid

SCALE = 1_000_000  # coordinates as integers of 1e-6 degree
SIMPLIFY_DEG = 1e-5  # ~1 m: boundaries lose the cells' shared vertices, not their shape


def compact_cells() -> dict:
    index = grid.shared.get()
    polys = index.polygons
    infos = index.infos
    if not len(polys):
        return {"version": str(index.version), "scale": SCALE, "origin": [0, 0], "codes": [], "community": [],
                "communities": [], "rings": []}  # fmt: skip
    parts, part_of = shapely.get_parts(polys, return_index=True)
    coords, ring_of = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    origin = np.floor(coords.min(axis=0) * 1000) / 1000
    ints = np.rint((coords - origin) * SCALE).astype(np.int64)
    # Delta along each ring: the first point absolute (from the origin), the others from the previous.
    deltas = ints.copy()
    same = np.r_[False, ring_of[1:] == ring_of[:-1]]
    deltas[same] = ints[same] - ints[np.flatnonzero(same) - 1]
    starts = np.r_[0, np.flatnonzero(ring_of[1:] != ring_of[:-1]) + 1, len(ring_of)]
    rings: list[list[list[int]]] = [[] for _ in range(len(polys))]
    flat = deltas.reshape(-1).tolist()
    for r in range(len(starts) - 1):
        a, b = starts[r], starts[r + 1]
        rings[part_of[ring_of[a]]].append(flat[2 * a : 2 * b])
    names: dict[str, int] = {}
    community = [names.setdefault(i.community_name, len(names)) for i in infos]
    return {
        "version": str(index.version),
        "scale": SCALE,
        "origin": [float(origin[0]), float(origin[1])],
        "codes": [i.cell_code for i in infos],
        "community": community,
        "communities": list(names),
        "rings": rings,
    }


def _round(geometry) -> dict:
    return shapely.geometry.mapping(shapely.set_precision(geometry, 1e-6))


def areas() -> dict:
    """Streets and communities as a GeoJSON FeatureCollection: properties level, code, name,
    label ([lng, lat] inside the area)."""
    index = grid.shared.get()
    by_area: dict[tuple, list[int]] = defaultdict(list)
    names = {}
    for k, info in enumerate(index.infos):
        by_area[("street", info.street_code)].append(k)
        by_area[("community", info.community_code)].append(k)
        names[("street", info.street_code)] = info.street_name
        names[("community", info.community_code)] = info.community_name
    features = []
    for (level, code), members in sorted(by_area.items()):
        # Snapping to 0.1 m closes the hairline gaps between neighbouring cells' edges.
        shape = shapely.union_all(index.polygons[members], grid_size=1e-6)
        shape = shape.simplify(SIMPLIFY_DEG, preserve_topology=True)
        if shape.is_empty:
            continue
        label = shape.point_on_surface()
        features.append(
            {
                "type": "Feature",
                "geometry": _round(shape),
                "properties": {
                    "level": level,
                    "code": code,
                    "name": names[(level, code)],
                    "label": [round(label.x, 6), round(label.y, 6)],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
