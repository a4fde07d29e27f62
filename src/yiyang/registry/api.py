"""The registry's JSON API: one router gathering each entity's routes."""

from __future__ import annotations

from fastapi import APIRouter

from yiyang.registry import (
    area_api,
    catalog_api,
    elder_api,
    elder_io_api,
    facility_api,
    provider_api,
    staff_api,
)

router = APIRouter()
router.include_router(elder_io_api.router)  # before /elders/{elder_id}
router.include_router(elder_api.router)
router.include_router(area_api.router)
router.include_router(provider_api.router)
router.include_router(facility_api.router)
router.include_router(staff_api.router)
router.include_router(catalog_api.router)
