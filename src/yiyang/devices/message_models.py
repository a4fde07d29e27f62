"""Tables of what devices send: messages, vital readings, dead letters, webhook deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId


class DeviceMessage(Base):
    """A message taken from a device (heartbeats leave no row); one per device and message id."""

    __tablename__ = "device_message"
    __table_args__ = (
        UniqueConstraint("device_id", "message_id"),
        Index("ix_device_message_device_received", "device_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(96))
    kind: Mapped[str] = mapped_column(String(12))  # protocols.message.MessageKind
    signal: Mapped[str | None] = mapped_column(String(24))  # protocols.vocabulary.Signal
    sent_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()
    channel: Mapped[str] = mapped_column(String(8))  # mqtt | http | webhook


class DeviceReading(Base):
    """One measured value: a time series, partitioned by month of `measured_at` on PostgreSQL.

    There the primary key is (id, measured_at), as partitioning requires; the mapper needs
    only `id`, which stays unique through its sequence.
    """

    __tablename__ = "device_reading"
    __table_args__ = (
        Index("ix_device_reading_elder_metric", "elder_id", "metric", "measured_at"),
        Index("ix_device_reading_device", "device_id", "measured_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elder.id", ondelete="SET NULL"))
    metric: Mapped[str] = mapped_column(String(16))  # protocols.vocabulary.Metric
    value: Mapped[float] = mapped_column(Float)
    measured_at: Mapped[datetime] = mapped_column()


class DeadLetter(Base):
    """A message the gateway refused, with the reason; `count` > 1 aggregates a flood."""

    __tablename__ = "dead_letter"
    __table_args__ = (
        Index("ix_dead_letter_reason_received", "reason", "received_at"),
        Index("ix_dead_letter_device_received", "device_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(8))  # mqtt | http | webhook
    ref: Mapped[str] = mapped_column(String(256))  # the topic, the path or the vendor
    identity: Mapped[str | None] = mapped_column(String(96))  # as claimed: "imei:8612…"
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(24))  # protocols.reasons.Reason
    detail: Mapped[str] = mapped_column(String(500))
    raw: Mapped[str] = mapped_column(Text)  # the payload, cut at RAW_LIMIT characters
    count: Mapped[int] = mapped_column(Integer, default=1)


class VendorDelivery(Base):
    """A signed webhook delivery already taken: a second one with the same id is a replay."""

    __tablename__ = "vendor_delivery"
    __table_args__ = (UniqueConstraint("vendor", "delivery_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vendor: Mapped[str] = mapped_column(String(32))
    delivery_id: Mapped[str] = mapped_column(String(96))
    received_at: Mapped[datetime] = mapped_column(index=True)
