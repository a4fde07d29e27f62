"""The ingest processes alive in each group, so that they share a device's allowance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base


class IngestMember(Base):
    """An ingest process of a shared subscription group, and when it last said it was alive."""

    __tablename__ = "ingest_member"
    __table_args__ = (Index("ix_ingest_member_group_seen", "group_name", "seen_at"),)

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(100))
    seen_at: Mapped[datetime] = mapped_column()
