"""The big screen's last district picture, kept in the database so that a web process that
has just started (a deploy, a restart) shows the wall its picture at once (kept.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base


class ScreenPicture(Base):
    """The slow part of a picture (`picture.slow`) as its aggregator last read it."""

    __tablename__ = "screen_picture"

    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    taken_at: Mapped[datetime] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
