"""Locate a point (WGS-84 lng, lat) to its unit grid cell (单元网格).

The index lives in process memory, is built lazily on first use from every `GridCell`, and is
rebuilt when the grid changes:

- in this process, `invalidate()` (called by the GridCell post_save/post_delete signal and by the
  grid importer) drops it at once, and again when the surrounding transaction commits;
- other processes notice through a grid version number in Django's cache, bumped by
  `invalidate()`; `locate()` looks at it at most every `CHECK_INTERVAL` seconds, never per call.

How a point is found. A bare shapely `STRtree.query` costs ~15 µs a point (~65,000/s), too slow
for a stream of handset positions, so the index adds a bucket grid over the cells' extent (buckets
a quarter of a typical cell's side). When the index is built, every bucket is classified once with
shapely: covered by exactly one cell and touched by no other (~60 % of buckets: the answer is that
cell, no geometry test), crossing cell boundaries (a short list of candidate cells in code order,
tested with prepared polygons), or empty. A lookup is then a little arithmetic and, near
boundaries, one or two point-in-polygon tests (`bench/grid_lookup.py`: ~300,000 lookups/s on a
20,000-cell grid; building that index takes ~1.5 s).

The rule for points on shared edges and corners: among all cells whose polygon covers the point
(boundary included), the one with the smallest code wins. Outside every cell → None.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from array import array
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import DEFAULT_DB_ALIAS
from django.db.models import TextField
from django.db.models.functions import Cast

from .reloadable import SharedReloadable

try:  # the C ufunc itself: ~2 µs a call instead of ~3.5 µs through the Python wrapper
    from shapely.lib import intersects_xy as _intersects_xy
except ImportError:  # pragma: no cover - shapely moved it
    _intersects_xy = shapely.intersects_xy

log = logging.getLogger(__name__)

CHECK_INTERVAL = 3.0  # seconds between looks at the shared grid version
BUCKETS_PER_CELL_SIDE = 4
MAX_BUCKETS = 4_000_000  # 16 MB of int32; past that, buckets grow
_EPS = 1e-9  # degrees (0.1 mm): buckets are classified with this margin, far above float error
_POLYGON, _MULTIPOLYGON = int(shapely.GeometryType.POLYGON), int(shapely.GeometryType.MULTIPOLYGON)
_WIDE = 8  # candidate lists up to this long are deduplicated with numpy
_OFFSET = 0.3819660113  # bucket origin shifted off the cells' edges (regular grids align otherwise)


@dataclass(frozen=True, slots=True)
class CellInfo:
    """A located cell: its id and code, and the codes and names of its community, street, district."""

    cell_id: int
    cell_code: str
    community_code: str
    street_code: str
    district_code: str
    community_name: str
    street_name: str
    district_name: str
    # Row ids, so a write can point at the cell without reading it (cell_row).
    community_id: int | None = field(default=None, compare=False)
    street_id: int | None = field(default=None, compare=False)


class _Index:
    """An immutable snapshot of the grid. Safe to share between threads."""

    def __init__(self, infos: list[CellInfo], polygons: np.ndarray, version):
        # `infos` and `polygons` are in code order: a smaller position is a smaller code.
        self.version = version
        self.infos = infos
        self.polygons = polygons
        self.tree = shapely.STRtree(polygons)
        self.groups: list[tuple[int, ...]] = []
        self.nx = self.ny = 0
        self.x0 = self.y0 = self.inv_s = 0.0
        self.buckets = array("i")
        self.buckets_np = np.zeros(0, dtype=np.intc)
        self.group_rows = np.zeros((0, _WIDE), dtype=np.int64)
        if len(polygons):
            shapely.prepare(polygons)
            self._classify_buckets()

    # -- building ------------------------------------------------------------------------------

    def _classify_buckets(self):
        polys = self.polygons
        bounds = shapely.bounds(polys)
        minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
        maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
        sides = np.minimum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        sides = sides[sides > 0]
        s = float(np.median(sides)) / BUCKETS_PER_CELL_SIDE if len(sides) else 1e-4
        s = max(s, 1e-7)
        while True:
            x0, y0 = minx - s * _OFFSET, miny - s * _OFFSET
            nx = math.floor((maxx - x0) / s) + 2
            ny = math.floor((maxy - y0) / s) + 2
            if nx * ny <= MAX_BUCKETS:
                break
            s *= math.sqrt(nx * ny / MAX_BUCKETS) * 1.01

        # Every (cell, bucket) pair whose boxes overlap (with the margin).
        i0 = np.clip(np.floor((bounds[:, 0] - _EPS - x0) / s), 0, nx - 1).astype(np.int64)
        i1 = np.clip(np.floor((bounds[:, 2] + _EPS - x0) / s), 0, nx - 1).astype(np.int64)
        j0 = np.clip(np.floor((bounds[:, 1] - _EPS - y0) / s), 0, ny - 1).astype(np.int64)
        j1 = np.clip(np.floor((bounds[:, 3] + _EPS - y0) / s), 0, ny - 1).astype(np.int64)
        widths = i1 - i0 + 1
        per_cell = widths * (j1 - j0 + 1)
        cell_of = np.repeat(np.arange(len(polys)), per_cell)
        local = np.arange(per_cell.sum()) - np.repeat(np.cumsum(per_cell) - per_cell, per_cell)
        bi = i0[cell_of] + local % widths[cell_of]
        bj = j0[cell_of] + local // widths[cell_of]
        touched = np.zeros(nx * ny, dtype=bool)
        touched[bj * nx + bi] = True
        touched = np.flatnonzero(touched)

        codes = np.full(nx * ny, -1, dtype=np.int32)
        mixed_ids, mixed_rows = [], []  # buckets that need a test, and their candidates (padded with -1)
        long_lists: dict[int, tuple[int, ...]] = {}  # more than _WIDE candidates: kept as tuples
        for start in range(0, len(touched), 200_000):
            ids = touched[start : start + 200_000]
            bx = x0 + (ids % nx) * s
            by = y0 + (ids // nx) * s
            boxes = shapely.box(bx - _EPS, by - _EPS, bx + s + _EPS, by + s + _EPS)
            box_idx, cell_idx = self.tree.query(boxes, predicate="intersects")
            order = np.lexsort((cell_idx, box_idx))
            box_idx, cell_idx = box_idx[order], cell_idx[order]
            n_hits = np.bincount(box_idx, minlength=len(ids))
            first = np.searchsorted(box_idx, np.arange(len(ids)))
            # A bucket touched by one cell only, and covered by it: that cell, no test needed.
            single = np.flatnonzero(n_hits == 1)
            single_cell = cell_idx[first[single]]
            covered = shapely.covers(polys[single_cell], boxes[single])
            codes[ids[single[covered]]] = single_cell[covered]
            # Every other touched bucket: its candidates, in code order.
            mixed = np.concatenate([np.flatnonzero(n_hits > 1), single[~covered]])
            k, f = n_hits[mixed], first[mixed]
            for b in np.flatnonzero(k > _WIDE).tolist():
                long_lists[int(ids[mixed[b]])] = tuple(cell_idx[f[b] : f[b] + k[b]].tolist())
            narrow = k <= _WIDE
            mixed, k, f = mixed[narrow], k[narrow], f[narrow]
            rows = np.full((len(mixed), _WIDE), -1, dtype=np.int64)
            for r in range(int(k.max()) if len(k) else 0):
                has = k > r
                rows[has, r] = cell_idx[f[has] + r]
            mixed_ids.append(ids[mixed])
            mixed_rows.append(rows)
        groups: list[tuple[int, ...]] = []
        self.group_rows = np.zeros((0, _WIDE), dtype=np.int64)
        if mixed_ids:
            rows = np.concatenate(mixed_rows)
            unique_rows, inverse = np.unique(rows, axis=0, return_inverse=True)
            # The narrow groups as a padded matrix too: bulk lookups test (point, candidate) pairs at once.
            self.group_rows = unique_rows
            codes[np.concatenate(mixed_ids)] = -2 - inverse.reshape(-1)
            groups = [tuple(c for c in row if c >= 0) for row in unique_rows.tolist()]
        for bucket, cands in long_lists.items():
            codes[bucket] = -2 - len(groups)
            groups.append(cands)
        self.groups = groups
        self.nx, self.ny, self.x0, self.y0, self.inv_s = nx, ny, x0, y0, 1.0 / s
        # array.array for scalar lookups (fast, gives Python ints); a numpy view of the same memory for vectors.
        self.buckets = array("i")
        self.buckets.frombytes(codes.astype(np.intc).tobytes())
        self.buckets_np = np.frombuffer(self.buckets, dtype=np.intc)

    # -- lookups -------------------------------------------------------------------------------

    def locate(self, lng: float, lat: float) -> CellInfo | None:
        fx = (lng - self.x0) * self.inv_s
        fy = (lat - self.y0) * self.inv_s
        if not (0.0 <= fx < self.nx and 0.0 <= fy < self.ny):  # also false for NaN
            return None
        v = self.buckets[int(fy) * self.nx + int(fx)]
        if v >= 0:
            return self.infos[v]
        if v == -1:
            return None
        polygons = self.polygons
        for c in self.groups[-2 - v]:
            if _intersects_xy(polygons[c], lng, lat):
                return self.infos[c]
        return None

    def indices_many(self, lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """For each point, the position of its cell in `infos` (code order), or -1 outside every cell."""
        n = len(lng)
        out = np.full(n, -1, dtype=np.int64)
        if not n or not len(self.infos):
            return out
        with np.errstate(invalid="ignore"):
            fx = (lng - self.x0) * self.inv_s
            fy = (lat - self.y0) * self.inv_s
            inside = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)
        pos = np.flatnonzero(inside)
        v = self.buckets_np[fy[pos].astype(np.int64) * self.nx + fx[pos].astype(np.int64)]
        out[pos[v >= 0]] = v[v >= 0]
        mixed = v < -1
        rest, group = pos[mixed], (-2 - v[mixed]).astype(np.int64)
        # Near boundaries: every (point, candidate cell) pair of a narrow group tested at once with the
        # prepared polygons; candidates are in code order, so the smallest hit is the smallest code.
        narrow = group < len(self.group_rows)
        pts = rest[narrow]
        if len(pts):
            candidates = self.group_rows[group[narrow]]
            pair_pt, pair_col = np.nonzero(candidates >= 0)
            cells = candidates[pair_pt, pair_col]
            hit = _intersects_xy(self.polygons[cells], lng[pts[pair_pt]], lat[pts[pair_pt]])
            best = np.full(len(pts), len(self.infos), dtype=np.int64)
            np.minimum.at(best, pair_pt[hit], cells[hit])
            found = best < len(self.infos)
            out[pts[found]] = best[found]
        wide = rest[~narrow]  # long candidate lists (rare): the tree
        if len(wide):
            pt_idx, cell_idx = self.tree.query(shapely.points(lng[wide], lat[wide]), predicate="intersects")
            best = np.full(len(wide), len(self.infos), dtype=np.int64)
            np.minimum.at(best, pt_idx, cell_idx)
            found = best < len(self.infos)
            out[wide[found]] = best[found]
        return out

    def locate_many(self, lng: np.ndarray, lat: np.ndarray) -> list[CellInfo | None]:
        infos = self.infos
        return [infos[i] if i >= 0 else None for i in self.indices_many(lng, lat).tolist()]


# ---------------------------------------------------------------------------------------------- state


def _build(version) -> _Index:
    from city.models import GridCell

    started = time.perf_counter()
    # The polygon as JSON text straight from the database: GEOS parses it, Python never decodes it.
    rows = GridCell.objects.order_by("code").annotate(geometry_text=Cast("geometry", TextField()))
    rows = rows.values_list(
        "id",
        "code",
        "geometry_text",
        "community__code",
        "community__name",
        "community__street__code",
        "community__street__name",
        "community__street__district__code",
        "community__street__district__name",
        "community_id",
        "community__street_id",
    )
    infos, texts = [], []
    for cell_id, code, geometry, *hierarchy in rows.iterator(chunk_size=5000):
        cc, cn, sc, sn, dc, dn, community_id, street_id = hierarchy
        infos.append(CellInfo(cell_id, code, cc, sc, dc, cn, sn, dn, community_id, street_id))
        texts.append(geometry if isinstance(geometry, str) else "null")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shapes = shapely.from_geojson(texts, on_invalid="ignore") if texts else np.array([], dtype=object)
    usable = np.isin(shapely.get_type_id(shapes), (_POLYGON, _MULTIPOLYGON)) & ~shapely.is_empty(shapes)
    for k in np.flatnonzero(~usable).tolist():
        log.warning("grid: cell %s has no usable polygon; skipped", infos[k].cell_code)
    if not usable.all():
        infos = [info for info, ok in zip(infos, usable.tolist(), strict=True) if ok]
        shapes = shapes[usable]
    index = _Index(infos, shapes, version)
    log.info("grid: index of %d cells built in %.2f s", len(infos), time.perf_counter() - started)
    return index


# Rebuilt when the grid changes here or in another process (see city.reloadable).
shared = SharedReloadable("grid", lambda version: _build(version), check_interval=CHECK_INTERVAL)


def invalidate(using: str = DEFAULT_DB_ALIAS):
    """The grid changed: rebuild the index on next use, here and elsewhere."""
    shared.invalidate(using)


def locate(lng: float, lat: float) -> CellInfo | None:
    """The grid cell covering (lng, lat), WGS-84; None outside every cell."""
    return shared.get().locate(lng, lat)


def cell_row(info: CellInfo):
    """The located cell as a GridCell with its community and street, made from the index (no query):
    enough for a case's foreign key and for showing its code and names. Other fields load on use."""
    from city.models import Community, GridCell, Street

    street = _partial(Street, id=info.street_id, code=info.street_code, name=info.street_name)
    community = _partial(
        Community, id=info.community_id, street_id=info.street_id, code=info.community_code, name=info.community_name
    )
    community.street = street
    cell = _partial(GridCell, id=info.cell_id, community_id=info.community_id, code=info.cell_code)
    cell.community = community
    return cell


def _partial(model, **values):
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[n] for n in names])


def locate_many(points) -> list[CellInfo | None]:
    """`locate` for many points at once: a sequence of (lng, lat) pairs or an (n, 2) array."""
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    return shared.get().locate_many(np.ascontiguousarray(arr[:, 0]), np.ascontiguousarray(arr[:, 1]))


def cell_indices(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, list[CellInfo]]:
    """`locate` in bulk without a Python object per point: each point's position in the returned
    cell list (one snapshot of the grid, in code order), or -1 outside every cell."""
    index = shared.get()
    lng = np.ascontiguousarray(lng, dtype=float)
    lat = np.ascontiguousarray(lat, dtype=float)
    return index.indices_many(lng, lat), index.infos


def city_extent() -> dict | None:
    """The grid's bounding box and centre, for fitting a map to the city."""
    from django.db.models import Max, Min

    from .models import GridCell

    b = GridCell.objects.aggregate(
        min_lng=Min("min_lng"), min_lat=Min("min_lat"), max_lng=Max("max_lng"), max_lat=Max("max_lat")
    )
    if b["min_lng"] is None:
        return None
    return {**b, "center": [(b["min_lat"] + b["max_lat"]) / 2, (b["min_lng"] + b["max_lng"]) / 2]}
