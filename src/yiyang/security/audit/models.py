"""The audit tables: rows are only inserted, then sealed into a hash chain, then archived.

Triggers (migration 0009) refuse UPDATE and DELETE on both tables, except the sealer filling
the chain columns of a still-unsealed row and the archive job deleting rows a manifest covers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId, Json
from yiyang.kit.clock import utcnow


class AuditEvent(Base):
    """One audited action: a full-record read, a change, an export, a login, a refusal.

    `seq`, `prev_hash` and `row_hash` stay empty until the sealer chains the row.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity", "entity_id"),
        Index(
            "ix_audit_event_unsealed",
            "at",
            "id",
            postgresql_where="seq IS NULL",
            sqlite_where="seq IS NULL",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64), index=True)
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(BigId)
    before: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json)
    ip: Mapped[str | None] = mapped_column(String(45), index=True)
    detail: Mapped[str | None] = mapped_column(String(512))
    seq: Mapped[int | None] = mapped_column(BigInteger, index=True, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditArchive(Base):
    """One archive file: a run of sealed rows moved out of the table, and how to check it."""

    __tablename__ = "audit_archive"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(200), unique=True)
    first_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    rows: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    last_hash: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    first_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column()
    archived_at: Mapped[datetime] = mapped_column(default=utcnow)
