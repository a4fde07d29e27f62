"""The registry's HTML pages: one router gathering each entity's pages."""

from __future__ import annotations

from fastapi import APIRouter

from yiyang.registry import (
    catalog_pages,
    elder_io_pages,
    elder_pages,
    facility_pages,
    provider_pages,
    staff_pages,
)

router = APIRouter()
router.include_router(elder_io_pages.router)  # before any /elders/{elder_id} page
for pages in (elder_pages, facility_pages, staff_pages, provider_pages, catalog_pages):
    router.include_router(pages.router)
