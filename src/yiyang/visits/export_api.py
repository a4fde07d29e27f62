"""JSON routes of the visit files: the EVV export (settlement runs: visits/payment/api.py).

A GET answers the file at once up to `job_sync_rows` (5,000) rows, else 409; the POST of
the same export runs it as a job of any size (202 and the job to follow, then its file).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from yiyang.jobs import service as jobs
from yiyang.jobs.api import accepted
from yiyang.jobs.schemas import JobRead
from yiyang.kit.types import SaneDate
from yiyang.visits import export_jobs, exports
from yiyang.visits.exports import FileOut
from yiyang.web.deps import ApiSubject, DbSession, Locale, get_locale

router = APIRouter(tags=["visits"], dependencies=[Depends(get_locale)])
From = Annotated[SaneDate, Query(alias="from")]
To = Annotated[SaneDate, Query(alias="to")]
Format = Annotated[Literal["csv", "xlsx"], Query(alias="format")]
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    409: {"description": "Too many rows for a direct answer: POST to run it as a job"}
}


def _file(out: FileOut) -> Response:
    return Response(
        out.content,
        media_type=out.media_type,
        headers={"Content-Disposition": f'attachment; filename="{out.file_name}"'},
    )


@router.get("/visits/evv-export", responses=TOO_LARGE)
def evv_export(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    date_from: From,
    date_to: To,
    fmt: Format = "csv",
) -> Response:
    """The six EVV facts of every delivered visit in scope in a period (China dates)."""
    count = exports.count_evv(db, subject, date_from, date_to, fmt)
    jobs.refuse_large(count, request.app.state.settings)
    out = exports.evv_export(db, subject, date_from, date_to, fmt, now=request.app.state.clock())
    return _file(out)


@router.post("/visits/evv-export", response_model=JobRead, status_code=202)
def evv_export_job(
    request: Request,
    response: Response,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    date_from: From,
    date_to: To,
    fmt: Format = "csv",
) -> JobRead:
    """The EVV export as a job, any size: follow it, then download its file."""
    job = export_jobs.submit_evv(
        db, subject, date_from, date_to, fmt, now=request.app.state.clock(), locale=locale
    )
    return accepted(request, response, job, locale)
