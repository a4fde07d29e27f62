"""JSON route of the day plan: a preview or an apply runs as a job (202), followed by id."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from yiyang.dispatch import plan_jobs
from yiyang.jobs.api import accepted
from yiyang.jobs.schemas import JobRead
from yiyang.kit.localtime import local_today
from yiyang.kit.types import SaneDate
from yiyang.web.deps import ApiSubject, DbSession, Locale, get_locale

router = APIRouter(tags=["dispatch"], dependencies=[Depends(get_locale)])


class DayPlanIn(BaseModel):
    """Which day to re-plan, how calm the plan should be, and whether to apply it."""

    day: SaneDate | None = Field(default=None, description="China date; tomorrow when left out")
    keep_within: float = Field(
        default=0,
        ge=0,
        le=30,
        description="Held visits with a trip in this short keep their caregiver",
    )
    max_changes: int | None = Field(
        default=None,
        ge=0,
        le=100_000,
        description="At most this many visits change caregiver (those saving most travel)",
    )
    apply: bool = Field(default=False, description="Reassign the moved orders (else a preview)")


@router.post(
    "/dispatch/day-plan",
    response_model=JobRead,
    status_code=202,
    responses={403: {"description": "Only a district dispatcher re-plans the whole day"}},
)
def day_plan(
    request: Request,
    response: Response,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    body: DayPlanIn,
) -> JobRead:
    """Re-plan a day's visits together, as a job: poll GET /api/v1/jobs/{id}.

    A preview's `data` lists the moves it proposes; an apply reassigns them in one
    transaction when the job ends (all or nothing) and lists what it changed.
    """
    now = request.app.state.clock()
    day = body.day or local_today(now) + timedelta(days=1)
    job = plan_jobs.submit(
        db, subject, day, body.keep_within, apply=body.apply, now=now,
        settings=request.app.state.settings, locale=locale, max_changes=body.max_changes,
    )  # fmt: skip
    return accepted(request, response, job, locale)
