"""Import unit grid cells (单元网格) from a GeoJSON FeatureCollection.

Each feature is one cell: a Polygon or MultiPolygon in WGS-84 (lng, lat) and properties
`code` (14 or 15 digits: county 6 + street 3 + community 3 + cell 2 or 3), `community_name`,
`street_name`, `district_name`. The district, street and community rows are created (or renamed)
from the code's prefixes (6, 9, 12 digits) and those names.

The whole file is checked first and every problem is reported at once (DataFileError); only a
clean file is written, in one transaction. Re-importing the same file changes nothing; cells that
exist but are not in the file are left alone.
"""

from __future__ import annotations

import json
import math
import re

import shapely
from django.db import transaction
from shapely.validation import explain_validity

from city import grid
from city.models import Community, District, GridCell, Street

from . import DataFileError, read_text

CODE_RE = re.compile(r"[0-9]{14,15}")
NAME_FIELDS = ("district_name", "street_name", "community_name")
LEVELS = (("district", 6), ("street", 9), ("community", 12))
MAX_PROBLEMS = 1000  # past this many, the list says how many more there were

# WGS-84 ellipsoid, for the local equal-area projection of each cell.
_WGS84_A = 6378137.0
_WGS84_E2 = 0.00669437999014


def import_grid(path_or_file) -> dict:
    """Validate and import a grid file (a path, or an open text/binary file). Returns counts."""
    cells, names = _validate(_read(path_or_file))
    with transaction.atomic():
        summary = _write(cells, names)
        grid.invalidate()
    return summary


# ---------------------------------------------------------------------------------------------- reading


def _read(path_or_file):
    try:
        return json.loads(read_text(path_or_file), parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        raise DataFileError([f"not valid JSON: {exc}"]) from exc


def _reject_constant(name):
    raise ValueError(f"{name} is not allowed in JSON")


# ---------------------------------------------------------------------------------------------- checking


def _validate(data) -> tuple[list[dict], dict]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DataFileError(['not a GeoJSON FeatureCollection (top-level "type" must be "FeatureCollection")'])
    features = data.get("features")
    if not isinstance(features, list):
        raise DataFileError(['the FeatureCollection has no "features" list'])
    if not features:
        raise DataFileError(["the FeatureCollection has no features"])

    problems: list[str] = []
    cells: list[dict] = []
    first_seen: dict[str, int] = {}
    # code prefix → (name, feature index that set it), per level
    names: dict[str, dict[str, tuple[str, int]]] = {level: {} for level, _ in LEVELS}

    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        raw_code = props.get("code") if isinstance(props, dict) else None
        where = f"feature {i} (code {raw_code!r})" if raw_code is not None else f"feature {i} (no code)"
        own: list[str] = []

        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(f'{where}: not a GeoJSON Feature (its "type" must be "Feature")')
            continue
        if not isinstance(props, dict):
            problems.append(f"{where}: no properties object")
            continue

        code = _check_code(raw_code, own)
        if code is not None:
            if code in first_seen:
                own.append(f"duplicate code: feature {first_seen[code]} has the same code")
            else:
                first_seen[code] = i
        cell_names = {}
        for field in NAME_FIELDS:
            value = props.get(field)
            if not isinstance(value, str) or not value.strip():
                own.append(f'"{field}" is missing or empty')
            elif len(value.strip()) > 100:
                own.append(f'"{field}" is longer than 100 characters')
            else:
                cell_names[field] = value.strip()
        polygon, geometry = _check_geometry(feature.get("geometry"), own)

        if code is not None and len(cell_names) == len(NAME_FIELDS):
            for (level, width), field in zip(LEVELS, NAME_FIELDS, strict=True):
                prefix, name = code[:width], cell_names[field]
                seen = names[level].setdefault(prefix, (name, i))
                if seen[0] != name:
                    own.append(
                        f'{field} "{name}" differs from "{seen[0]}" given to {level} {prefix} by feature {seen[1]}'
                    )
        problems.extend(f"{where}: {p}" for p in own)
        if not own:
            cells.append({"index": i, "code": code, "names": cell_names, "polygon": polygon, "geometry": geometry})

    if problems:
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS], f"… and {len(problems) - MAX_PROBLEMS} more problems"]
        raise DataFileError(problems)
    return cells, {level: {prefix: name for prefix, (name, _) in d.items()} for level, d in names.items()}


