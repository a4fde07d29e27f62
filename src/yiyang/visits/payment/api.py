"""JSON routes of payment: the exceptions queue and its reviews, settlement runs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from yiyang.jobs.api import accepted
from yiyang.jobs.schemas import JobRead
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import Month, RowId
from yiyang.visits.payment import exceptions, settlements, workbook
from yiyang.visits.payment import jobs as payment_jobs
from yiyang.visits.payment.schemas import (
    ExceptionFilter,
    ExceptionPage,
    ExceptionRead,
    ExceptionState,
    ReviewIn,
    RunCreate,
    RunPage,
    RunRead,
)
from yiyang.visits.policy import policy_from
from yiyang.visits.rules import VisitPolicy
from yiyang.web.deps import ApiSubject, DbSession, Locale, get_locale

RunActionCode = Literal["recompute", "review", "reopen", "close"]
router = APIRouter(tags=["payment"], dependencies=[Depends(get_locale)])


def _policy(request: Request) -> VisitPolicy:
    return policy_from(request.app.state.settings)


@router.get("/exceptions", response_model=ExceptionPage)
def list_exceptions(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    page: Annotated[PageParams, Depends()],
    month: Month | None = None,
    provider_id: RowId | None = None,
    reason: Annotated[str | None, Query(max_length=32)] = None,
    state: ExceptionState = "open",
) -> ExceptionPage:
    """A page of the delivered visits of a month (default: the last three) that cannot be
    paid as they stand, oldest first, with the count and the money held back of them all."""
    flt = ExceptionFilter(month=month, provider_id=provider_id, reason=reason, state=state)
    return exceptions.list_exceptions(
        db, subject, flt, page, now=request.app.state.clock(), locale=locale
    )


@router.get("/exceptions/{order_id}", response_model=ExceptionRead)
def read_exception(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, order_id: RowId
) -> ExceptionRead:
    """One delivered visit's payability, its reasons in words and its review history."""
    return exceptions.read_exception(db, subject, order_id, policy=_policy(request), locale=locale)


@router.post("/exceptions/{order_id}/reviews", response_model=ExceptionRead, status_code=201)
def review(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    order_id: RowId,
    body: ReviewIn,
) -> ExceptionRead:
    """Approve, reject or ask the provider (reviewers), or answer (the provider); reason needed."""
    return exceptions.review(
        db, subject, order_id, body, now=request.app.state.clock(), policy=_policy(request),
        locale=locale,
    )  # fmt: skip


@router.get("/settlements", response_model=RunPage)
def list_runs(
    db: DbSession, subject: ApiSubject, page: Annotated[PageParams, Depends()],
    month: Month | None = None, provider_id: RowId | None = None,
) -> RunPage:  # fmt: skip
    """A page of settlement runs in scope with their totals, newest month first, and the
    sums of every matching run."""
    return settlements.list_runs(db, subject, month, provider_id, page)


@router.post("/settlements", response_model=list[RunRead], status_code=201)
def create_runs(
    request: Request, db: DbSession, subject: ApiSubject, body: RunCreate
) -> list[RunRead]:
    """Prepare (or recompute) the month's draft for one provider or for every provider."""
    runs = settlements.create_runs(
        db, subject, body, now=request.app.state.clock(), policy=_policy(request)
    )
    return [settlements.to_read(db, subject, run, lines=False) for run in runs]


@router.post("/settlements/jobs", response_model=JobRead, status_code=202)
def prepare_job(
    request: Request, response: Response, db: DbSession, subject: ApiSubject, locale: Locale,
    body: RunCreate,
) -> JobRead:  # fmt: skip
    """Every provider's draft of the month as a job (a city month is many lines)."""
    job = payment_jobs.submit_prepare(
        db, subject, body, now=request.app.state.clock(), locale=locale
    )
    return accepted(request, response, job, locale)


@router.get("/settlements/runs/{run_id}", response_model=RunRead)
def read_run(db: DbSession, subject: ApiSubject, run_id: RowId) -> RunRead:
    """One run with its lines: paid visits, excluded exceptions, adjustments."""
    return settlements.read_run(db, subject, run_id)


@router.get("/settlements/runs/{run_id}/workbook.xlsx")
def run_workbook(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, run_id: RowId
) -> Response:
    """The run's workbook: a sheet of totals and one of lines, headers in the reader's language."""
    return workbook.run_response(db, subject, run_id, locale=locale, now=request.app.state.clock())


@router.post("/settlements/runs/{run_id}/{action}", response_model=RunRead)
def run_action(
    request: Request, db: DbSession, subject: ApiSubject, run_id: RowId, action: RunActionCode
) -> RunRead:
    """Recompute a draft, mark it reviewed, reopen it, or close it (orders become settled)."""
    run = settlements.act(
        db, subject, run_id, action, now=request.app.state.clock(), policy=_policy(request)
    )
    return settlements.to_read(db, subject, run, lines=False)
