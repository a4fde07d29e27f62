"""Every query of alarms."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.alarms.models import Alarm


def open_alarm_for_update(session: Session, originator: str, type_: str) -> Alarm | None:
    """The open (not closed) alarm of this originator and type, locked for update."""
    return session.scalar(
        select(Alarm)
        .where(Alarm.originator == originator, Alarm.type == type_, Alarm.closed_at.is_(None))
        .with_for_update()
    )
