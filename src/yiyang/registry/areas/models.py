"""Area table: the district → street → community tree."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.db import Base, BigId


class Area(Base):
    """A node of the district → street → community tree, with its GB/T 2260-style code."""

    __tablename__ = "area"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id], lazy="raise")
