"""Regenerate the packaged Jinshui geography (WGS-84) from the GCJ-02 files in ../shared/geo.

Run from the repository root::

    python scripts/convert_geo.py [--source ../shared/geo]

It reads ``410105_jinshui.json`` (district boundary, GCJ-02, from the DataV boundaries) and
``410105_streets.json`` (the 24 street codes and names) and writes, committed to the repository
because a user's clone has no ../shared:

- ``src/yiyang/data/jinshui_wgs84.geojson``: the boundary converted ONCE to WGS-84 with
  ``yiyang.kit.geo.gcj02_to_wgs84`` (coordinates rounded to 6 decimals, about 0.1 m);
- ``src/yiyang/data/jinshui_streets.json``: the streets as ``[{"code", "name"}]`` in code order.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from yiyang.kit.geo import gcj02_to_wgs84

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "yiyang" / "data"


def _ring_to_wgs84(ring: list[list[float]]) -> list[list[float]]:
    """Convert one [lon, lat] ring from GCJ-02 to WGS-84."""
    out = []
    for lon, lat in ring:
        wlat, wlon = gcj02_to_wgs84(lat, lon)
        out.append([round(wlon, 6), round(wlat, 6)])
    return out


def convert_boundary(source: Path) -> dict[str, Any]:
    """The district FeatureCollection with every ring converted to WGS-84."""
    src = json.loads((source / "410105_jinshui.json").read_text(encoding="utf-8"))
    feature = src["features"][0]
    geom = feature["geometry"]
    polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    converted = [[_ring_to_wgs84(ring) for ring in polygon] for polygon in polygons]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "adcode": str(feature["properties"]["adcode"]),
                    "name": feature["properties"]["name"],
                    "datum": "WGS-84",
                    "source": "DataV boundary (GCJ-02) converted with gcj02_to_wgs84",
                },
                "geometry": {"type": "MultiPolygon", "coordinates": converted},
            }
        ],
    }


def convert_streets(source: Path) -> list[dict[str, str]]:
    """The street list as code/name pairs sorted by code."""
    rows = json.loads((source / "410105_streets.json").read_text(encoding="utf-8"))
    return sorted(({"code": r["code"], "name": r["name"]} for r in rows), key=lambda r: r["code"])


def main() -> None:
    """Write both packaged files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "geo")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    boundary = convert_boundary(args.source)
    (DATA / "jinshui_wgs84.geojson").write_text(
        json.dumps(boundary, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    streets = convert_streets(args.source)
    (DATA / "jinshui_streets.json").write_text(
        json.dumps(streets, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {DATA / 'jinshui_wgs84.geojson'} and {len(streets)} streets")


if __name__ == "__main__":
    main()
