"""The job as the API and the pages show it: texts translated, times in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from yiyang.jobs.models import ACTIVE, Job, JobState
from yiyang.web.i18n import translate

State = Literal["queued", "running", "done", "failed", "cancelled"]


class JobProgress(BaseModel):
    """How far a running job is; `total` is null while the job cannot tell."""

    done: int
    total: int | None
    percent: int | None = Field(description="0-100 when the total is known")
    message: str | None


class JobFile(BaseModel):
    """A result file kept for its owner until `expires_at`."""

    name: str
    bytes: int
    expires_at: datetime
    url: str


class JobError(BaseModel):
    """Why a job failed, in words a person can act on."""

    code: str
    message: str


class JobRead(BaseModel):
    """A job: what it is, where it is, and how it ended."""

    id: int
    kind: str
    state: State
    title: str
    progress: JobProgress
    summary: str | None = Field(description="What the job did, once it has ended")
    data: dict[str, Any] | None = Field(description="The result's figures, by kind")
    file: JobFile | None
    file_expired: bool
    error: JobError | None
    cancel_requested: bool
    link: str | None = Field(description="The page that shows the result in full")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_read(job: Job, locale: str, now: datetime) -> JobRead:
    """A job row as shown to its owner in `locale`."""
    total = job.progress_total
    done = job.progress_done
    message = job.progress_message
    result = job.result or {}
    summary = result.get("summary")
    expires = job.file_expires_at
    alive = job.file_path is not None and expires is not None and expires > now
    return JobRead(
        id=job.id,
        kind=job.kind,
        state=job.state,
        title=translate(locale, job.title, job.title_params),
        progress=JobProgress(
            done=done,
            total=total,
            percent=min(100, round(100 * done / total)) if total else None,
            message=translate(locale, message, job.progress_params) if message else None,
        ),
        summary=translate(locale, summary, result.get("summary_params", {})) if summary else None,
        data=result.get("data"),
        file=JobFile(
            name=job.file_name or "",
            bytes=job.file_bytes or 0,
            expires_at=expires,
            url=f"/api/v1/jobs/{job.id}/file",
        )
        if alive and expires is not None
        else None,
        file_expired=job.file_name is not None and not alive,
        error=JobError(
            code=job.error_code or "error",
            message=translate(locale, job.error_message, job.error_params),
        )
        if job.error_message
        else None,
        cancel_requested=job.cancel_requested_at is not None and job.state in ACTIVE,
        link=job.link,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def is_active(job: JobRead) -> bool:
    """Still waiting or running (its page keeps polling)."""
    return job.state in (JobState.QUEUED, JobState.RUNNING)
