"""Jinshui geography for the demo: point sampling inside the street outlines (registry.areas)."""

from __future__ import annotations

import random

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from yiyang.registry.areas.outlines import (
    DATA_DIR,
    M_PER_DEG_LAT,
    STREET_ANCHORS,
    StreetInfo,
    load_boundary,
    load_streets,
    m_per_deg_lon,
    street_areas,
)

__all__ = [
    "DATA_DIR", "M_PER_DEG_LAT", "STREET_ANCHORS", "StreetInfo", "load_boundary",
    "load_streets", "m_per_deg_lon", "street_areas",
]  # fmt: skip
DISTRICT_CODE = "410105"
DISTRICT_NAME = "金水区"


def contains(area: BaseGeometry, lat: float, lon: float) -> bool:
    """Whether a WGS-84 point lies inside an area."""
    return bool(shapely.contains_xy(area, lon, lat))


def sample_in(rng: random.Random, area: BaseGeometry, n: int) -> list[tuple[float, float]]:
    """n points (lat, lon) uniformly inside an area, by rejection within its bounds."""
    x0, y0, x1, y1 = area.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        k = max(16, 2 * (n - len(out)))
        xs = np.array([rng.uniform(x0, x1) for _ in range(k)])
        ys = np.array([rng.uniform(y0, y1) for _ in range(k)])
        inside = shapely.contains_xy(area, xs, ys)
        for x, y, ok in zip(xs.tolist(), ys.tolist(), inside.tolist(), strict=True):
            if ok and len(out) < n:
                out.append((y, x))
    return out


def spread_in(rng: random.Random, area: BaseGeometry, n: int) -> list[tuple[float, float]]:
    """n well-spread points inside an area (best-candidate sampling), for community centres."""
    pool = sample_in(rng, area, n * 12)
    chosen = [pool[0]]
    candidates = pool[1:]
    while len(chosen) < n:
        best_i, best_d = 0, -1.0
        for i, (lat, lon) in enumerate(candidates[: 12 * len(chosen) + 12]):
            d = min((lat - a) ** 2 + ((lon - b) * 0.82) ** 2 for a, b in chosen)
            if d > best_d:
                best_i, best_d = i, d
        chosen.append(candidates.pop(best_i))
    return chosen


def sample_near(
    rng: random.Random,
    area: BaseGeometry,
    centre: tuple[float, float],
    sigma_m: float,
    n: int,
) -> list[tuple[float, float]]:
    """n points (lat, lon) scattered normally around a centre, kept inside an area."""
    lat0, lon0 = centre
    s_lat = sigma_m / M_PER_DEG_LAT
    s_lon = sigma_m / m_per_deg_lon(lat0)
    out: list[tuple[float, float]] = []
    tries = 0
    while len(out) < n:
        k = max(8, (n - len(out)) * 3 // 2)
        ys = np.array([rng.gauss(lat0, s_lat) for _ in range(k)])
        xs = np.array([rng.gauss(lon0, s_lon) for _ in range(k)])
        inside = shapely.contains_xy(area, xs, ys)
        for x, y, ok in zip(xs.tolist(), ys.tolist(), inside.tolist(), strict=True):
            if ok and len(out) < n:
                out.append((round(y, 6), round(x, 6)))
        tries += 1
        if tries > 20:  # centre on a thin sliver: fall back to the whole area
            out.extend((round(a, 6), round(b, 6)) for a, b in sample_in(rng, area, n - len(out)))
    return out


def area_km2(area: BaseGeometry) -> float:
    """Approximate surface of a WGS-84 area in square kilometres."""
    lat = area.centroid.y
    return float(area.area) * M_PER_DEG_LAT * m_per_deg_lon(lat) / 1e6
