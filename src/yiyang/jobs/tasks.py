"""The jobs' own timer: remove result files past their keeping time, spent uploads, and jobs
that ended long ago (their audit rows stay)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.jobs import files, repository, timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.runner import UPLOAD
from yiyang.jobs.timer_runner import handles

CLEANUP = "jobs.cleanup"
CLEANUP_EVERY = timedelta(hours=1)


def ensure_cleanup(session: Session, now: datetime) -> None:
    """Make sure one cleanup timer is pending (it schedules the next when it fires)."""
    if not timers.pending(session, CLEANUP):
        timers.schedule(session, CLEANUP, 0, now + CLEANUP_EVERY)


@handles(CLEANUP)
def cleanup(ctx: TimerContext, timer: Timer) -> None:
    """Hourly: delete expired result files, uploads whose job has ended, and old ended jobs."""
    for job in repository.expired_files(ctx.session, ctx.now):
        files.remove(ctx.settings, job.file_path)
        job.file_path = None
    for job in repository.ended_with_upload(ctx.session):
        files.remove(ctx.settings, job.params.get(UPLOAD))
        job.params = {k: v for k, v in job.params.items() if k != UPLOAD}
    ctx.session.flush()
    repository.forget_ended(ctx.session, ctx.now - timedelta(days=ctx.settings.job_keep_days))
    if not any(t.id != timer.id for t in timers.pending(ctx.session, CLEANUP)):
        timers.schedule(ctx.session, CLEANUP, 0, ctx.now + CLEANUP_EVERY)
