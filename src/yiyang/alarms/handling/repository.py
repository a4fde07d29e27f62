"""Queries of review tickets (the alarms themselves are queried in alarms/repository.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from yiyang.alarms import repository
from yiyang.alarms.handling.models import AlarmReview
from yiyang.alarms.models import Alarm
from yiyang.security.subject import Subject

# --- review tickets ---------------------------------------------------------------------------


def review_for(session: Session, alarm_id: int, reason: str) -> AlarmReview | None:
    """The review ticket of an alarm for a reason, if one was opened."""
    return session.scalar(
        select(AlarmReview).where(AlarmReview.alarm_id == alarm_id, AlarmReview.reason == reason)
    )


def reviews_of(session: Session, alarm_id: int) -> list[AlarmReview]:
    """Every review ticket of an alarm, oldest first."""
    return list(
        session.scalars(
            select(AlarmReview).where(AlarmReview.alarm_id == alarm_id).order_by(AlarmReview.id)
        )
    )


def open_reviews(session: Session, subject: Subject) -> list[AlarmReview]:
    """Review tickets not reviewed yet, of readable alarms, oldest first (alarm loaded)."""
    ids = repository.readable(subject).with_only_columns(Alarm.id)
    return list(
        session.scalars(
            select(AlarmReview)
            .where(AlarmReview.reviewed_at.is_(None), AlarmReview.alarm_id.in_(ids))
            .options(joinedload(AlarmReview.alarm))
            .order_by(AlarmReview.opened_at, AlarmReview.id)
        )
    )