def _check_code(raw, own) -> str | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        own.append('"code" is missing or not a string')
        return None
    code = raw.strip()
    if not CODE_RE.fullmatch(code):
        own.append(f"bad code {raw!r}: must be 14 or 15 digits (county 6, street 3, community 3, cell 2–3)")
        return None
    return code


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _check_ring(ring, label, own) -> list[list[float]] | None:
    if not isinstance(ring, list) or len(ring) < 4:
        own.append(f"{label}: a ring needs at least 4 positions")
        return None
    out = []
    for k, pos in enumerate(ring):
        if not isinstance(pos, list) or len(pos) < 2 or not all(_is_number(v) for v in pos[:3]):
            own.append(f"{label}, position {k}: not a [lng, lat] pair of numbers")
            return None
        lng, lat = float(pos[0]), float(pos[1])
        if not (-180.0 <= lng <= 180.0 and -90.0 <= lat <= 90.0):
            own.append(
                f"{label}, position {k}: coordinate out of range ({lng}, {lat}): lng must be -180..180, lat -90..90"
            )
            return None
        out.append([lng, lat])
    if out[0] != out[-1]:
        own.append(f"{label}: the ring is not closed (first and last positions differ)")
        return None
    return out


def _check_geometry(geometry, own):
    if not isinstance(geometry, dict):
        own.append("no geometry")
        return None, None
    gtype = geometry.get("type")
    coords = geometry.get("coordinates")
    if gtype not in ("Polygon", "MultiPolygon"):
        own.append(f"geometry is {gtype!r}, must be a Polygon or MultiPolygon")
        return None, None
    polys = [coords] if gtype == "Polygon" else coords
    if not isinstance(polys, list) or not polys:
        own.append(f"{gtype} has no coordinates")
        return None, None
    clean = []
    for p, rings in enumerate(polys):
        prefix = "" if gtype == "Polygon" else f"polygon {p}, "
        if not isinstance(rings, list) or not rings:
            own.append(f"{prefix}no rings")
            return None, None
        checked = [_check_ring(ring, f"{prefix}ring {r}", own) for r, ring in enumerate(rings)]
        if any(ring is None for ring in checked):
            return None, None
        clean.append(checked)
    clean_geometry = {"type": gtype, "coordinates": clean[0] if gtype == "Polygon" else clean}
    polygon = shapely.geometry.shape(clean_geometry)
    if not polygon.is_valid:
        own.append(f"invalid geometry: {explain_validity(polygon)}")
        return None, None
    if polygon.is_empty or polygon.area == 0:
        own.append("the polygon has no area")
        return None, None
    return polygon, clean_geometry


# ---------------------------------------------------------------------------------------------- writing


def area_m2(polygon) -> float:
    """Area in m² through a local equal-area projection at the polygon's latitude.

    x = N·cos φ0·λ, y = M·φ (N, M the WGS-84 radii of curvature at φ0): exact to well under 0.1 %
    over a few kilometres, plenty for ~100 m cells.
    """
    minx, miny, maxx, maxy = polygon.bounds
    lng0, phi0 = (minx + maxx) / 2, math.radians((miny + maxy) / 2)
    w = 1 - _WGS84_E2 * math.sin(phi0) ** 2
    n = _WGS84_A / math.sqrt(w)
    m = _WGS84_A * (1 - _WGS84_E2) / w**1.5
    kx = math.radians(1) * n * math.cos(phi0)
    ky = math.radians(1) * m
    lat0 = (miny + maxy) / 2
    projected = shapely.transform(polygon, lambda c: (c - [lng0, lat0]) * [kx, ky])
    return float(projected.area)


