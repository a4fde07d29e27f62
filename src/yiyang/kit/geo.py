"""Distances on the earth's surface and GCJ-02 conversion for map data."""

from __future__ import annotations

import math

import eviltransform

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Convert a GCJ-02 (Chinese web map) point to WGS-84, exact to about a metre."""
    wlat, wlon = eviltransform.gcj2wgs_exact(lat, lon)
    return float(wlat), float(wlon)


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Convert a WGS-84 point to GCJ-02 for display on Chinese web maps."""
    glat, glon = eviltransform.wgs2gcj(lat, lon)
    return float(glat), float(glon)
