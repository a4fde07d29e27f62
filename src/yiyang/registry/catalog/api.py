"""JSON routes for the service catalog: categories, items with prices, price versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from yiyang.kit.localtime import local_today
from yiyang.kit.types import Code, SaneDate
from yiyang.registry.catalog import service as catalog_service
from yiyang.registry.catalog.schemas import (
    CategoryOut,
    ItemCreate,
    ItemFilter,
    ItemListItem,
    ItemRead,
    ItemUpdate,
    PriceIn,
)
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(prefix="/catalog", tags=["catalog"], dependencies=[Depends(get_locale)])


@router.get("/categories", response_model=list[CategoryOut])
def list_categories(db: DbSession, subject: ApiSubject) -> list[CategoryOut]:
    """Every service category (GB/T 43153-2023)."""
    return catalog_service.list_categories(db, subject)


@router.get("/items", response_model=list[ItemListItem])
def list_items(
    request: Request, db: DbSession, subject: ApiSubject, flt: Annotated[ItemFilter, Depends()]
) -> list[ItemListItem]:
    """Items with the price and standard minutes in force on `on` (default today)."""
    return catalog_service.list_items(db, subject, flt, now=request.app.state.clock())


@router.post("/items", response_model=ItemRead, status_code=201)
def create_item(request: Request, db: DbSession, subject: ApiSubject, body: ItemCreate) -> ItemRead:
    """Add a service item with its first price version (district administrators)."""
    now = request.app.state.clock()
    item = catalog_service.create_item(db, subject, body, now=now)
    return catalog_service.to_read(item, local_today(now))


@router.get("/items/{code}", response_model=ItemRead)
def read_item(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    code: Code,
    on: Annotated[SaneDate | None, Query()] = None,
) -> ItemRead:
    """One item with its whole price history."""
    return catalog_service.read_item(db, subject, code, now=request.app.state.clock(), on=on)


@router.patch("/items/{code}", response_model=ItemRead)
def update_item(
    request: Request, db: DbSession, subject: ApiSubject, code: Code, body: ItemUpdate
) -> ItemRead:
    """Change an item's description (prices change only through new versions)."""
    now = request.app.state.clock()
    item = catalog_service.update_item(db, subject, code, body, now=now)
    return catalog_service.to_read(item, local_today(now))


@router.post("/items/{code}/prices", response_model=ItemRead, status_code=201)
def add_price(
    request: Request, db: DbSession, subject: ApiSubject, code: Code, body: PriceIn
) -> ItemRead:
    """Add a price version taking effect today or later; returns the item's history."""
    now = request.app.state.clock()
    item = catalog_service.add_price(db, subject, code, body, now=now)
    return catalog_service.to_read(item, local_today(now))
