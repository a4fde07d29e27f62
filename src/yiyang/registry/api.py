"""The registry's JSON API: one router gathering each entity's routes."""

from __future__ import annotations

from fastapi import APIRouter

from yiyang.registry import elder_api

router = APIRouter()
router.include_router(elder_api.router)
