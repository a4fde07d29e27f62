"""Run long jobs: claim one (SKIP LOCKED), keep its lease alive, record how it ended.

A job is claimed in its own short transaction, so other workers skip it at once. While it
runs, a heartbeat thread extends its lease and notices a cancel request; when a worker dies,
its jobs' leases run out and the next claim takes them: a kind marked `restart` starts again
from the beginning (everything it wrote is committed only with its end, so there is nothing
half-done to resume), any other kind fails with a reason that says nothing was changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from yiyang.config import Settings
from yiyang.errors import N_, DomainError
from yiyang.jobs import files
from yiyang.jobs.context import (
    Fence,
    JobCancelled,
    JobContext,
    JobLost,
    JobOutcome,
    WorkerStopping,
)
from yiyang.jobs.models import Job, JobState
from yiyang.kit.clock import Clock
from yiyang.security import service as security_service
from yiyang.security.models import UserAccount
from yiyang.security.subject import Subject

log = logging.getLogger(__name__)

JobHandler = Callable[[JobContext], JobOutcome]
MAX_ATTEMPTS = 3  # a job whose worker died this many times is given up
UPLOAD = "upload"  # the params key of a job's input file, removed when the job ends

LOST = N_("The worker stopped while this job was running; nothing was changed. Start it again.")
LOST_OFTEN = N_("The worker stopped %(count)s times while running this job, so it was given up.")
UNEXPECTED = N_(
    "The job stopped on an unexpected error; administrators find it in the worker log as job "
    "%(id)s."
)
INACTIVE = N_("The account that asked for this job is no longer active.")


@dataclass(frozen=True)
class JobKind:
    """A registered job kind: its handler and whether a job whose worker died starts again."""

    run: JobHandler
    restart: bool


KINDS: dict[str, JobKind] = {}


def job_handler(kind: str, *, restart: bool) -> Callable[[JobHandler], JobHandler]:
    """Register the handler of a job kind (domains call this in their tasks modules)."""

    def register(fn: JobHandler) -> JobHandler:
        KINDS[kind] = JobKind(fn, restart)
        return fn

    return register


def plain(params: dict[str, Any]) -> dict[str, Any]:
    """Message parameters as JSON values (dates and the like become text)."""
    ok = (str, int, float, bool, type(None))
    return {k: v if isinstance(v, ok) else str(v) for k, v in params.items()}


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.job_lease_seconds)


def claim(
    factory: sessionmaker[Session],
    clock: Clock,
    settings: Settings,
    *,
    worker: str,
    kinds: dict[str, JobKind],
) -> Job | None:
    """Take the oldest queued job (or one whose worker went silent) this worker can run."""
    while True:
        with factory() as session:
            now = clock()
            job = session.scalar(
                select(Job)
                .where(
                    Job.kind.in_(list(kinds)),
                    or_(
                        Job.state == JobState.QUEUED,
                        and_(Job.state == JobState.RUNNING, Job.lease_until < now),
                    ),
                )
                .order_by(Job.created_at, Job.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if job is None:
                session.rollback()
                return None
            if job.state == JobState.RUNNING:
                given_up = _given_up(job, kinds[job.kind])
                log.warning("job %s: worker %s went silent", job.id, job.worker)
                if given_up is not None:
                    message, params = given_up
                    job.state, job.finished_at, job.lease_until = JobState.FAILED, now, None
                    job.error_code, job.error_message = "worker_lost", message
                    job.error_params = params
                    session.commit()
                    files.remove(settings, job.params.get(UPLOAD))
                    continue
            job.state, job.worker, job.attempts = JobState.RUNNING, worker, job.attempts + 1
            job.started_at = job.heartbeat_at = now
            job.lease_until = now + _lease(settings)
            job.progress_done, job.progress_total = 0, None
            job.progress_message, job.progress_params = None, {}
            session.commit()
            return job


def _given_up(job: Job, kind: JobKind) -> tuple[str, dict[str, Any]] | None:
    """Why a job whose worker died is not started again, or None when it is."""
    if not kind.restart:
        return LOST, {}
    if job.attempts >= MAX_ATTEMPTS:
        return LOST_OFTEN, {"count": job.attempts}
    return None


def run_next(
    factory: sessionmaker[Session],
    clock: Clock,
    settings: Settings,
    *,
    worker: str = "worker",
    stopping: threading.Event | None = None,
    kinds: dict[str, JobKind] | None = None,
) -> int | None:
    """Claim one job and run it to its end; returns its id, or None when nothing waits."""
    table = KINDS if kinds is None else kinds
    job = claim(factory, clock, settings, worker=worker, kinds=table)
    if job is None:
        return None
    run_claimed(factory, clock, settings, job, table[job.kind], stopping or threading.Event())
    return job.id


def _owner(factory: sessionmaker[Session], job: Job) -> Subject | None:
    """The job's owner as they are now (role and scope may have changed since they asked)."""
    with factory() as session:
        user = session.get(UserAccount, job.owner_id)
        subject = security_service.subject_for(user, job.ip) if user and user.active else None
        session.rollback()
    return subject


