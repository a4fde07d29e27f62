"""The district outline the project ships, served for the maps (no internet tiles).

`/geo/district.geojson` is the WGS-84 outline in src/yiyang/data; pages draw it with ECharts
(static/maps.js) under the points they show, so a map needs nothing from outside.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from yiyang.config import PACKAGE_DIR

router = APIRouter(include_in_schema=False)
DISTRICT = PACKAGE_DIR / "data" / "jinshui_wgs84.geojson"


@router.get("/geo/district.geojson")
async def district_outline() -> FileResponse:
    """The district's outline as GeoJSON (cached a day: it changes with a release)."""
    return FileResponse(
        DISTRICT,
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )
