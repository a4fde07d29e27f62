"""The district's street outlines: 24 streets as Voronoi cells of their anchors (approximate).

No public street boundaries exist, so each street's outline is the Voronoi cell of an anchor
point (the street's name-giving road) clipped to the district boundary: a deterministic
partition that the big screen draws and the demo places its elders in. Outlines are
approximate; an elder's street is what the register says, not where the outline runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

from yiyang.config import PACKAGE_DIR

DATA_DIR = PACKAGE_DIR / "data"

# Approximate real-world centre of each street (WGS-84 lat, lon), estimated from the street's
# name-giving road on a GCJ-02 map and shifted to WGS-84. No public street boundaries exist:
# street areas are the Voronoi cells of these anchors clipped to the district boundary. The
# 56x codes are Zhengdong New District (郑东新区) streets in the east.
STREET_ANCHORS: dict[str, tuple[float, float]] = {
    "410105001": (34.7761, 113.6689),  # 经八路
    "410105002": (34.7841, 113.6779),  # 花园路
    "410105003": (34.7611, 113.6639),  # 人民路
    "410105004": (34.7641, 113.6789),  # 杜岭
    "410105005": (34.7691, 113.6459),  # 大石桥
    "410105006": (34.7861, 113.6459),  # 南阳路
    "410105007": (34.7971, 113.6339),  # 南阳新村
    "410105008": (34.7961, 113.6579),  # 文化路
    "410105009": (34.7961, 113.6739),  # 丰产路
    "410105010": (34.8111, 113.6569),  # 东风路
    "410105011": (34.8060, 113.6889),  # 北林路
    "410105012": (34.7660, 113.6998),  # 未来路
    "410105013": (34.7870, 113.7018),  # 凤凰台
    "410105014": (34.7830, 113.8119),  # 龙子湖
    "410105015": (34.7910, 113.7418),  # 祭城路
    "410105016": (34.8371, 113.6689),  # 兴达路
    "410105017": (34.8511, 113.6589),  # 国基路
    "410105018": (34.8629, 113.7538),  # 杨金路
    "410105019": (34.8260, 113.6739),  # 丰庆路
    "410105560": (34.7660, 113.7218),  # 如意湖
    "410105561": (34.8090, 113.7989),  # 博学路
    "410105562": (34.8129, 113.7438),  # 龙湖
    "410105563": (34.8329, 113.7238),  # 龙源路
    "410105564": (34.8389, 113.7859),  # 金光路
}

M_PER_DEG_LAT = 111_195.0


@dataclass(frozen=True)
class StreetInfo:
    """A street (街道) of the district: its 9-digit code, name and anchor point."""

    code: str
    name: str
    lat: float
    lon: float


def m_per_deg_lon(lat: float) -> float:
    """Metres per degree of longitude at a latitude (local flat-earth approximation)."""
    return M_PER_DEG_LAT * math.cos(math.radians(lat))


@lru_cache(maxsize=1)
def load_boundary() -> BaseGeometry:
    """The district boundary in WGS-84 (lon, lat axes), prepared for fast containment tests."""
    raw: dict[str, Any] = json.loads(
        (DATA_DIR / "jinshui_wgs84.geojson").read_text(encoding="utf-8")
    )
    geom = shape(raw["features"][0]["geometry"]).buffer(0)
    shapely.prepare(geom)
    return geom


@lru_cache(maxsize=1)
def load_streets() -> tuple[StreetInfo, ...]:
    """The 24 streets in code order, with their anchors."""
    rows = json.loads((DATA_DIR / "jinshui_streets.json").read_text(encoding="utf-8"))
    return tuple(
        StreetInfo(r["code"], r["name"], *STREET_ANCHORS[r["code"]])
        for r in sorted(rows, key=lambda r: r["code"])
    )


@lru_cache(maxsize=1)
def street_areas() -> dict[str, BaseGeometry]:
    """A deterministic partition of the district: each street's Voronoi cell within the boundary."""
    boundary = load_boundary()
    streets = load_streets()
    points = MultiPoint([(s.lon, s.lat) for s in streets])
    cells = shapely.voronoi_polygons(points, extend_to=boundary.envelope.buffer(0.05), ordered=True)
    areas: dict[str, BaseGeometry] = {}
    for street, cell in zip(streets, cells.geoms, strict=True):
        area = cell.intersection(boundary)
        if not area.contains(Point(street.lon, street.lat)):
            raise ValueError(f"anchor of {street.code} lies outside its area")
        shapely.prepare(area)
        areas[street.code] = area
    return areas


@lru_cache(maxsize=1)
def streets_geojson() -> dict[str, Any]:
    """The street outlines as a GeoJSON FeatureCollection (code and name per feature)."""
    names = {s.code: s.name for s in load_streets()}
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": names[code]},
            "geometry": mapping(shapely.set_precision(area, 1e-5)),
        }
        for code, area in street_areas().items()
    ]
    return {"type": "FeatureCollection", "features": features}
