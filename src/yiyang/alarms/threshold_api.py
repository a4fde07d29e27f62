"""JSON routes for an elder's own alarm thresholds (the defaults apply where none is set)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from yiyang.alarms import thresholds
from yiyang.alarms.threshold_schemas import ThresholdIn, ThresholdRead
from yiyang.kit.types import PlainText, RowId
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(
    prefix="/elders/{elder_id}/alarm-thresholds",
    tags=["alarms"],
    dependencies=[Depends(get_locale)],
)


@router.get("", response_model=list[ThresholdRead])
def list_thresholds(db: DbSession, subject: ApiSubject, elder_id: RowId) -> list[ThresholdRead]:
    """The limits in force for each watched metric: the elder's own or the defaults."""
    return thresholds.list_thresholds(db, subject, elder_id)


@router.put("/{metric}", response_model=ThresholdRead)
def set_threshold(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    elder_id: RowId,
    metric: PlainText,
    body: ThresholdIn,
) -> ThresholdRead:
    """Set the elder's own limits for one metric (audited); 422 when they make no sense."""
    return thresholds.set_threshold(
        db, subject, elder_id, metric, body, now=request.app.state.clock()
    )


@router.delete("/{metric}", response_model=ThresholdRead)
def remove_threshold(
    request: Request, db: DbSession, subject: ApiSubject, elder_id: RowId, metric: PlainText
) -> ThresholdRead:
    """Go back to the defaults for one metric (audited); returns the defaults."""
    return thresholds.remove_threshold(db, subject, elder_id, metric, now=request.app.state.clock())
