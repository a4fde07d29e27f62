"""HTML pages of the elder import and export: small files at once, large ones as jobs."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiyang.errors import N_, DomainError, NotFound
from yiyang.jobs import service as jobs
from yiyang.jobs.pages import job_helpers, job_view
from yiyang.jobs.schemas import JobRead, is_active
from yiyang.registry.elders import io as elder_io
from yiyang.registry.elders import io_export, io_jobs
from yiyang.registry.elders.io_api import export_response, read_upload
from yiyang.registry.elders.io_columns import COLUMNS, header_text
from yiyang.registry.elders.io_report import rejected_rows, report_bytes
from yiyang.registry.elders.pages import filter_from
from yiyang.security.roles import Perm
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.errors import error_payload
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
JobId = Annotated[int, Path(ge=1, le=2**63 - 1)]

SHOWN_ROWS = io_jobs.SHOWN_ROWS  # problems shown on the page; the CSV report has them all


def _form(
    request: Request, locale: str, error: dict[str, object] | None, status: int
) -> HTMLResponse:
    columns = [(header_text(c.key, locale), c.required) for c in COLUMNS]
    return render(
        request, "elders/import.html", {"error": error, "columns": columns}, status_code=status
    )


@router.get("/elders/import", response_class=HTMLResponse)
def import_form(request: Request, subject: PageSubject, locale: Locale) -> HTMLResponse:
    """The upload form, with links to the templates."""
    subject.require(Perm.ELDER_IMPORT)
    return _form(request, locale, None, 200)


@router.post("/elders/import", response_class=HTMLResponse)
def import_submit(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Import a small file at once and show the result; a large one is followed as a job."""
    lim = io_jobs.limits(request.app.state.settings)
    content = read_upload(file, lim.max_bytes)
    name = file.filename or "upload"
    state = request.app.state
    try:
        if io_jobs.is_large_import(content, state.settings):
            job = io_jobs.submit_import(
                db, subject, content, name, now=state.clock(), settings=state.settings,
                locale=locale,
            )  # fmt: skip
            return RedirectResponse(job.link or "/jobs", status_code=303)
        result = elder_io.import_elders(
            db, subject, content, name, now=state.clock(),
            district_code=state.settings.district_code, limits=lim, locale=locale,
        )  # fmt: skip
    except elder_io.ImportRejected as exc:
        report = base64.b64encode(report_bytes(locale, exc)).decode("ascii")
        rows = rejected_rows(locale, exc)
        return render(
            request,
            "elders/import_result.html",
            {
                "result": None,
                "file_name": name,
                "error": error_payload(locale, exc)["error"],
                "rows": rows[:SHOWN_ROWS],
                "hidden": exc.total - min(len(rows), SHOWN_ROWS),
                "report_href": f"data:text/csv;charset=utf-8;base64,{report}",
            },
            status_code=422,
        )
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        return _form(request, locale, error_payload(locale, exc)["error"], exc.status_code)
    return render(
        request,
        "elders/import_result.html",
        {"result": result, "file_name": name, "error": None, "rows": [], "hidden": 0},
    )


def _job_result(job: JobRead, locale: str) -> dict[str, Any]:
    """What an ended import job shows: the count, or the problems and their CSV report."""
    data = job.data or {}
    rows = [
        {
            "row": r["row"],
            "column": r["column"],
            "message": translate(locale, r["message"], r["params"]),
        }
        for r in data.get("rows", [])
    ]
    return {
        "result": {"count": data["imported"]} if "imported" in data else None,
        "error": {"message": job.error.message} if job.error else None,
        "rows": rows,
        "hidden": max(0, int(data.get("total", 0)) - len(rows)),
        "report_href": job.file.url if job.file else None,
    }


@router.get("/elders/import/jobs/{job_id}", response_class=HTMLResponse)
def import_job(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, job_id: JobId
) -> HTMLResponse:
    """A large import: its progress, then what it imported or every problem it found."""
    subject.require(Perm.ELDER_IMPORT)
    job = job_view(db, subject, job_id, locale, request.app.state.clock())
    if job.kind != io_jobs.IMPORT:
        raise NotFound(N_("Job %(id)s not found."), id=job_id)
    ended = {} if is_active(job) else _job_result(job, locale)
    context = {"job": job, "file_name": job.title, "result": None, "error": None, "rows": []}
    return render(
        request,
        "elders/import_result.html",
        job_helpers(locale) | context | ended | {"polling": is_active(job)},
    )


@router.get("/elders/export", response_class=HTMLResponse)
def export_form(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """How many elders the list's filters export, in which format, and whether as a job."""
    flt, values = filter_from(request)
    state = request.app.state
    count = io_export.count_export(
        db, subject, flt, "xlsx", now=state.clock(),
        id_lookup_limit=state.settings.elder_id_lookups_per_hour,
    )  # fmt: skip
    return render(
        request,
        "elders/export.html",
        {
            "count": count,
            "large": jobs.is_large(count, state.settings),
            "limit": state.settings.job_sync_rows,
            "query": request.url.query,
            "values": values,
        },
    )


@router.post("/elders/export")
def export_submit(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """A small export is the file itself; a large one becomes a job followed under My jobs."""
    flt, _ = filter_from(request)
    kind = str(form.get("format") or "xlsx")
    state = request.app.state
    now = state.clock()
    limit = state.settings.elder_id_lookups_per_hour
    count = io_export.count_export(db, subject, flt, kind, now=now, id_lookup_limit=limit)
    if jobs.is_large(count, state.settings):
        job = io_jobs.submit_export(
            db, subject, flt, kind, now=now, locale=locale, id_lookup_limit=limit
        )
        return RedirectResponse(job.link or "/jobs", status_code=303)
    return export_response(io_export.export_elders(db, subject, flt, kind, now=now, locale=locale))
