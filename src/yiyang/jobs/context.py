"""What timer and job handlers are given instead of reaching for global settings or clocks."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from yiyang.config import Settings
from yiyang.db import read_only
from yiyang.errors import DomainError
from yiyang.jobs import files
from yiyang.jobs.models import Job, JobState
from yiyang.kit.clock import Clock
from yiyang.security.subject import Subject

PROGRESS_EVERY = 0.5  # seconds between progress writes; the first one is always written


@dataclass(frozen=True)
class TimerContext:
    """A due timer's transaction, the time it fires at and the process settings."""

    session: Session
    now: datetime
    settings: Settings


class JobCancelled(Exception):
    """The owner asked the job to stop; it ends cancelled and nothing it did is kept."""


class JobLost(Exception):
    """The job is no longer this worker's (its lease was taken over): stop without writing."""


class WorkerStopping(Exception):
    """The worker is shutting down: the job is handed back before it changes anything."""


@dataclass(frozen=True)
class ResultFile:
    """A file a job wrote for its owner to download."""

    path: Path
    name: str
    media_type: str


@dataclass
class JobOutcome:
    """How a job ended: a summary to show, data for its page, perhaps a file.

    `refusal` marks a job that ran to its end but refused the work (an import with bad rows):
    it ends failed with that reason, and keeps its data and file (the problem report).
    """

    summary: str
    summary_params: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    file: ResultFile | None = None
    refusal: DomainError | None = None


@dataclass
class Fence:
    """Writes to a claimed job row that only land while this worker's claim still holds."""

    factory: sessionmaker[Session]
    job_id: int
    attempt: int
    clock: Clock
    lease: timedelta

    def touch(self, **values: Any) -> datetime | None:
        """Extend the lease (and write `values`); returns when a cancel was asked, if it was."""
        now = self.clock()
        with self.factory() as session:
            row = session.execute(
                update(Job)
                .where(
                    Job.id == self.job_id,
                    Job.attempts == self.attempt,
                    Job.state == JobState.RUNNING,
                )
                .values(heartbeat_at=now, lease_until=now + self.lease, **values)
                .returning(Job.cancel_requested_at)
            ).first()
            session.commit()
        if row is None:
            raise JobLost(self.job_id)
        cancel_requested_at: datetime | None = row[0]
        return cancel_requested_at


class JobContext:
    """A running job's view of the world: who asked, settings, time, sessions and progress.

    Long reads go through `reading()` (a snapshot that never holds writers up); the job's
    writes go to `session`, which the runner commits together with the job's end, so a job
    either did all of its work and says so, or did none of it.
    """

    def __init__(
        self,
        *,
        job: Job,
        subject: Subject,
        settings: Settings,
        clock: Clock,
        factory: sessionmaker[Session],
        fence: Fence,
        stopping: threading.Event,
    ) -> None:
        self.job_id = job.id
        self.kind = job.kind
        self.params: dict[str, Any] = dict(job.params)
        self.locale = job.locale
        self.subject = subject
        self.settings = settings
        self.clock = clock
        self.fence = fence
        self.stopping = stopping
        self.cancel_seen = threading.Event()
        self.lost = threading.Event()
        self.files: list[Path] = []  # result files made; all but `kept` go when the run ends
        self.kept: Path | None = None
        self._factory = factory
        self._session: Session | None = None
        self._written_at = float("-inf")

    def now(self) -> datetime:
        """The current time from the worker's clock."""
        return self.clock()

    @property
    def session(self) -> Session:
        """The job's writing transaction, begun on first use and committed with the job's end."""
        if self._session is None:
            self._session = self._factory()
        return self._session

    def close(self) -> None:
        """Roll back and close the writing session if it was opened and not committed."""
        if self._session is not None:
            self._session.rollback()
            self._session.close()
            self._session = None

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only snapshot for the long part of the work; rolled back at the end."""
        with read_only(self._factory) as session:
            yield session

    def check(self) -> None:
        """Stop here when the owner cancelled, the worker is stopping, or the job was lost."""
        if self.lost.is_set():
            raise JobLost(self.job_id)
        if self.cancel_seen.is_set():
            raise JobCancelled(self.job_id)
        if self.stopping.is_set():
            raise WorkerStopping(self.job_id)

    def progress(self, done: int, total: int | None, message: str, **params: Any) -> None:
        """Show how far the job is (in its own short transaction) and stop if asked to.

        Once the job has begun writing in `session`, progress is no longer written: on SQLite
        that transaction holds the one write lock, so the steps after it are not shown.
        """
        self.check()
        now = time.monotonic()
        if now - self._written_at < PROGRESS_EVERY and (total is None or done < total):
            return
        if self._session is not None and self._session.in_transaction():
            return
        self._written_at = now
        cancel = self.fence.touch(
            progress_done=done,
            progress_total=total,
            progress_message=message,
            progress_params=params,
        )
        if cancel is not None:
            self.cancel_seen.set()
        self.check()

    def result_path(self, suffix: str) -> Path:
        """A new file in the instance jobs folder for this job's result (removed if it fails)."""
        path = files.new_path(self.settings, f"{self.job_id}-{self.fence.attempt}", suffix)
        self.files.append(path)
        return path
