"""JSON routes for the elder spreadsheet import, export and import template.

Small files are answered at once; an import larger than `job_sync_import_bytes` (or asked
with `Prefer: respond-async`) and any `POST /elders/export` run as jobs (202 and a job to
follow); `GET /elders/export` answers directly up to `job_sync_rows` rows.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.background import BackgroundTask

from yiyang.jobs import service as jobs
from yiyang.jobs.api import ACCEPTED, accepted, accepted_json
from yiyang.jobs.schemas import JobRead
from yiyang.registry.elders import io as elder_io
from yiyang.registry.elders import io_export, io_jobs
from yiyang.registry.elders.io_report import rejected_rows, report_bytes
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.web.deps import ApiSubject, DbSession, Locale, get_locale
from yiyang.web.errors import error_payload

router = APIRouter(prefix="/elders", tags=["elders"], dependencies=[Depends(get_locale)])

Format = Literal["xlsx", "csv"]
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    409: {"description": "Too many rows for a direct answer: POST to run it as a job"}
}


class ImportOut(BaseModel):
    """What an accepted import wrote."""

    imported: int
    file_name: str
    sha256: str
    format: str


def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """The uploaded bytes, reading at most one byte past the limit (the service refuses it)."""
    return upload.file.read(max_bytes + 1)


def export_response(written: io_export.ExportFile) -> FileResponse:
    """A written export as the download; the temporary file goes once it is sent."""
    return FileResponse(
        written.path,
        media_type=written.media_type,
        filename=written.file_name,
        background=BackgroundTask(os.unlink, written.path),
    )


def wants_job(prefer: str | None) -> bool:
    """Whether the client asked for an asynchronous answer (RFC 7240 `respond-async`)."""
    return prefer is not None and "respond-async" in prefer.lower()


@router.post(
    "/import", response_model=ImportOut, status_code=201, responses=ACCEPTED,
)  # fmt: skip
def import_elders(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    file: Annotated[UploadFile, File(description="An .xlsx or .csv file")],
    report: Annotated[Literal["json", "csv"], Query()] = "json",
    prefer: Annotated[str | None, Header(description="respond-async: always as a job")] = None,
) -> Any:
    """Import elders from a spreadsheet: every row valid and all are inserted, or none is.

    Files up to `job_sync_import_bytes` (512 KiB) are checked at once (201, or 422 with every
    problem); larger ones, or any with `Prefer: respond-async`, become a job (202): its
    result says how many were imported, or why none were, with the problem report as file.
    """
    lim = io_jobs.limits(request.app.state.settings)
    content = read_upload(file, lim.max_bytes)
    state = request.app.state
    if wants_job(prefer) or io_jobs.is_large_import(content, state.settings):
        job = io_jobs.submit_import(
            db, subject, content, file.filename or "upload", now=state.clock(),
            settings=state.settings, locale=locale,
        )  # fmt: skip
        return accepted_json(request, job, locale)
    try:
        result = elder_io.import_elders(
            db, subject, content, file.filename or "upload", now=state.clock(),
            district_code=state.settings.district_code, limits=lim, locale=locale,
        )  # fmt: skip
    except elder_io.ImportRejected as exc:
        if report == "csv":
            return Response(
                report_bytes(locale, exc),
                status_code=422,
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="import-problems.csv"'},
            )
        body = error_payload(locale, exc)
        body["error"]["problems"] = []  # the rows below say it once, with row and column
        body["rows"] = rejected_rows(locale, exc)
        body["total"], body["truncated"] = exc.total, exc.truncated
        return JSONResponse(body, status_code=422)
    return ImportOut(
        imported=result.count, file_name=result.file_name, sha256=result.sha256, format=result.kind
    )


@router.get("/export", response_class=FileResponse, responses=TOO_LARGE)
def export_elders(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    flt: Annotated[ElderFilter, Depends()],
    format: Format = "xlsx",
) -> FileResponse:
    """The elders in scope as a spreadsheet, masked as in lists; the export is audited.

    Up to `job_sync_rows` (5,000) rows; a larger export answers 409: POST the same address
    to run it as a job.
    """
    now, settings = request.app.state.clock(), request.app.state.settings
    count = io_export.count_export(
        db, subject, flt, format, now=now, id_lookup_limit=settings.elder_id_lookups_per_hour
    )
    jobs.refuse_large(count, settings)
    return export_response(
        io_export.export_elders(db, subject, flt, format, now=now, locale=locale)
    )


@router.post("/export", response_model=JobRead, status_code=202)
def export_elders_job(
    request: Request,
    response: Response,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    flt: Annotated[ElderFilter, Depends()],
    format: Format = "xlsx",
) -> JobRead:
    """Export the elders in scope as a job, any size: follow it, then download its file."""
    settings = request.app.state.settings
    job = io_jobs.submit_export(
        db, subject, flt, format, now=request.app.state.clock(), locale=locale,
        id_lookup_limit=settings.elder_id_lookups_per_hour,
    )  # fmt: skip
    return accepted(request, response, job, locale)


@router.get("/import-template")
def import_template(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, format: Format = "xlsx"
) -> Response:
    """An empty import file: the header row and one example row."""
    content, name, media = io_export.template_file(
        db, subject, format, now=request.app.state.clock(), locale=locale
    )
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
