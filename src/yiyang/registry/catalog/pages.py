"""HTML pages for the service catalog: items with today's price, and one item's history."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from yiyang.registry.catalog import service as catalog_service
from yiyang.registry.catalog.schemas import ItemFilter
from yiyang.web.deps import DbSession, PageSubject, get_locale
from yiyang.web.forms import query_filter
from yiyang.web.templating import render

router = APIRouter(prefix="/catalog", include_in_schema=False, dependencies=[Depends(get_locale)])


@router.get("", response_class=HTMLResponse)
def catalog(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """Every service item grouped by category, with the price in force today."""
    flt, values = query_filter(ItemFilter, request, ("category", "government_purchasable"))
    items = catalog_service.list_items(db, subject, flt, now=request.app.state.clock())
    categories = catalog_service.list_categories(db, subject)
    return render(
        request,
        "catalog/list.html",
        {"items": items, "categories": categories, "values": values},
    )


@router.get("/{code}", response_class=HTMLResponse)
def view(request: Request, db: DbSession, subject: PageSubject, code: str) -> HTMLResponse:
    """One service item with its price history."""
    item = catalog_service.read_item(db, subject, code, now=request.app.state.clock())
    return render(request, "catalog/view.html", {"item": item})