def _cell_fields(cell) -> dict:
    polygon = cell["polygon"]
    minx, miny, maxx, maxy = polygon.bounds
    centre = polygon.centroid
    if not polygon.covers(centre):  # a concave cell: a point surely inside instead
        centre = polygon.point_on_surface()
    return {
        "geometry": cell["geometry"],
        "area_m2": round(area_m2(polygon), 2),
        "min_lng": minx,
        "min_lat": miny,
        "max_lng": maxx,
        "max_lat": maxy,
        "center_lng": round(centre.x, 7),
        "center_lat": round(centre.y, 7),
    }


def _upsert(model, rows: dict[str, dict], counts: dict, label: str) -> dict[str, object]:
    """Create or update `model` rows keyed by code; returns code → instance."""
    existing = {obj.code: obj for obj in model.objects.filter(code__in=list(rows))}
    new, changed = [], []
    for code, fields in rows.items():
        obj = existing.get(code)
        if obj is None:
            new.append(model(code=code, **fields))
            continue
        dirty = False
        for name, value in fields.items():
            attr = name + "_id" if name in ("district", "street", "community") else name
            current = getattr(obj, attr)
            target = value.pk if attr != name else value
            if current != target:
                setattr(obj, name, value)
                dirty = True
        if dirty:
            changed.append(obj)
    model.objects.bulk_create(new, batch_size=500)
    if changed:
        model.objects.bulk_update(changed, list(next(iter(rows.values())).keys()), batch_size=500)
    counts[f"{label}_created"] = len(new)
    counts[f"{label}_updated"] = len(changed)
    return {obj.code: obj for obj in model.objects.filter(code__in=list(rows))}


def _write(cells: list[dict], names: dict) -> dict:
    summary: dict = {"cells": len(cells)}
    districts = _upsert(District, {c: {"name": n} for c, n in names["district"].items()}, summary, "districts")
    streets = _upsert(
        Street,
        {c: {"name": n, "district": districts[c[:6]]} for c, n in names["street"].items()},
        summary,
        "streets",
    )
    communities = _upsert(
        Community,
        {c: {"name": n, "street": streets[c[:9]]} for c, n in names["community"].items()},
        summary,
        "communities",
    )
    rows = {}
    for cell in cells:
        fields = _cell_fields(cell)
        fields["community"] = communities[cell["code"][:12]]
        rows[cell["code"]] = fields
    _upsert_cells(rows, summary)
    summary["districts"] = len(districts)
    summary["streets"] = len(streets)
    summary["communities"] = len(communities)
    return summary


def _upsert_cells(rows: dict[str, dict], summary: dict):
    existing = {}
    codes = list(rows)
    for start in range(0, len(codes), 2000):
        for obj in GridCell.objects.filter(code__in=codes[start : start + 2000]):
            existing[obj.code] = obj
    new, changed = [], []
    field_names = ["community", *(k for k in next(iter(rows.values())) if k != "community")]
    for code, fields in rows.items():
        obj = existing.get(code)
        if obj is None:
            new.append(GridCell(code=code, **fields))
            continue
        dirty = obj.community_id != fields["community"].pk
        for name in field_names[1:]:
            if not _same(getattr(obj, name), fields[name]):
                dirty = True
        if dirty:
            for name, value in fields.items():
                setattr(obj, name, value)
            changed.append(obj)
    GridCell.objects.bulk_create(new, batch_size=500)
    if changed:
        GridCell.objects.bulk_update(changed, field_names, batch_size=500)
    summary["cells_created"] = len(new)
    summary["cells_updated"] = len(changed)
    summary["cells_unchanged"] = len(rows) - len(new) - len(changed)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
    return a == b
