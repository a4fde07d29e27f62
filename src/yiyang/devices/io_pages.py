"""The delivery-batch import pages: the form and template, the upload, the per-row report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiyang.devices import io as device_io
from yiyang.devices import io_jobs
from yiyang.errors import N_, DomainError, NotFound
from yiyang.jobs.pages import JobId, job_helpers, job_view
from yiyang.jobs.schemas import is_active
from yiyang.security.roles import Perm
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _form(request: Request, locale: str, message: str | None, status: int) -> HTMLResponse:
    columns = [
        (translate(locale, text), key in device_io.REQUIRED) for key, text in device_io.COLUMNS
    ]
    return render(request, "devices/import.html", {"columns": columns, "message": message},
                  status_code=status)  # fmt: skip


@router.get("/devices/import", response_class=HTMLResponse)
def import_form(request: Request, subject: PageSubject, locale: Locale) -> HTMLResponse:
    """The upload form, the columns and the template."""
    subject.require(Perm.DEVICE_WRITE)
    return _form(request, locale, None, 200)


@router.get("/devices/import/template.xlsx")
def template(subject: PageSubject, locale: Locale) -> Response:
    """The delivery-batch template with headers in the page's language."""
    subject.require(Perm.DEVICE_WRITE)
    return Response(
        device_io.template_bytes(locale), media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="device-batch-template.xlsx"'},
    )  # fmt: skip


@router.post("/devices/import", response_model=None)
def import_submit(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Keep the upload and follow its import as a job."""
    state = request.app.state
    content = file.file.read(state.settings.max_import_bytes + 1)
    try:
        with db.begin_nested():
            job = io_jobs.submit_import(
                db, subject, content, file.filename or "upload", now=state.clock(),
                settings=state.settings, locale=locale,
            )  # fmt: skip
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        return _form(request, locale, error_message(locale, exc), exc.status_code)
    return RedirectResponse(job.link or "/jobs", status_code=303)


@router.get("/devices/import/jobs/{job_id}", response_class=HTMLResponse)
def import_job(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, job_id: JobId
) -> HTMLResponse:
    """An import: its progress, then every row's result (the device, or why not)."""
    subject.require(Perm.DEVICE_WRITE)
    job = job_view(db, subject, job_id, locale, request.app.state.clock())
    if job.kind != io_jobs.IMPORT:
        raise NotFound(N_("Job %(id)s not found."), id=job_id)
    data = job.data or {}
    rows = [] if is_active(job) else device_io.result_rows(locale, data.get("rows", []))
    context = {"job": job, "rows": rows, "polling": is_active(job), "data": data}
    return render(request, "devices/import_result.html", job_helpers(locale) | context)
