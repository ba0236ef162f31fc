"""A small MBTiles file for tests, made with sqlite3 and Pillow (what `gdal_translate -of MBTILES`
or `mb-util` would write: TMS rows, a metadata table)."""

import io
import math
import sqlite3

from PIL import Image


def png(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), color).save(out, "PNG")
    return out.getvalue()


def tile_xy(lng: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile (rows from the north) holding a WGS-84 / web-mercator point."""
    n = 2**z
    x = int((lng + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def make_mbtiles(path, tiles: dict, **metadata) -> str:
    """tiles: {(z, x, y) XYZ: bytes}; stored TMS-style (row from the south) as the format says."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE metadata (name TEXT, value TEXT);"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
        "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
    )
    meta = {"name": "test city", "format": "png", "type": "baselayer", "version": "1"} | metadata
    conn.executemany("INSERT INTO metadata VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
    conn.executemany(
        "INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, 2**z - 1 - y, data) for (z, x, y), data in tiles.items()]
    )
    conn.commit()
    conn.close()
    return str(path)


def around(lng: float, lat: float, zooms, color=(236, 226, 198), reach=2) -> dict:
    """A block of (2·reach+1)² tiles around a point at each zoom, all one colour."""
    data = png(color)
    tiles = {}
    for z in zooms:
        x0, y0 = tile_xy(lng, lat, z)
        for dx in range(-reach, reach + 1):
            for dy in range(-reach, reach + 1):
                tiles[(z, x0 + dx, y0 + dy)] = data
    return tiles
