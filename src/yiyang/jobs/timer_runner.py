"""Fire due timers: each is claimed, handled and marked in its own transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from yiyang.config import Settings
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer

log = logging.getLogger(__name__)

Handler = Callable[[TimerContext, Timer], None]
HANDLERS: dict[str, Handler] = {}
MAX_ATTEMPTS = 5


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register a handler for a timer kind (domains call this in their tasks.py)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def _claim(session: Session, now: datetime) -> Timer | None:
    stmt = (
        select(Timer)
        .where(
            Timer.due_at <= now,
            Timer.fired_at.is_(None),
            Timer.cancelled_at.is_(None),
            Timer.failed_at.is_(None),
        )
        .order_by(Timer.due_at, Timer.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalar(stmt)


def run_due(
    factory: sessionmaker[Session],
    now: datetime,
    settings: Settings,
    *,
    limit: int = 500,
    handlers: dict[str, Handler] | None = None,
) -> int:
    """Fire up to `limit` due timers; a failing handler is retried with back-off, then parked."""
    table = HANDLERS if handlers is None else handlers
    fired = 0
    for _ in range(limit):
        with factory() as session:
            timer = _claim(session, now)
            if timer is None:
                session.rollback()
                return fired
            timer_id = timer.id
            handler = table.get(timer.kind)
            try:
                if handler is None:
                    raise LookupError(f"no handler for timer kind {timer.kind!r}")
                handler(TimerContext(session=session, now=now, settings=settings), timer)
                timer.fired_at = now
                session.commit()
                fired += 1
            except Exception as exc:  # one bad timer must not stop the others
                session.rollback()
                log.exception("timer %s failed", timer_id)
                _record_failure(factory, timer_id, now, exc)
    return fired


def _record_failure(
    factory: sessionmaker[Session], timer_id: int, now: datetime, exc: Exception
) -> None:
    with factory() as session:
        timer = session.get(Timer, timer_id)
        if timer is None:
            return
        timer.attempts += 1
        timer.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if timer.attempts >= MAX_ATTEMPTS:
            timer.failed_at = now
        else:
            timer.due_at = now + timedelta(seconds=30 * 2**timer.attempts)
        session.commit()
