"""Schedule and cancel timers inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.jobs.models import Timer


def schedule(
    session: Session,
    kind: str,
    ref_id: int,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
) -> Timer:
    """Add a timer; it fires once, at or after `due_at`, unless cancelled first."""
    timer = Timer(kind=kind, ref_id=ref_id, due_at=due_at, payload=payload or {})
    session.add(timer)
    session.flush()
    return timer


def cancel(session: Session, kind: str, ref_id: int, *, now: datetime) -> int:
    """Cancel the pending timers of a kind for a record; returns how many were pending."""
    pending = session.scalars(
        select(Timer).where(
            Timer.kind == kind,
            Timer.ref_id == ref_id,
            Timer.fired_at.is_(None),
            Timer.cancelled_at.is_(None),
            Timer.failed_at.is_(None),
        )
    ).all()
    for timer in pending:
        timer.cancelled_at = now
    return len(pending)


def pending(session: Session, kind: str | None = None, ref_id: int | None = None) -> list[Timer]:
    """Timers still waiting to fire (for pages and tests)."""
    stmt = select(Timer).where(
        Timer.fired_at.is_(None), Timer.cancelled_at.is_(None), Timer.failed_at.is_(None)
    )
    if kind is not None:
        stmt = stmt.where(Timer.kind == kind)
    if ref_id is not None:
        stmt = stmt.where(Timer.ref_id == ref_id)
    return list(session.scalars(stmt.order_by(Timer.due_at, Timer.id)))
