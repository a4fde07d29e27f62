"""JSON routes of jobs: one's own jobs, one job's progress and result, cancel, the file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from yiyang.jobs import service
from yiyang.jobs.models import Job
from yiyang.jobs.schemas import JobRead, job_read
from yiyang.web.deps import ApiSubject, DbSession, Locale, get_locale

router = APIRouter(prefix="/jobs", tags=["jobs"], dependencies=[Depends(get_locale)])
JobId = Annotated[int, Path(ge=1, le=2**63 - 1)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not one of your jobs, or its file has expired"}
}


ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": JobRead,
        "description": "Accepted as a job: follow it at the `Location` (GET /api/v1/jobs/{id})",
    }
}


def accepted(request: Request, response: Response, job: Job, locale: str) -> JobRead:
    """The 202 answer of a route that queued a job: the job, and where to follow it."""
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job_read(job, locale, request.app.state.clock())


def accepted_json(request: Request, job: Job, locale: str) -> JSONResponse:
    """The same 202 answer, for a route whose ordinary answer is another shape."""
    read = job_read(job, locale, request.app.state.clock())
    return JSONResponse(
        read.model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )


@router.get("", response_model=list[JobRead])
def my_jobs(request: Request, db: DbSession, subject: ApiSubject, locale: Locale) -> list[JobRead]:
    """Your newest jobs (day plans, exports, imports), newest first."""
    now = request.app.state.clock()
    return [job_read(j, locale, now) for j in service.mine(db, subject)]


@router.get("/{job_id}", response_model=JobRead, responses=NOT_FOUND)
def read_job(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, job_id: JobId
) -> JobRead:
    """One of your jobs: poll it until `state` is done, failed or cancelled."""
    return job_read(service.read(db, subject, job_id), locale, request.app.state.clock())


@router.post(
    "/{job_id}/cancel",
    response_model=JobRead,
    responses={**NOT_FOUND, 409: {"description": "The job has already ended"}},
)
def cancel_job(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, job_id: JobId
) -> JobRead:
    """Stop a job: a waiting one at once, a running one at its next step; nothing is kept."""
    now = request.app.state.clock()
    return job_read(service.cancel(db, subject, job_id, now=now), locale, now)


@router.get(
    "/{job_id}/file",
    response_class=FileResponse,
    responses={**NOT_FOUND, 200: {"description": "The result file (a spreadsheet or CSV)"}},
)
def job_file(request: Request, db: DbSession, subject: ApiSubject, job_id: JobId) -> FileResponse:
    """Download the result file of one of your jobs (kept for `job_file_hours`)."""
    path, name, media = service.result_file(
        db, subject, job_id, settings=request.app.state.settings, now=request.app.state.clock()
    )
    return FileResponse(path, media_type=media, filename=name)
