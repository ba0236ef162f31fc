"""The demo city's grid, and synthetic grids for benchmarks, as GeoJSON FeatureCollections.

Demo: Baiyin District 白银区 (county code 620402), Baiyin, Gansu, centred on 36.545°N 104.17°E.
Cells are ≈ 100 m × 100 m. The five streets (街道) are vertical strips of 10 columns, west to
east; each street holds five communities (社区) of 9 rows, north to south; inside a community the
90 cells are numbered 01..90 row by row from its north-west corner. The street and community
names are Baiyin's or made up to sound like them; the geometry is a regular grid, not a survey.
"""

import math

DEMO_DISTRICT = ("620402", "白银区")
DEMO_CENTER = (104.17, 36.545)  # lng, lat
CELL_SIZE_M = 100.0
LAT_STEP = 0.000899  # 100 m of latitude
COLS_PER_STREET = 10
ROWS_PER_COMMUNITY = 9

DEMO_STREETS = [
    ("人民路街道", ["金鱼社区", "水川路社区", "人民路社区", "五一街社区", "银光社区"]),
    ("公园路街道", ["公园路社区", "兰州路社区", "北京路社区", "友好路社区", "银西社区"]),
    ("四龙路街道", ["四龙路社区", "诚信社区", "银山社区", "矿山社区", "西区社区"]),
    ("工农路街道", ["工农路社区", "银东社区", "南苑社区", "建设路社区", "东山社区"]),
    ("纺织路街道", ["纺织路社区", "大坝社区", "新华社区", "团结社区", "长通社区"]),
]


def lng_step(lat: float, metres: float = CELL_SIZE_M) -> float:
    return metres / (111320.0 * math.cos(math.radians(lat)))


def _cell_feature(code, lng0, lat0, lng1, lat1, community_name, street_name, district_name):
    ring = [[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "code": code,
            "community_name": community_name,
            "street_name": street_name,
            "district_name": district_name,
        },
    }


def _edges(origin: float, step: float, n: int) -> list[float]:
    # Rounded to 1e-7° (~1 cm) once, so neighbours share exactly the same vertex values.
    return [round(origin + k * step, 7) for k in range(n + 1)]


def demo_grid_features(
    cols: int = 50,
    rows: int = 45,
    *,
    center_lng: float = DEMO_CENTER[0],
    center_lat: float = DEMO_CENTER[1],
    district: tuple[str, str] = DEMO_DISTRICT,
) -> dict:
    """The demo district's grid: `cols` × `rows` cells (default 50 × 45 = 2,250)."""
    dx = lng_step(center_lat)
    xs = _edges(center_lng - cols * dx / 2, dx, cols)
    ys = _edges(center_lat + rows * LAT_STEP / 2, -LAT_STEP, rows)  # north to south
    district_code, district_name = district
    features = []
    for col in range(cols):
        s, col_in_street = divmod(col, COLS_PER_STREET)
        street_name, community_names = DEMO_STREETS[s] if s < len(DEMO_STREETS) else (f"第{s + 1}街道", [])
        street_code = f"{district_code}{s + 1:03d}"
        for row in range(rows):
            c, row_in_community = divmod(row, ROWS_PER_COMMUNITY)
            community_name = community_names[c] if c < len(community_names) else f"{street_name[:-2]}第{c + 1}社区"
            seq = row_in_community * COLS_PER_STREET + col_in_street + 1
            features.append(
                _cell_feature(
                    f"{street_code}{c + 1:03d}{seq:02d}",
                    xs[col],
                    ys[row + 1],
                    xs[col + 1],
                    ys[row],
                    community_name,
                    street_name,
                    district_name,
                )
            )
    features.sort(key=lambda f: f["properties"]["code"])
    return {"type": "FeatureCollection", "features": features}


def synthetic_grid_features(
    n_cells: int,
    *,
    center_lng: float = DEMO_CENTER[0],
    center_lat: float = DEMO_CENTER[1],
    streets_per_district: int = 10,
    first_district_code: int = 629901,
) -> dict:
    """A square-ish grid of exactly `n_cells` cells of ≈ 100 m for benchmarks.

    Same layout rules as the demo (streets = strips of 10 columns, communities = 9 rows, cells
    01..90), every `streets_per_district` streets a new district (fictitious codes 629901, 629902…),
    so codes stay valid, unique and 14 digits long.
    """
    cols = max(1, math.ceil(math.sqrt(n_cells)))
    rows = math.ceil(n_cells / cols)
    dx = lng_step(center_lat)
    xs = _edges(center_lng - cols * dx / 2, dx, cols)
    ys = _edges(center_lat + rows * LAT_STEP / 2, -LAT_STEP, rows)
    features = []
    for row in range(rows):
        c, row_in_community = divmod(row, ROWS_PER_COMMUNITY)
        for col in range(cols):
            if len(features) == n_cells:
                break
            s, col_in_street = divmod(col, COLS_PER_STREET)
            d, s_in_district = divmod(s, streets_per_district)
            district_code = first_district_code + d
            seq = row_in_community * COLS_PER_STREET + col_in_street + 1
            features.append(
                _cell_feature(
                    f"{district_code}{s_in_district + 1:03d}{c + 1:03d}{seq:02d}",
                    xs[col],
                    ys[row + 1],
                    xs[col + 1],
                    ys[row],
                    f"合成{d + 1}区{s_in_district + 1}街{c + 1}社区",
                    f"合成{d + 1}区第{s_in_district + 1}街道",
                    f"合成第{d + 1}区",
                )
            )
    return {"type": "FeatureCollection", "features": features}
