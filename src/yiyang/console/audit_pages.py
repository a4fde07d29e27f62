"""The audit page: who did what to which record, when and from where, in words; audited itself."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from yiyang.console.audit_labels import ACTION_LABELS, ENTITY_LABELS
from yiyang.console.audit_view import FILTER_KEYS, AuditQuery, Words, resolve, views
from yiyang.kit.pagination import Page, PageParams
from yiyang.security.audit import service as audit
from yiyang.security.roles import Role
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.forms import list_page, page_number, query_filter

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

PAGE_SIZE = 50


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """The trail newest first, filtered by person, role, action, record, elder, dates and IP."""
    now = request.app.state.clock()
    query, values = query_filter(AuditQuery, request, FILTER_KEYS)
    params = PageParams(page=page_number(request), size=PAGE_SIZE)
    rows, total = audit.read_page(db, subject, resolve(db, subject, query, now), params, now=now)
    words = Words(locale, subject)
    context = {
        "entries": views(db, subject, words, rows),
        "page": Page[Any](items=rows, total=total, page=params.page, size=params.size),
        "roles": [(r.value, words.role(r.value)) for r in Role],
        "actions": sorted(((a, words.action(a)) for a in ACTION_LABELS), key=lambda p: p[1]),
        "entities": sorted(((e, words.entity(e)) for e in ENTITY_LABELS), key=lambda p: p[1]),
        "export_query": urlencode(values),
    }
    return list_page(request, "/audit", "audit/list.html", "audit/_results.html", values, context)
