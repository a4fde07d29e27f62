"""JSON routes of complaint handling: read one, assign, respond, close."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from yiyang.kit.types import RowId
from yiyang.visits import complaints
from yiyang.visits.care_schemas import (
    ComplaintAssign,
    ComplaintClose,
    ComplaintDetail,
    ComplaintRespond,
)
from yiyang.visits.policy import policy_from
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(tags=["visits"], dependencies=[Depends(get_locale)])


@router.get("/complaints/{complaint_id}", response_model=ComplaintDetail)
def read(db: DbSession, subject: ApiSubject, complaint_id: RowId) -> ComplaintDetail:
    """One complaint in scope with every step so far."""
    return complaints.read(db, subject, complaint_id)


@router.post("/complaints/{complaint_id}/assign", response_model=ComplaintDetail)
def assign(
    request: Request, db: DbSession, subject: ApiSubject, complaint_id: RowId, body: ComplaintAssign
) -> ComplaintDetail:
    """Hand the complaint to a provider or a person (409 once it is closed)."""
    return complaints.assign(db, subject, complaint_id, body, now=request.app.state.clock())


@router.post("/complaints/{complaint_id}/respond", response_model=ComplaintDetail)
def respond(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    complaint_id: RowId,
    body: ComplaintRespond,
) -> ComplaintDetail:
    """Answer the complaint (409 when answered already or closed)."""
    return complaints.respond(db, subject, complaint_id, body, now=request.app.state.clock())


@router.post("/complaints/{complaint_id}/close", response_model=ComplaintDetail)
def close(
    request: Request, db: DbSession, subject: ApiSubject, complaint_id: RowId, body: ComplaintClose
) -> ComplaintDetail:
    """Close with an outcome of the list and what was done (409 when closed already)."""
    return complaints.close(
        db, subject, complaint_id, body, now=request.app.state.clock(),
        policy=policy_from(request.app.state.settings),
    )  # fmt: skip