def run_claimed(
    factory: sessionmaker[Session],
    clock: Clock,
    settings: Settings,
    job: Job,
    kind: JobKind,
    stopping: threading.Event,
) -> None:
    """Run a claimed job as its owner and record the end: done, failed, cancelled or requeued."""
    fence = Fence(factory, job.id, job.attempts, clock, _lease(settings))
    subject = _owner(factory, job)
    if subject is None:
        _end(fence, JobState.FAILED, error_code="account_inactive", error_message=INACTIVE)
        files.remove(settings, job.params.get(UPLOAD))
        return
    ctx = JobContext(
        job=job, subject=subject, settings=settings, clock=clock, factory=factory,
        fence=fence, stopping=stopping,
    )  # fmt: skip
    beat = _Heartbeat(ctx, settings.job_lease_seconds / 3)
    beat.start()
    ended = True
    try:
        try:
            outcome = kind.run(ctx)
            _finish(ctx, outcome)
        finally:  # the job's transaction ends before its end is recorded in another
            beat.stop()
            ctx.close()
    except JobLost:
        log.warning("job %s was taken over by another worker; this run is dropped", job.id)
        ended = False
    except JobCancelled:
        _end(fence, JobState.CANCELLED)
    except WorkerStopping:
        ended = not kind.restart
        if kind.restart:
            _end(fence, JobState.QUEUED, finished_at=None, worker=None)
        else:
            _end(fence, JobState.FAILED, error_code="worker_stopped", error_message=LOST)
    except DomainError as exc:
        _end(
            fence, JobState.FAILED, error_code=exc.code[:48], error_message=exc.message[:300],
            error_params=plain(exc.params),
        )  # fmt: skip
    except Exception as exc:  # the job fails with a reason; the worker goes on
        log.exception("job %s (%s) failed", job.id, job.kind)
        _end(
            fence, JobState.FAILED, error_code="unexpected", error_message=UNEXPECTED,
            error_params={"id": job.id}, error_detail=f"{type(exc).__name__}: {exc}"[:500],
        )  # fmt: skip
    for path in ctx.files:
        if path != ctx.kept:  # partial files and results of runs that did not end done
            path.unlink(missing_ok=True)
    if ended:
        files.remove(settings, job.params.get(UPLOAD))


def _finish(ctx: JobContext, outcome: JobOutcome) -> None:
    """Mark the job ended in the same transaction as its writes, unless cancelled or lost."""
    session = ctx.session
    job = session.scalar(select(Job).where(Job.id == ctx.job_id).with_for_update())
    if job is None or job.attempts != ctx.fence.attempt or job.state != JobState.RUNNING:
        raise JobLost(ctx.job_id)
    if job.cancel_requested_at is not None:
        raise JobCancelled(ctx.job_id)
    now = ctx.now()
    job.state = JobState.FAILED if outcome.refusal else JobState.DONE
    job.finished_at, job.lease_until = now, None
    if job.progress_total:
        job.progress_done = job.progress_total
    job.result = {
        "summary": outcome.summary,
        "summary_params": plain(outcome.summary_params),
        "data": outcome.data,
    }
    if outcome.file is not None:
        job.file_path = files.relative(ctx.settings, outcome.file.path)
        job.file_name, job.file_media = outcome.file.name, outcome.file.media_type
        job.file_bytes = outcome.file.path.stat().st_size
        job.file_expires_at = now + timedelta(hours=ctx.settings.job_file_hours)
    if outcome.refusal is not None:
        job.error_code, job.error_message = outcome.refusal.code, outcome.refusal.message
        job.error_params = plain(outcome.refusal.params)
    session.commit()
    ctx.kept = outcome.file.path if outcome.file else None


def _end(fence: Fence, state: JobState, **values: Any) -> None:
    """Record how a job ended, in its own transaction, while this worker still holds it."""
    now = fence.clock()
    with fence.factory() as session:
        session.execute(
            update(Job)
            .where(
                Job.id == fence.job_id,
                Job.attempts == fence.attempt,
                Job.state == JobState.RUNNING,
            )
            .values({"state": state, "finished_at": now, "lease_until": None, **values})
        )
        session.commit()


class _Heartbeat(threading.Thread):
    """Extends a running job's lease every `every` seconds and notices cancel requests."""

    def __init__(self, ctx: JobContext, every: float) -> None:
        super().__init__(name=f"job-{ctx.job_id}-heartbeat", daemon=True)
        self.ctx, self.every = ctx, every
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            try:
                cancel = self.ctx.fence.touch()
            except JobLost:
                self.ctx.lost.set()
                return
            except Exception:  # a busy database: the next beat tries again
                log.warning("job %s: heartbeat failed", self.ctx.job_id, exc_info=True)
                continue
            if cancel is not None:
                self.ctx.cancel_seen.set()

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=5)
