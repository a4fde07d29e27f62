"""The registry's JSON API: one router gathering each entity's routes."""

from __future__ import annotations

from fastapi import APIRouter

from yiyang.registry.areas import api as area_api
from yiyang.registry.catalog import api as catalog_api
from yiyang.registry.elders import api as elder_api
from yiyang.registry.elders import io_api as elder_io_api
from yiyang.registry.facilities import api as facility_api
from yiyang.registry.providers import api as provider_api
from yiyang.registry.staff import api as staff_api

router = APIRouter()
router.include_router(elder_io_api.router)  # before /elders/{elder_id}
router.include_router(elder_api.router)
router.include_router(area_api.router)
router.include_router(provider_api.router)
router.include_router(facility_api.router)
router.include_router(staff_api.router)
router.include_router(catalog_api.router)
