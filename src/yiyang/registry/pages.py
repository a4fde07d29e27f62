"""The registry's HTML pages: one router gathering each entity's pages."""

from __future__ import annotations

from fastapi import APIRouter

from yiyang.registry import provider_pages
from yiyang.registry.accounts import family_pages
from yiyang.registry.accounts import pages as account_pages
from yiyang.registry.assessments import pages as assessment_pages
from yiyang.registry.catalog import pages as catalog_pages
from yiyang.registry.elders import io_pages as elder_io_pages
from yiyang.registry.elders import pages as elder_pages
from yiyang.registry.facilities import pages as facility_pages
from yiyang.registry.staff import pages as staff_pages
from yiyang.registry.vocab import LABELS
from yiyang.web.templating import register_labels

register_labels(LABELS)
router = APIRouter()
router.include_router(elder_io_pages.router)  # before any /elders/{elder_id} page
for pages in (
    assessment_pages,
    family_pages,
    elder_pages,
    facility_pages,
    staff_pages,
    provider_pages,
    catalog_pages,
    account_pages,
):
    router.include_router(pages.router)
