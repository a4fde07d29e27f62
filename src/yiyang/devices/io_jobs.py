"""The delivery-batch import as a job: submit the upload, and the handler the worker runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.devices import io as device_io
from yiyang.errors import N_, TooLarge
from yiyang.jobs import files
from yiyang.jobs import service as jobs
from yiyang.jobs.context import JobContext, JobOutcome, ResultFile
from yiyang.jobs.models import Job
from yiyang.jobs.runner import UPLOAD, job_handler
from yiyang.registry.elders.io_rules import sniff
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

IMPORT = "devices.import"
IMPORT_TITLE = N_("Device delivery batch from %(file)s")
CHECKING = N_("Registering the devices row by row…")


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
    subject.require(Perm.DEVICE_WRITE)
    if len(content) > settings.max_import_bytes:
        raise TooLarge(N_("The file is larger than %(mb)s MB."), field="file",
                       mb=round(settings.max_import_bytes / 1024 / 1024, 1))  # fmt: skip
    kind = sniff(content)
    upload = files.save_upload(settings, content, f".{kind}")
    return jobs.submit(
        session, subject, IMPORT, {UPLOAD: upload, "file_name": file_name[:200]},
        title=IMPORT_TITLE, title_params={"file": file_name[:100]},
        link="/devices/import/jobs/{id}", locale=locale, now=now,
    )  # fmt: skip


@job_handler(IMPORT, restart=True)
def import_job(ctx: JobContext) -> JobOutcome:
    """Register every good row in the job's own transaction (each row in a savepoint).

    Nothing is committed before the job ends, so a lost run starts again from the file.
    """
    content = files.resolve(ctx.settings, ctx.params[UPLOAD]).read_bytes()
    batch = device_io.import_batch(
        ctx.session, ctx.subject, content, now=ctx.now(), max_rows=ctx.settings.max_import_rows,
        progress=lambda done, total: ctx.progress(done, total, CHECKING),
    )  # fmt: skip
    rows = device_io.plain_rows(batch)
    report = ctx.result_path(".csv")
    report.write_bytes(device_io.report_csv(ctx.locale, rows))
    return JobOutcome(
        N_("%(registered)s devices registered, %(refused)s rows refused."),
        {"registered": f"{batch.registered:,}", "refused": f"{batch.refused:,}"},
        data={"rows": rows[:2000], "registered": batch.registered, "refused": batch.refused},
        file=ResultFile(report, "device-import-report.csv", "text/csv; charset=utf-8"),
    )
