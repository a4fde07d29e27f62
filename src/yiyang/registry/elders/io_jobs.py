"""Large elder exports and imports as jobs: submit them, and the handlers the worker runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.errors import N_
from yiyang.jobs import files
from yiyang.jobs import service as jobs
from yiyang.jobs.context import JobContext, JobOutcome, ResultFile
from yiyang.jobs.models import Job
from yiyang.jobs.runner import UPLOAD, job_handler, plain
from yiyang.registry.elders import io as elder_io
from yiyang.registry.elders import io_export
from yiyang.registry.elders.io_report import report_bytes
from yiyang.registry.elders.io_rules import sniff
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.subject import Subject

EXPORT = "elders.export"
IMPORT = "elders.import"
EXPORT_TITLE = N_("Export of %(count)s elders (.%(format)s)")
IMPORT_TITLE = N_("Elder import from %(file)s")
WRITING = N_("Writing the elders to the file…")
READING = N_("Reading the file…")
CHECKING = N_("Checking every row…")
SAVING = N_("Saving the elders…")
SHOWN_ROWS = 500  # problems kept for the page; the CSV report has them all


def limits(settings: Settings) -> elder_io.ImportLimits:
    """Upload limits from the settings."""
    return elder_io.ImportLimits(settings.max_import_bytes, settings.max_import_rows)


def is_large_import(content: bytes, settings: Settings) -> bool:
    """Uploads larger than this are checked and imported by a job."""
    return len(content) > settings.job_sync_import_bytes


def submit_export(
    session: Session,
    subject: Subject,
    flt: ElderFilter,
    kind: str,
    *,
    now: datetime,
    locale: str,
    id_lookup_limit: int,
) -> Job:
    """Queue an export of the elders in scope; its file waits under the owner's jobs."""
    count = io_export.count_export(
        session, subject, flt, kind, now=now, id_lookup_limit=id_lookup_limit
    )
    return jobs.submit(
        session, subject, EXPORT,
        {"filter": flt.model_dump(mode="json", exclude_none=True), "format": kind},
        title=EXPORT_TITLE, title_params={"count": f"{count:,}", "format": kind}, link="/jobs/{id}",
        locale=locale, now=now,
    )  # fmt: skip


def submit_import(
    session: Session,
    subject: Subject,
    content: bytes,
    file_name: str,
    *,
    now: datetime,
    settings: Settings,
    locale: str,
) -> Job:
    """Keep the upload and queue its import; a file that is no spreadsheet is refused now."""
    elder_io.check_upload(subject, content, limits(settings))
    kind = sniff(content)
    upload = files.save_upload(settings, content, f".{kind}")
    return jobs.submit(
        session, subject, IMPORT, {UPLOAD: upload, "file_name": file_name[:200]},
        title=IMPORT_TITLE, title_params={"file": file_name[:100]},
        link="/elders/import/jobs/{id}", locale=locale, now=now,
    )  # fmt: skip


@job_handler(EXPORT, restart=True)
def export_job(ctx: JobContext) -> JobOutcome:
    """Write the export from one snapshot; it only reads, so a lost run starts again."""
    flt = ElderFilter.model_validate(ctx.params["filter"])
    kind, now = ctx.params["format"], ctx.now()
    path = ctx.result_path(f".{kind}")
    with ctx.reading() as session:
        total = io_export.count_export(
            session, ctx.subject, flt, kind, now=now, id_lookup_limit=None
        )
        ctx.progress(0, total, WRITING)
        with path.open("wb") as out:
            count = io_export.write_export(
                session, ctx.subject, flt, kind, out, now=now, locale=ctx.locale,
                progress=lambda done: ctx.progress(done, total, WRITING),
            )  # fmt: skip
    io_export.record_export(ctx.session, ctx.subject, flt, kind, count, now=now)
    name, media = io_export.export_name(kind, now)
    return JobOutcome(
        N_("%(count)s elders exported."),
        {"count": f"{count:,}"},
        data={"count": count, "format": kind},
        file=ResultFile(path, name, media),
    )


@job_handler(IMPORT, restart=True)
def import_job(ctx: JobContext) -> JobOutcome:
    """Check every row from a snapshot, then insert all in the job's own transaction.

    Nothing is written before the job ends, so a lost run starts again from the file.
    """
    content = files.resolve(ctx.settings, ctx.params[UPLOAD]).read_bytes()
    name, now = ctx.params["file_name"], ctx.now()
    ctx.progress(0, None, READING)
    try:
        with ctx.reading() as session:
            checked = elder_io.check_import(
                session, ctx.subject, content, name, now=now,
                district_code=ctx.settings.district_code, limits=limits(ctx.settings),
                locale=ctx.locale,
                progress=lambda done, total: ctx.progress(done, total, CHECKING),
            )  # fmt: skip
        ctx.progress(len(checked.rows), len(checked.rows), SAVING)
        result = elder_io.write_import(ctx.session, ctx.subject, checked, now=now)
    except elder_io.ImportRejected as exc:
        return _rejected(ctx, exc)
    return JobOutcome(
        N_("%(count)s elders were imported."),
        {"count": f"{result.count:,}"},
        data={"imported": result.count, "sha256": result.sha256, "format": result.kind},
    )


def _rejected(ctx: JobContext, exc: elder_io.ImportRejected) -> JobOutcome:
    """A rejected file: the job fails with the reason, the problems and their CSV report."""
    report = ctx.result_path(".csv")
    report.write_bytes(report_bytes(ctx.locale, exc))
    rows: list[dict[str, Any]] = [
        {"row": p.row, "column": p.column, "message": p.message, "params": plain(p.params)}
        for p in exc.rows[:SHOWN_ROWS]
    ]
    return JobOutcome(
        exc.message,
        exc.params,
        data={"rows": rows, "total": exc.total},
        file=ResultFile(report, "import-problems.csv", "text/csv; charset=utf-8"),
        refusal=exc,
    )
