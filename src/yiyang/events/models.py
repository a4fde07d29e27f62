"""The event log and the outbox: both written in the transaction of the change they follow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId, Json


class DomainEventRow(Base):
    """One typed event with its context: who or what caused it and the event that led to it."""

    __tablename__ = "domain_event"
    __table_args__ = (Index("ix_domain_event_entity", "entity", "entity_id"),)

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)  # the order events were stored in
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor_kind: Mapped[str] = mapped_column(String(8))  # user | system
    actor_user_id: Mapped[int | None] = mapped_column(BigId)
    actor_name: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    cause_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(BigId)
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class OutboxMessage(Base):
    """A message to the outside, sent by the worker after commit, at least once, keyed.

    `state`: pending (due at `next_attempt_at`), delivering (leased until `leased_until` by
    the claim `lease_token`), delivered, dead (gave up after the configured tries).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "state", "next_attempt_at"),
        Index("ix_outbox_message_lease", "state", "leased_until"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)  # sms | voice | webhook
    destination: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    event_type: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    leased_until: Mapped[datetime | None] = mapped_column()
    lease_token: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None] = mapped_column()
    dead_at: Mapped[datetime | None] = mapped_column()
