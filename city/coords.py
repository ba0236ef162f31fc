"""Coordinate systems: WGS-84 (what we store) and GCJ-02 (what Chinese map SDKs report).

GCJ-02 ("Mars coordinates") is WGS-84 moved by a published, deliberately irregular offset of a
few hundred metres inside China. The forward transform (WGS-84 → GCJ-02) below is the widely
published one (Krasovsky 1940 ellipsoid constants). It has no closed-form inverse; the inverse
here iterates the forward transform until it lands on the GCJ-02 point (error far below 1 mm,
against ~1–2 m for the usual one-step inverse).

Outside China (the usual rough bounding box) GCJ-02 equals WGS-84, and both functions return the
point unchanged.
"""

import math

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the published transform uses
_EE = 0.00669342162296594323  # its first eccentricity squared
_PI = math.pi

CRS_CHOICES = ("wgs84", "gcj02")


def out_of_china(lng: float, lat: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * _PI) + 40.0 * math.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * _PI) + 320.0 * math.sin(y * _PI / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * _PI) + 40.0 * math.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * _PI) + 300.0 * math.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    return ret


def _offset(lng: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 offset (dlng, dlat) in degrees at a WGS-84 point."""
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * _PI
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * _PI)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * _PI)
    return dlng, dlat


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if out_of_china(lng, lat):
        return lng, lat
    dlng, dlat = _offset(lng, lat)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """Inverse of `wgs84_to_gcj02` by fixed-point iteration (converges in 2–4 steps)."""
    if out_of_china(lng, lat):
        return lng, lat
    dlng, dlat = _offset(lng, lat)
    wlng, wlat = lng - dlng, lat - dlat  # the one-step inverse: within a metre or two
    for _ in range(10):
        dlng, dlat = _offset(wlng, wlat)
        err_lng, err_lat = wlng + dlng - lng, wlat + dlat - lat
        wlng, wlat = wlng - err_lng, wlat - err_lat
        if abs(err_lng) < 1e-10 and abs(err_lat) < 1e-10:  # ~0.01 mm
            break
    return wlng, wlat


def to_wgs84(lng: float, lat: float, crs: str) -> tuple[float, float]:
    """(lng, lat) given in `crs` ("wgs84" or "gcj02") as WGS-84. ValueError for any other crs."""
    key = (crs or "").strip().lower().replace("-", "").replace("_", "")
    if key == "wgs84":
        return lng, lat
    if key == "gcj02":
        return gcj02_to_wgs84(lng, lat)
    raise ValueError(f"unknown coordinate system {crs!r}: use one of {', '.join(CRS_CHOICES)}")


EARTH_RADIUS_M = 6_371_008.8


def distance_m(lng1, lat1, lng2, lat2) -> float:
    """Great-circle distance in metres (haversine on the mean earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def path_lengths_m(lng, lat):
    """`distance_m` between each point and the next, for arrays of points (numpy, same formula)."""
    lng, lat = np.radians(np.asarray(lng, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    if len(lng) < 2:
        return np.zeros(0)
    p1, p2 = lat[:-1], lat[1:]
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((lng[1:] - lng[:-1]) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
