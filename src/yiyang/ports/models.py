"""Tables of the ports: what the development adapters would have sent, and webhook subscribers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId


class PortLog(Base):
    """One message a development adapter wrote down instead of sending (at most once per key)."""

    __tablename__ = "port_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)  # sms | voice | webhook
    destination: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    sent_at: Mapped[datetime] = mapped_column(index=True)


class WebhookSubscription(Base):
    """An outside app's URL that receives the chosen event types, signed with its own secret."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
