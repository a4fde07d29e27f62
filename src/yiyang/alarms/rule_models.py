"""Tables of the alarm rules: what each rule remembers, and the elders' own thresholds.

Rule state is stored, not kept in memory, so a restart of ingest or worker forgets nothing:
readings in a row, the last value, the silence period, a pending bed exit, the last motion
or door opening, a water meter's quiet stretch, whether an offline or battery alarm fired.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId, Json


class RuleState(Base):
    """One rule's memory for one owner (`device:7` or `elder:12`) and rule key.

    Rule keys: a metric (`heart_rate`, …) for thresholds; `bed_exit`, `motion`, `door`,
    `water`, `offline`, `battery`, `service`. `last_event_at` is the last motion or door
    opening, or the start of a water meter's quiet stretch: the passive sweeps read it.
    """

    __tablename__ = "rule_state"
    __table_args__ = (
        UniqueConstraint("owner", "rule_key"),
        Index("ix_rule_state_sweep", "rule_key", "fired", "last_event_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner: Mapped[str] = mapped_column(String(32))
    rule_key: Mapped[str] = mapped_column(String(24))
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), index=True
    )
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elder.id", ondelete="CASCADE"))
    consecutive: Mapped[int] = mapped_column(Integer, default=0)
    last_value: Mapped[float | None] = mapped_column(Float)
    last_reading_at: Mapped[datetime | None] = mapped_column()
    fired: Mapped[bool] = mapped_column(default=False)
    fired_type: Mapped[str | None] = mapped_column(String(24))  # alarms.kinds.AlarmType
    level: Mapped[int | None] = mapped_column(Integer)  # the severity it fired at
    # a threshold's silence period; for the passive sweeps: not judged again before then
    silence_until: Mapped[datetime | None] = mapped_column()
    pending_since: Mapped[datetime | None] = mapped_column()  # a bed exit waiting for return
    last_event_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(24))  # rules.Reason of the last decision
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column()


class AlarmThreshold(Base):
    """An elder's own limits for one metric, replacing the defaults (who set them and when)."""

    __tablename__ = "alarm_threshold"
    __table_args__ = (UniqueConstraint("elder_id", "metric"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(24))  # protocols.vocabulary.Metric
    major_high: Mapped[float | None] = mapped_column(Float)
    critical_high: Mapped[float | None] = mapped_column(Float)
    major_low: Mapped[float | None] = mapped_column(Float)
    critical_low: Mapped[float | None] = mapped_column(Float)
    consecutive: Mapped[int | None] = mapped_column(Integer)
    window_start: Mapped[str | None] = mapped_column(String(5))  # local "HH:MM"
    window_end: Mapped[str | None] = mapped_column(String(5))
    silence_minutes: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(256))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_by_name: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column()
