"""Demand of the screen's 7- and 30-day windows from the tally of closed days plus today read
live, and the nightly durable timer that tallies the days just closed.

A tallied day is read from the tally only while none of its orders nor their elders changed
after it was written (rollup_repository.stale); any other day of the window is read from
the orders, so the figures always equal the direct count. The timer tallies again every day
of the longest window that has no tally or a stale one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.console.screen import repository as queries
from yiyang.console.screen import rollup_repository as repo
from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import CHINA_TZ, local_today

log = logging.getLogger(__name__)

TALLY = "screen.demand_tally"
AT = time(0, 30)  # China time: the day just closed, after its last late check-outs
DAYS = 30  # the longest window of the screen (picture.WINDOWS)
# A change flushed this long before the tally read, but committed after it, still marks the
# day stale: written_at is set back by it (the house's transactions are far shorter).
GRACE = timedelta(minutes=10)


def demand(session: Session, today: date, starts: Sequence[date]) -> list[dict[str, Any]]:
    """Demand rows of the days from min(starts) to today, summing the days between one start
    and the next in rows dated by that start (what supply_demand needs to cut each window)."""
    first = min(starts)
    kept = repo.tallied(session, first, today - timedelta(days=1))
    good = set(kept) - repo.stale(session, first, today - timedelta(days=1)) if kept else set()
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    rows = queries.demand_of(session, [d for d in days if d not in good])
    bounds = sorted(starts)
    for start, end in zip(bounds, [*bounds[1:], today + timedelta(days=1)], strict=True):
        rows += repo.rolled(session, [d for d in good if start <= d < end], start)
    return rows


def next_run(now: datetime) -> datetime:
    """The next AT in China after `now`."""
    at = datetime.combine(local_today(now), AT, CHINA_TZ)
    return at if at > now else at + timedelta(days=1)


def ensure_timer(session: Session, now: datetime) -> None:
    """Make sure one pending tally timer exists (it re-arms itself when it fires)."""
    if not timers.pending(session, TALLY):
        timers.schedule(session, TALLY, 0, next_run(now))


def tally(session: Session, today: date) -> int:
    """Tally every closed day of the longest window that has no tally or a stale one, drop
    older tallies; returns the days tallied. `written_at` is on the clock the rows' own
    updated_at is set by."""
    first, last = today - timedelta(days=DAYS - 1), today - timedelta(days=1)
    written_at = utcnow() - GRACE
    kept = repo.tallied(session, first, last)
    due = set(repo.stale(session, first, last))
    due |= {first + timedelta(days=i) for i in range(DAYS - 1)} - set(kept)
    for day in sorted(due):
        repo.write(session, day, written_at)
    repo.prune(session, first)
    return len(due)


@handles(TALLY)
def run_tally(ctx: TimerContext, timer: Timer) -> None:
    """Tally the closed days (a worker that was down catches up once it is back), then arm
    the next night."""
    done = tally(ctx.session, local_today(ctx.now))
    log.info("big screen: tallied the demand of %s closed days", done)
    if not any(t.id != timer.id for t in timers.pending(ctx.session, TALLY)):
        timers.schedule(ctx.session, TALLY, 0, next_run(ctx.now))
