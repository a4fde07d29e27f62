"""Audit rows for tests: recorded as the services do, then sealed like the worker does."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.security.audit import sealer
from yiyang.security.audit import service as audit
from yiyang.security.audit.models import AuditEvent
from yiyang.security.subject import Subject


def add_events(
    session: Session, subject: Subject, count: int, at: datetime, *, step: timedelta | None = None
) -> list[AuditEvent]:
    """`count` elder updates by `subject`, `step` apart from `at` (one second by default)."""
    step = step or timedelta(seconds=1)
    events = [
        audit.record(
            session, subject, "update", "elder", 100 + n,
            before={"name": "王秀英", "phone": "13800001234"}, after={"name": f"王秀英{n}"},
            at=at + n * step,
        )
        for n in range(count)
    ]  # fmt: skip
    session.flush()
    return events


def seal_all(session: Session, now: datetime) -> int:
    """Seal every row recorded before `now` (grace included) in the caller's transaction."""
    total = 0
    while done := sealer.seal(session, now + sealer.GRACE):
        total += done
    session.expire_all()
    return total


def sealed_rows(session: Session) -> list[AuditEvent]:
    """Every sealed row in chain order."""
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)
        )
    )
