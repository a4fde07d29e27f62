"""The timer and job tables: durable rows the worker claims, so a restart loses nothing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId, Json
from yiyang.kit.clock import utcnow


class Timer(Base):
    """A due action; `fired_at`/`cancelled_at`/`failed_at` mark how it ended."""

    __tablename__ = "timer"
    __table_args__ = (
        Index("ix_timer_pending", "due_at", postgresql_where="fired_at IS NULL"),
        Index("ix_timer_ref", "kind", "ref_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    ref_id: Mapped[int] = mapped_column(BigId)
    due_at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fired_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    failed_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))


class JobState(StrEnum):
    """Where a job is: waiting, running on a worker, or ended one of three ways."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (JobState.QUEUED, JobState.RUNNING)


class Job(Base):
    """Long work a person asked for (day plan, export, import), run by a worker with progress.

    Texts (title, progress, error, summary) are message ids with parameters, translated when
    shown. `attempts` doubles as the fence token: a worker writes only while the row still
    carries the attempt it claimed, so a worker that lost its lease can never finish the job.
    """

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_claim", "state", "created_at"),
        Index("ix_job_owner", "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    ip: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    title_params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    link: Mapped[str | None] = mapped_column(String(200))  # the page that shows the result
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    progress_message: Mapped[str | None] = mapped_column(String(300))
    progress_params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    file_path: Mapped[str | None] = mapped_column(String(200))  # inside the instance jobs folder
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_media: Mapped[str | None] = mapped_column(String(100))
    file_bytes: Mapped[int | None] = mapped_column(BigInteger)
    file_expires_at: Mapped[datetime | None] = mapped_column()
    error_code: Mapped[str | None] = mapped_column(String(48))
    error_message: Mapped[str | None] = mapped_column(String(300))
    error_params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    error_detail: Mapped[str | None] = mapped_column(String(500))  # for administrators only
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    cancel_requested_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
