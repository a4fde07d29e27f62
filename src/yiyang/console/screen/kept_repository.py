"""The queries of the kept picture (kept_models.py): read it, write it over."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yiyang.console.screen.kept_models import ScreenPicture
from yiyang.db import update_or_insert


def read(session: Session, key: str) -> tuple[datetime, str] | None:
    """When the picture of `key` was taken, and its text; None when none was kept."""
    row = session.execute(
        select(ScreenPicture.taken_at, ScreenPicture.body).where(ScreenPicture.key == key)
    ).first()
    return None if row is None else (row[0], row[1])


def write(session: Session, key: str, taken_at: datetime, body: str) -> None:
    """Write the picture of `key` over the kept one."""
    stmt = (
        update(ScreenPicture).where(ScreenPicture.key == key).values(taken_at=taken_at, body=body)
    )
    update_or_insert(session, stmt, ScreenPicture(key=key, taken_at=taken_at, body=body))
