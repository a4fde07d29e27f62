"""The registry's HTML pages: one router gathering each entity's pages."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
