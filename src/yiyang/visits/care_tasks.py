"""The daily timer that samples yesterday's completed visits for return-visit calls."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.visits import return_visits

log = logging.getLogger(__name__)

SAMPLE = "visits.return_visit_sample"
AT = time(6, 0)  # China time, before the call centre's morning shift


def next_run(now: datetime) -> datetime:
    """The next 06:00 in China after `now`."""
    today = local_today(now)
    at = datetime.combine(today, AT, CHINA_TZ)
    return at if at > now else at + timedelta(days=1)


def ensure_timer(session: Session, now: datetime) -> None:
    """Make sure one pending timer samples the visits (it re-arms itself when it fires)."""
    if not timers.pending(session, SAMPLE):
        timers.schedule(session, SAMPLE, 0, next_run(now))


@handles(SAMPLE)
def sample_yesterday(ctx: TimerContext, timer: Timer) -> None:
    """Sample the visits completed yesterday; a repeat of the same day adds nothing."""
    day = local_today(ctx.now) - timedelta(days=1)
    added = return_visits.sample_day(ctx.session, day, ctx.settings, now=ctx.now)
    if added:
        log.info("sampled %s visits of %s for return visits", added, day)
    if not any(t.id != timer.id for t in timers.pending(ctx.session, SAMPLE)):
        timers.schedule(ctx.session, SAMPLE, 0, next_run(ctx.now))
