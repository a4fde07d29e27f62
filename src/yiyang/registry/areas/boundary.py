"""The district boundary (WGS-84) used to refuse coordinates outside the district."""

from __future__ import annotations

import json
from functools import lru_cache

from shapely import prepared
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from yiyang.config import PACKAGE_DIR

BOUNDARY_FILES = {"410105": "jinshui_wgs84.geojson"}


@lru_cache(maxsize=4)
def district_shape(district_code: str) -> BaseGeometry:
    """The district polygon from the packaged data file."""
    name = BOUNDARY_FILES.get(district_code)
    if name is None:
        raise LookupError(f"no boundary data for district {district_code}")
    data = json.loads((PACKAGE_DIR / "data" / name).read_text(encoding="utf-8"))
    features = data["features"] if data.get("type") == "FeatureCollection" else [data]
    return shape(features[0]["geometry"])


@lru_cache(maxsize=4)
def _prepared(district_code: str) -> prepared.PreparedGeometry:
    return prepared.prep(district_shape(district_code))


def inside_district(district_code: str, lat: float, lon: float) -> bool:
    """Whether a WGS-84 point lies inside the district (with a small 50 m tolerance)."""
    geom = _prepared(district_code)
    point = Point(lon, lat)
    if geom.contains(point):
        return True
    return bool(district_shape(district_code).distance(point) < 0.0005)
