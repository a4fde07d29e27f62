"""JSON routes for elders: list/search, read (audited), create, update."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import Page, PageParams
from yiyang.kit.types import RowId
from yiyang.registry.elders import away as away_service
from yiyang.registry.elders import service as elder_service
from yiyang.registry.elders.schemas import (
    AwayIn,
    AwayState,
    ElderCreate,
    ElderFilter,
    ElderListItem,
    ElderRead,
    ElderUpdate,
)
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(prefix="/elders", tags=["elders"], dependencies=[Depends(get_locale)])


@router.get("", response_model=Page[ElderListItem])
def list_elders(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    flt: Annotated[ElderFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[ElderListItem]:
    """Search elders in scope by name, ID number or phone, with filters."""
    state = request.app.state
    return elder_service.list_elders(
        db,
        subject,
        flt,
        page,
        now=state.clock(),
        id_lookup_limit=state.settings.elder_id_lookups_per_hour,
    )


@router.post("", response_model=ElderRead, status_code=201)
def create_elder(
    request: Request, db: DbSession, subject: ApiSubject, body: ElderCreate
) -> ElderRead:
    """Register an elder; birth date and sex come from the ID number."""
    now = request.app.state.clock()
    elder = elder_service.create_elder(
        db, subject, body, now=now, district_code=request.app.state.settings.district_code
    )
    return elder_service.to_read(elder, local_today(now), subject)


@router.post("/{elder_id}/away", response_model=AwayState)
def mark_away(
    request: Request, db: DbSession, subject: ApiSubject, elder_id: RowId, body: AwayIn
) -> AwayState:
    """Mark the elder away from home until a time, at most 180 days ahead (a time without a
    zone is Beijing time); no inactivity alarm is raised meanwhile."""
    now = request.app.state.clock()
    elder = away_service.mark_away(db, subject, elder_id, body, now=now)
    return away_service.away_state(db, subject, elder, now=now)


@router.delete("/{elder_id}/away", response_model=AwayState)
def end_away(request: Request, db: DbSession, subject: ApiSubject, elder_id: RowId) -> AwayState:
    """The elder is back home earlier than said."""
    now = request.app.state.clock()
    elder = away_service.end_away(db, subject, elder_id, now=now)
    return away_service.away_state(db, subject, elder, now=now)


@router.get("/{elder_id}", response_model=ElderRead)
def read_elder(request: Request, db: DbSession, subject: ApiSubject, elder_id: RowId) -> ElderRead:
    """An elder's full record (the read is audited)."""
    return elder_service.read_elder(db, subject, elder_id, now=request.app.state.clock())


@router.patch("/{elder_id}", response_model=ElderRead)
def update_elder(
    request: Request, db: DbSession, subject: ApiSubject, elder_id: RowId, body: ElderUpdate
) -> ElderRead:
    """Change some fields of an elder (pass `version` to guard against lost updates)."""
    now = request.app.state.clock()
    elder = elder_service.update_elder(
        db, subject, elder_id, body, now=now, district_code=request.app.state.settings.district_code
    )
    away = away_service.away_of(elder, now)
    return elder_service.to_read(elder, local_today(now), subject, away=away)
