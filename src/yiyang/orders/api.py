"""JSON routes for orders: quotes, the list, what an elder may order, standing orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import Page, PageParams
from yiyang.kit.types import RowId, SaneDate
from yiyang.orders import orderable, recurring, subsidy_words
from yiyang.orders import service as order_service
from yiyang.orders.schemas import (
    OrderableServices,
    OrderFilter,
    OrderListItem,
    Quote,
    QuoteRequest,
    RecurringRead,
)
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(tags=["orders"], dependencies=[Depends(get_locale)])


@router.post("/orders/quote", response_model=Quote)
def quote(request: Request, db: DbSession, subject: ApiSubject, body: QuoteRequest) -> Quote:
    """Price and government/elder split before confirming; nothing is written."""
    found = order_service.quote(
        db, subject, body, now=request.app.state.clock(), settings=request.app.state.settings
    )
    return subsidy_words.worded(found, request.state.locale)


@router.get("/orders", response_model=Page[OrderListItem])
def list_orders(
    db: DbSession,
    subject: ApiSubject,
    flt: Annotated[OrderFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[OrderListItem]:
    """Orders in scope, filtered by area, status, service, channel, provider, dates or search."""
    return order_service.list_orders(db, subject, flt, page)


@router.get("/elders/{elder_id}/orderable-services", response_model=OrderableServices)
def orderable_services(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    elder_id: RowId,
    on: SaneDate | None = None,
) -> OrderableServices:
    """What this elder may order on a day (default today): price and government share of each."""
    now = request.app.state.clock()
    return orderable.orderable_services(
        db, subject, elder_id, on or local_today(now), now=now, settings=request.app.state.settings
    )


@router.get("/recurring-orders", response_model=list[RecurringRead])
def list_recurring(
    db: DbSession, subject: ApiSubject, elder_id: RowId | None = None
) -> list[RecurringRead]:
    """Standing orders in scope."""
    return [RecurringRead.model_validate(r) for r in recurring.list_for(db, subject, elder_id)]
