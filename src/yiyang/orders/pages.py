"""The order list page: a dispatcher's filters over the orders in the caller's scope."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from yiyang.errors import DomainError
from yiyang.kit.pagination import Page, PageParams
from yiyang.orders import service as order_service
from yiyang.orders.page_helpers import CHANNEL_LABELS, STATUS_LABELS, helpers
from yiyang.orders.schemas import OrderFilter, OrderListItem
from yiyang.registry.areas import service as areas_service
from yiyang.registry.catalog import service as catalog_service
from yiyang.registry.providers import service as provider_service
from yiyang.registry.providers.schemas import ProviderRef
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.forms import (
    REFUSED_FILTER,
    error_message,
    list_page,
    page_number,
    query_filter,
    refused_filters,
)
from yiyang.web.i18n import translate

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

PAGE_SIZE = 25
FILTER_KEYS = (
    "q", "street_code", "community_code", "status", "unassigned", "cross_street", "item_code",
    "channel",
    "provider_id", "date_from", "date_to",
)  # fmt: skip


def provider_choices(db: DbSession, subject: Subject) -> list[ProviderRef]:
    """Providers to filter by: none for a provider admin (it sees only its own orders)."""
    if not subject.can(Perm.PROVIDER_READ) or subject.role == Role.PROVIDER_ADMIN:
        return []
    return provider_service.provider_choices(db, subject)


@router.get("/orders", response_class=HTMLResponse)
def order_list(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Orders in the caller's scope; every filter narrows it, an out-of-scope area finds none."""
    flt, values = query_filter(OrderFilter, request, FILTER_KEYS)
    if dropped := areas_service.drop_unknown_areas(db, values):
        flt = flt.model_copy(update=dict.fromkeys(dropped))
    refused = refused_filters(request, FILTER_KEYS, values)
    for flag in ("unassigned", "cross_street"):
        values.pop(flag, None)
        if getattr(flt, flag):
            values[flag] = "1"
    params = PageParams(page=page_number(request), size=PAGE_SIZE)
    message = translate(locale, REFUSED_FILTER) if refused else None
    try:
        page = order_service.list_orders(db, subject, flt, params)
    except DomainError as exc:
        message = error_message(locale, exc)
        page = Page[OrderListItem](items=[], total=0, page=1, size=PAGE_SIZE)
    context = helpers(locale) | {
        "page": page,
        "message": message,
        "statuses": list(STATUS_LABELS),
        "channels": list(CHANNEL_LABELS),
        "choices": areas_service.area_choices(db, subject),
        "items": catalog_service.item_choices(db, subject),
        "providers": provider_choices(db, subject),
    }
    return list_page(
        request, "/orders", "orders/list.html", "orders/_results.html", values, context
    )
