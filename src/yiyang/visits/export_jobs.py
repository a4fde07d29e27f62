"""Large EVV exports as jobs: submit them, and the handler the worker runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_
from yiyang.jobs import service as jobs
from yiyang.jobs.context import JobContext, JobOutcome, ResultFile
from yiyang.jobs.models import Job
from yiyang.jobs.runner import job_handler
from yiyang.security.subject import Subject
from yiyang.visits import exports

EVV = "visits.evv_export"
EVV_TITLE = N_("EVV export of %(start)s to %(end)s (.%(format)s)")
READING = N_("Reading the delivered visits…")
WRITING = N_("Writing the file…")


def submit_evv(
    session: Session,
    subject: Subject,
    date_from: date,
    date_to: date,
    kind: str,
    *,
    now: datetime,
    locale: str,
) -> Job:
    """Queue an EVV export of the period (checked now); its file waits under My jobs."""
    exports.count_evv(session, subject, date_from, date_to, kind)
    return jobs.submit(
        session, subject, EVV,
        {"from": date_from.isoformat(), "to": date_to.isoformat(), "format": kind},
        title=EVV_TITLE,
        title_params={"start": date_from.isoformat(), "end": date_to.isoformat(), "format": kind},
        link="/jobs/{id}", locale=locale, now=now,
    )  # fmt: skip


def _kept(ctx: JobContext, out: exports.FileOut) -> ResultFile:
    """The export written to the job's result file."""
    ctx.progress(1, 2, WRITING)
    path = ctx.result_path("." + out.file_name.rsplit(".", 1)[-1])
    path.write_bytes(out.content)
    return ResultFile(path, out.file_name, out.media_type)


@job_handler(EVV, restart=True)
def evv_job(ctx: JobContext) -> JobOutcome:
    """The EVV file from one snapshot; it only reads, so a lost run starts again."""
    start, end = date.fromisoformat(ctx.params["from"]), date.fromisoformat(ctx.params["to"])
    ctx.progress(0, 2, READING)
    with ctx.reading() as session:
        out = exports.evv_file(session, ctx.subject, start, end, ctx.params["format"])
    kept = _kept(ctx, out)
    exports.record_evv_export(ctx.session, ctx.subject, start, end, out, now=ctx.now())
    return JobOutcome(N_("%(count)s visits exported."), {"count": out.count}, file=kept)
