"""HTML pages of the elder import: an upload form and a result page with a problem report."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse

from yiyang.errors import DomainError
from yiyang.registry.elders import io as elder_io
from yiyang.registry.elders.io_api import limits, read_upload, rejected_rows, report_bytes
from yiyang.registry.elders.io_columns import COLUMNS, header_text
from yiyang.security.roles import Perm
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.errors import error_payload
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

SHOWN_ROWS = 500  # problems shown on the page; the CSV report has them all


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
) -> HTMLResponse:
    """Run the import and show what was written, or every problem in a table."""
    lim = limits(request)
    content = read_upload(file, lim.max_bytes)
    name = file.filename or "upload"
    try:
        result = elder_io.import_elders(
            db, subject, content, name, now=request.app.state.clock(),
            district_code=request.app.state.settings.district_code, limits=lim, locale=locale,
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
