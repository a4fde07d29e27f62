"""Every query of jobs: a person reads only the jobs they asked for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from yiyang.errors import N_, NotFound
from yiyang.jobs.models import ACTIVE, Job
from yiyang.security.subject import Subject


def readable(subject: Subject) -> Select[tuple[Job]]:
    """The jobs this subject owns (nobody sees another person's jobs or files)."""
    return select(Job).where(Job.owner_id == subject.user_id)


def get(session: Session, subject: Subject, job_id: int, *, lock: bool = False) -> Job:
    """One of the subject's jobs, locked when asked; another person's job is not found."""
    stmt = readable(subject).where(Job.id == job_id)
    if lock:
        stmt = stmt.with_for_update()
    job = session.scalar(stmt)
    if job is None:
        raise NotFound(N_("Job %(id)s not found."), id=job_id)
    return job


def mine(session: Session, subject: Subject, *, limit: int) -> list[Job]:
    """The subject's newest jobs."""
    stmt = readable(subject).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def expired_files(session: Session, now: datetime) -> list[Job]:
    """Jobs whose result file is past its keeping time."""
    return list(
        session.scalars(select(Job).where(Job.file_path.is_not(None), Job.file_expires_at < now))
    )


def ended_with_upload(session: Session) -> list[Job]:
    """Ended jobs that still point at an uploaded input file."""
    return list(
        session.scalars(
            select(Job).where(
                Job.state.not_in([str(s) for s in ACTIVE]),
                Job.params["upload"].as_string().is_not(None),
            )
        )
    )


def forget_ended(session: Session, before: datetime) -> int:
    """Delete jobs that ended before `before` and hold no file any more; how many went."""
    gone = session.execute(
        delete(Job).where(
            Job.state.not_in(list(ACTIVE)), Job.finished_at < before, Job.file_path.is_(None)
        )
    )
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
