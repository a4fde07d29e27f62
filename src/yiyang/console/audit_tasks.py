"""The daily audit archive timer and the worker step that keeps the audit chain sealed (they
run on the jobs machinery, which sits above security)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.security.audit import archive, sealer

log = logging.getLogger(__name__)

ARCHIVE = "audit.archive"
ARCHIVE_AT = time(3, 30)  # local time, when the district is quiet
AGAIN_SOON = timedelta(minutes=1)


def next_archive(now: datetime) -> datetime:
    """The next 03:30 in China after `now`."""
    day = local_today(now)
    due = datetime.combine(day, ARCHIVE_AT, CHINA_TZ).astimezone(UTC)
    return due if due > now else due + timedelta(days=1)


def ensure_timer(session: Session, now: datetime) -> None:
    """Make sure one archive timer is pending (it re-arms itself when it fires)."""
    if not timers.pending(session, ARCHIVE):
        timers.schedule(session, ARCHIVE, 0, next_archive(now))


@handles(ARCHIVE)
def archive_timer(ctx: TimerContext, timer: Timer) -> None:
    """Archive what is past retention; come back in a minute while more is due, else tomorrow."""
    session, now, settings = ctx.session, ctx.now, ctx.settings
    run = archive.archive_due(
        session, now, online_days=settings.audit_online_days, archive_dir=settings.audit_archive_dir
    )
    if run.rows:
        log.info("archived %s audit rows to %s", run.rows, ", ".join(run.files))
    timers.schedule(session, ARCHIVE, 0, now + AGAIN_SOON if run.more else next_archive(now))


def upkeep(factory: sessionmaker[Session], now: datetime) -> int:
    """The worker's audit step: seal the rows committed since the last tick."""
    return sealer.seal_new(factory, now)
