"""The queries of the kept picture (kept_models.py): read it, write it over."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiyang.console.screen.kept_models import ScreenPicture


def read(session: Session, key: str) -> tuple[datetime, str] | None:
    """When the picture of `key` was taken, and its text; None when none was kept."""
    row = session.execute(
        select(ScreenPicture.taken_at, ScreenPicture.body).where(ScreenPicture.key == key)
    ).first()
    return None if row is None else (row[0], row[1])


def write(session: Session, key: str, taken_at: datetime, body: str) -> None:
    """Write the picture of `key` over the kept one (web processes race to the first insert:
    the loser's picture is written over the winner's)."""
    values = {"taken_at": taken_at, "body": body}
    stmt = update(ScreenPicture).where(ScreenPicture.key == key).values(values)
    if cast("CursorResult[Any]", session.execute(stmt)).rowcount:
        return
    try:
        with session.begin_nested():
            session.add(ScreenPicture(key=key, **values))
    except IntegrityError:
        session.execute(stmt)
