"""JSON routes of the audit trail: filtered pages and CSV/Excel exports, each read audited."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from yiyang.console import audit_export
from yiyang.console.audit_view import AuditQuery, Words, resolve, views
from yiyang.kit.pagination import PageParams
from yiyang.security.audit import service as audit
from yiyang.security.audit.schemas import AuditEntry
from yiyang.web.deps import ApiSubject, DbSession, Locale, get_locale

router = APIRouter(tags=["audit"], dependencies=[Depends(get_locale)])


class AuditPage(BaseModel):
    """One page of the audit trail, newest first, and how many rows match in all."""

    items: list[AuditEntry]
    total: int
    page: int
    size: int


@router.get("/audit", response_model=AuditPage)
def audit_trail(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    query: Annotated[AuditQuery, Query()],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    """Who did what, to which record, when and from where (district admins and auditors)."""
    now = request.app.state.clock()
    flt = resolve(db, subject, query, now)
    params = PageParams(page=page, size=size)
    rows, total = audit.read_page(db, subject, flt, params, now=now)
    words = Words(locale, subject)
    items = [
        words.api_entry(view, event, name)
        for view, (event, name) in zip(views(db, subject, words, rows), rows, strict=True)
    ]
    return AuditPage(items=items, total=total, page=page, size=size)


@router.get("/audit.{kind}", response_class=FileResponse)
def audit_file(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    kind: audit_export.Format,
    query: Annotated[AuditQuery, Query()],
) -> FileResponse:
    """Every matching row as CSV (UTF-8 with BOM) or Excel, in the words of the page; audited."""
    now = request.app.state.clock()
    written = audit_export.export(
        db, subject, resolve(db, subject, query, now), kind, now=now, locale=locale
    )
    return FileResponse(
        written.path,
        media_type=written.media_type,
        filename=written.file_name,
        background=BackgroundTask(os.unlink, written.path),
    )
