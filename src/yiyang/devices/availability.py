"""The hourly sample of device availability: a durable timer that counts each street's
installed, online and low-battery devices at the top of every hour and arms the next."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.devices import availability_repository as repo
from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles

SAMPLE = "devices.availability_sample"
EVERY = timedelta(hours=1)


def hour_of(now: datetime) -> datetime:
    """The hour a moment falls in."""
    return now.replace(minute=0, second=0, microsecond=0)


def ensure_timer(session: Session, now: datetime) -> None:
    """Make sure one pending sample timer exists (it re-arms itself when it fires)."""
    if not timers.pending(session, SAMPLE):
        timers.schedule(session, SAMPLE, 0, hour_of(now) + EVERY)


def sample(session: Session, now: datetime, low_battery_pct: int) -> None:
    """Keep this hour's counts."""
    repo.keep_sample(session, hour_of(now), repo.counts_by_street(session, low_battery_pct))


@handles(SAMPLE)
def run_sample(ctx: TimerContext, timer: Timer) -> None:
    """Sample the hour (a worker that was down samples once, when it is back), then arm the
    next hour."""
    sample(ctx.session, ctx.now, ctx.settings.alarm_low_battery_pct)
    if not any(t.id != timer.id for t in timers.pending(ctx.session, SAMPLE)):
        timers.schedule(ctx.session, SAMPLE, 0, hour_of(ctx.now) + EVERY)
