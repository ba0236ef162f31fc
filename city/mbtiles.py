"""The city's own base map, offline: raster tiles from an MBTiles file (MAP_TILES_MBTILES).

MBTiles is one SQLite file: `tiles(zoom_level, tile_column, tile_row, tile_data)` with rows
counted from the south (TMS), and `metadata(name, value)` (format, minzoom, maxzoom, bounds,
attribution). The file is opened read-only, one connection per thread, reopened when the file is
replaced (its size or mtime change).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

MAX_ZOOM = 30  # deeper than any survey: a z above this is refused before the query

_local = threading.local()


class Unreadable(Exception):
    """The file is missing, not SQLite, or has no `tiles` table."""


@dataclass(frozen=True)
class Tile:
    data: bytes
    etag: str
    content_type: str


def _content_type(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def _stamp(path: str) -> tuple:
    st = os.stat(path)
    return (path, st.st_size, st.st_mtime_ns)


def _connection(path: str) -> sqlite3.Connection:
    """This thread's read-only connection to `path`, reopened when the file changed."""
    try:
        stamp = _stamp(path)
    except OSError as exc:
        raise Unreadable(str(exc)) from exc
    cached = getattr(_local, "mbtiles", None)
    if cached and cached[0] == stamp:
        return cached[1]
    if cached:
        cached[1].close()
        _local.mbtiles = None
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=True)
        conn.execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise Unreadable(str(exc)) from exc
    _local.mbtiles = (stamp, conn)
    return conn


def tile(path: str, z: int, x: int, y: int) -> Tile | None:
    """The tile at z/x/y in the usual XYZ scheme (rows from the north), or None if there is none."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        return None
    conn = _connection(path)
    try:
        row = conn.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, 2**z - 1 - y),  # TMS counts rows from the south
        ).fetchone()
    except sqlite3.Error as exc:
        raise Unreadable(str(exc)) from exc
    if not row or not row[0]:
        return None
    data = bytes(row[0])
    return Tile(data, '"' + hashlib.blake2b(data, digest_size=10).hexdigest() + '"', _content_type(data))


def metadata(path: str) -> dict:
    """The file's metadata table as a dict of strings ({} if it has none)."""
    conn = _connection(path)
    try:
        return {str(k): str(v) for k, v in conn.execute("SELECT name, value FROM metadata").fetchall()}
    except sqlite3.Error:
        return {}


def problem(path: str) -> str | None:
    """Why the file cannot serve raster tiles, or None (for the system check)."""
    if not os.path.isfile(path):
        return f"MAP_TILES_MBTILES points at {path!r}, which is not a file"
    try:
        _connection(path)
        fmt = metadata(path).get("format", "png").lower()
    except Unreadable as exc:
        return f"MAP_TILES_MBTILES {path!r} is not a readable MBTiles file ({exc})"
    if fmt in ("pbf", "mvt"):
        return f"MAP_TILES_MBTILES {path!r} holds vector tiles ({fmt}); the maps need raster tiles (png, jpg, webp)"
    return None
