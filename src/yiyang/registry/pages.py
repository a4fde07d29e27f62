"""The registry's HTML pages: one router gathering each entity's pages."""

from __future__ import annotations

from fastapi import APIRouter

from yiyang.registry import elder_io_pages

router = APIRouter()
router.include_router(elder_io_pages.router)  # before any /elders/{elder_id} page
