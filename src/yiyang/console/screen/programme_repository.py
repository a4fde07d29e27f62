"""Every query on the programme figures: the value in force on a day, the recent changes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.console.screen.programme_models import ProgrammeFigure


def in_force(session: Session, day: date) -> dict[str, ProgrammeFigure]:
    """Each figure's newest row effective on or before `day`."""
    rows = session.scalars(
        select(ProgrammeFigure)
        .where(ProgrammeFigure.effective_from <= day)
        .order_by(ProgrammeFigure.effective_from, ProgrammeFigure.id)
    )
    return {row.key: row for row in rows}  # the last of each key wins


def changes(session: Session, limit: int) -> list[ProgrammeFigure]:
    """The most recent changes, newest first."""
    return list(
        session.scalars(select(ProgrammeFigure).order_by(ProgrammeFigure.id.desc()).limit(limit))
    )
