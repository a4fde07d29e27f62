"""Submit, read and cancel jobs inside the caller's transaction; the worker runs them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.errors import N_, Conflict, Forbidden, NotFound
from yiyang.jobs import files, repository
from yiyang.jobs.models import Job, JobState
from yiyang.jobs.runner import plain
from yiyang.security.subject import Subject

MINE_LIMIT = 50


def submit(
    session: Session,
    subject: Subject,
    kind: str,
    params: dict[str, Any],
    *,
    title: str,
    title_params: dict[str, Any] | None = None,
    link: str | None = None,
    locale: str,
    now: datetime,
) -> Job:
    """Queue a job owned by the person asking; a worker starts it once this commits.

    `link` is the page that shows the result in full; "{id}" in it becomes the job's id.
    """
    if subject.user_id is None:
        raise Forbidden(N_("Only a signed-in person can start a job."), code="no_owner")
    job = Job(
        kind=kind, params=params, owner_id=subject.user_id, ip=subject.ip, locale=locale,
        title=title, title_params=plain(title_params or {}), state=JobState.QUEUED,
        created_at=now, progress_params={}, error_params={},
    )  # fmt: skip
    session.add(job)
    session.flush()
    job.link = link.replace("{id}", str(job.id)) if link else None
    return job


def is_large(count: int, settings: Settings) -> bool:
    """Exports of more rows than `job_sync_rows` run as jobs; smaller ones are answered at once."""
    return count > settings.job_sync_rows


def refuse_large(count: int, settings: Settings) -> None:
    """A direct answer (GET) only for small exports; the message says how to get the rest."""
    if is_large(count, settings):
        raise Conflict(
            N_("This export has %(count)s rows; more than %(max)s are exported by a job."),
            code="export_needs_job",
            count=count,
            max=settings.job_sync_rows,
        )


def read(session: Session, subject: Subject, job_id: int) -> Job:
    """One of the caller's own jobs."""
    return repository.get(session, subject, job_id)


def mine(session: Session, subject: Subject) -> list[Job]:
    """The caller's newest jobs, newest first."""
    return repository.mine(session, subject, limit=MINE_LIMIT)


def cancel(session: Session, subject: Subject, job_id: int, *, now: datetime) -> Job:
    """Stop a job: a waiting one at once, a running one at its next step (nothing is kept)."""
    job = repository.get(session, subject, job_id, lock=True)
    if job.state == JobState.QUEUED:
        job.state, job.finished_at = JobState.CANCELLED, now
    elif job.state == JobState.RUNNING:
        job.cancel_requested_at = job.cancel_requested_at or now
    else:
        raise Conflict(N_("This job has already ended."), code="job_ended")
    return job


def result_file(
    session: Session, subject: Subject, job_id: int, *, settings: Settings, now: datetime
) -> tuple[Path, str, str]:
    """The result file of one of the caller's jobs: its path, download name and media type."""
    job = repository.get(session, subject, job_id)
    if job.file_name is None:
        raise NotFound(N_("Job %(id)s has no file."), id=job_id, code="no_file")
    path = files.resolve(settings, job.file_path) if job.file_path else None
    expired = job.file_expires_at is not None and job.file_expires_at <= now
    if path is None or expired or not path.exists():
        raise NotFound(
            N_("The file of job %(id)s has expired; run the job again."),
            id=job_id,
            code="file_expired",
        )
    return path, job.file_name, job.file_media or "application/octet-stream"
