"""JSON routes for the elder spreadsheet import, export and import template."""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.background import BackgroundTask

from yiyang.errors import N_
from yiyang.registry.elders import io as elder_io
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.web.deps import ApiSubject, DbSession, Locale, get_locale
from yiyang.web.errors import error_payload
from yiyang.web.i18n import translate

router = APIRouter(prefix="/elders", tags=["elders"], dependencies=[Depends(get_locale)])

Format = Literal["xlsx", "csv"]
REPORT_HEADERS = (N_("Row"), N_("Column"), N_("Code"), N_("Problem"))


class ImportOut(BaseModel):
    """What an accepted import wrote."""

    imported: int
    file_name: str
    sha256: str
    format: str


def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """The uploaded bytes, reading at most one byte past the limit (the service refuses it)."""
    return upload.file.read(max_bytes + 1)


def limits(request: Request) -> elder_io.ImportLimits:
    """Upload limits from the app's settings."""
    settings = request.app.state.settings
    return elder_io.ImportLimits(settings.max_import_bytes, settings.max_import_rows)


def rejected_rows(locale: str, exc: elder_io.ImportRejected) -> list[dict[str, Any]]:
    """The per-row problems of a rejected import, translated."""
    return [
        {
            "row": p.row,
            "column": p.column,
            "field": p.field,
            "code": p.code,
            "message": translate(locale, p.message, p.params),
        }
        for p in exc.rows
    ]


def report_bytes(locale: str, exc: elder_io.ImportRejected) -> bytes:
    """The problem report of a rejected import as a CSV file."""
    return elder_io.report_csv(
        exc.rows,
        lambda message, params: translate(locale, message, params),
        [translate(locale, h) for h in REPORT_HEADERS],
    )


@router.post("/import", response_model=ImportOut, status_code=201)
def import_elders(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    file: Annotated[UploadFile, File(description="An .xlsx or .csv file")],
    report: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Import elders from a spreadsheet: every row valid and all are inserted, or none is."""
    lim = limits(request)
    content = read_upload(file, lim.max_bytes)
    try:
        result = elder_io.import_elders(
            db, subject, content, file.filename or "upload", now=request.app.state.clock(),
            district_code=request.app.state.settings.district_code, limits=lim, locale=locale,
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


@router.get("/export", response_class=FileResponse)
def export_elders(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    flt: Annotated[ElderFilter, Depends()],
    format: Format = "xlsx",
) -> FileResponse:
    """The elders in scope as a spreadsheet, masked as in lists; the export is audited."""
    written = elder_io.export_elders(
        db,
        subject,
        flt,
        format,
        now=request.app.state.clock(),
        locale=locale,
        id_lookup_limit=request.app.state.settings.elder_id_lookups_per_hour,
    )
    return FileResponse(
        written.path,
        media_type=written.media_type,
        filename=written.file_name,
        background=BackgroundTask(os.unlink, written.path),
    )


@router.get("/import-template")
def import_template(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, format: Format = "xlsx"
) -> Response:
    """An empty import file: the header row and one example row."""
    content, name, media = elder_io.template_file(
        db, subject, format, now=request.app.state.clock(), locale=locale
    )
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
