"""The demo city's gazetteer 地名库: a few hundred named places spread over every street, made
from name lists, deterministically (the same list on every run).

- Every community gets twelve places named after it (金鱼小区, 金鱼小学, 金鱼农贸市场, …), set at
  fixed spots inside the community's block of cells, so a place's name says where it is.
- Four east–west and four north–south roads cross the district on community and street edges,
  and their sixteen crossings are named (银山路与金鱼路交叉口).

Positions are fractions (x from the west, y from the south) of the district's extent, as for the
hand-written places in `seed.GAZETTEER`; the names sound like Baiyin's, the positions are made up.
"""

from city.models import Place

from .grid import COLS_PER_STREET, DEMO_STREETS, ROWS_PER_COMMUNITY

COLS, ROWS = 50, 45  # the demo grid (demo_grid_features' defaults)
K = Place.Kind

# What every community has: (suffix, kind). 社区 is dropped from the community's name first.
COMMUNITY_PLACES = [
    ("小区", K.COMPOUND),
    ("家园", K.COMPOUND),
    ("花苑", K.COMPOUND),
    ("小学", K.SCHOOL),
    ("幼儿园", K.SCHOOL),
    ("农贸市场", K.MARKET),
    ("便民市场", K.MARKET),
    ("社区卫生服务站", K.HOSPITAL),
    ("文化广场", K.SQUARE),
    ("游园", K.PARK),
    ("社区服务中心", K.LANDMARK),
    ("公交站", K.LANDMARK),
]
# Where in the community's block (u from its west edge, v from its north edge), one per place.
SPOTS = [
    (0.15, 0.15), (0.5, 0.12), (0.85, 0.18), (0.12, 0.5), (0.38, 0.38), (0.62, 0.45),
    (0.88, 0.55), (0.3, 0.7), (0.55, 0.72), (0.82, 0.85), (0.15, 0.88), (0.5, 0.9),
]  # fmt: skip
# Roads on the edges between communities (east–west, y from the south) and between streets
# (north–south, x from the west).
EAST_WEST_ROADS = [("银山路", 0.8), ("长通路", 0.6), ("团结路", 0.4), ("南苑路", 0.2)]
NORTH_SOUTH_ROADS = [("金鱼路", 0.2), ("水川路", 0.4), ("矿山路", 0.6), ("大坝路", 0.8)]


def community_base(name: str) -> str:
    return name[:-2] if name.endswith("社区") else name


def demo_places() -> list[tuple[str, str, str, float, float, str]]:
    """(name, kind, aliases, x, y, community name or "") for every generated place; x and y are
    fractions of the district's extent from its south-west corner."""
    out = []
    for s, (_street, communities) in enumerate(DEMO_STREETS):
        for c, community in enumerate(communities):
            base = community_base(community)
            for i, (suffix, kind) in enumerate(COMMUNITY_PLACES):
                u, v = SPOTS[(i + 5 * s + 3 * c) % len(SPOTS)]  # turned per community: kinds vary in place
                x = (s * COLS_PER_STREET + u * COLS_PER_STREET) / COLS
                y = 1 - (c * ROWS_PER_COMMUNITY + v * ROWS_PER_COMMUNITY) / ROWS
                out.append((f"{base}{suffix}", kind, "", x, y, community))
    for name, y in EAST_WEST_ROADS:
        out.append((name, K.ROAD, "", 0.5, y, ""))
    for name, x in NORTH_SOUTH_ROADS:
        out.append((name, K.ROAD, "", x, 0.5, ""))
    for ew, y in EAST_WEST_ROADS:
        for ns, x in NORTH_SOUTH_ROADS:
            out.append((f"{ew}与{ns}交叉口", K.ROAD, f"{ns}与{ew}交叉口", x, y, ""))
    return out
