"""The gateway's daily timer: monthly reading partitions made ahead, old delivery ids forgotten."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.devices import message_repository as repo
from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles

log = logging.getLogger(__name__)

UPKEEP = "devices.ingest_upkeep"
EVERY = timedelta(days=1)
MONTHS_AHEAD = 2


def months_from(now: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """The bounds of this month and the next `count`, in UTC."""
    year, month = now.year, now.month
    bounds = []
    for _ in range(count + 1):
        start = datetime(year, month, 1, tzinfo=UTC)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        bounds.append((start, datetime(year, month, 1, tzinfo=UTC)))
    return bounds


def ensure_partitions(session: Session, now: datetime) -> int:
    """Create the missing partitions of device_reading up to two months ahead."""
    made = repo.ensure_reading_partitions(session, months_from(now, MONTHS_AHEAD))
    if made:
        log.info("created %s monthly partitions of device_reading", made)
    return made


def ensure_timer(session: Session, now: datetime) -> None:
    """Make sure one pending upkeep timer exists (it re-arms itself when it fires)."""
    if not timers.pending(session, UPKEEP):
        timers.schedule(session, UPKEEP, 0, now + EVERY)


@handles(UPKEEP)
def upkeep(ctx: TimerContext, timer: Timer) -> None:
    """Partitions ahead; delivery ids older than a day (far past any signature window) go."""
    ensure_partitions(ctx.session, ctx.now)
    repo.forget_deliveries(ctx.session, ctx.now - timedelta(days=1))
    if not any(t.id != timer.id for t in timers.pending(ctx.session, UPKEEP)):
        timers.schedule(ctx.session, UPKEEP, 0, ctx.now + EVERY)
