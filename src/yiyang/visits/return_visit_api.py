"""JSON routes of the return-visit queue: what is due, and recording a call."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from yiyang.kit.types import RowId
from yiyang.visits import return_visits
from yiyang.visits.care_schemas import CallIn, DueRead, DueSummary
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(tags=["visits"], dependencies=[Depends(get_locale)])


@router.get("/return-visits/due", response_model=DueSummary)
def due(request: Request, db: DbSession, subject: ApiSubject) -> DueSummary:
    """Call-backs due today and overdue in scope, with the first few."""
    return return_visits.due_summary(db, subject, request.app.state.clock())


@router.post("/return-visits/{due_id}/calls", response_model=DueRead, status_code=201)
def call(
    request: Request, db: DbSession, subject: ApiSubject, due_id: RowId, body: CallIn
) -> DueRead:
    """Record one call's result (409 when the return visit is done already)."""
    return return_visits.record_call(db, subject, due_id, body, now=request.app.state.clock())
