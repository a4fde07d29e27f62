"""The daily timer that forgets ended sign-ins: old sessions and tokens, idle sign-in counters
(security sits below the jobs machinery, so its timer is registered here)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles
from yiyang.security import repository

log = logging.getLogger(__name__)

FORGET = "security.forget_ended"
EVERY = timedelta(days=1)


def ensure_timer(session: Session, now: datetime) -> None:
    """Make sure one pending timer forgets ended sign-ins (it re-arms itself when it fires)."""
    if not timers.pending(session, FORGET):
        timers.schedule(session, FORGET, 0, now + EVERY)


@handles(FORGET)
def forget_ended(ctx: TimerContext, timer: Timer) -> None:
    """Delete what sign-in no longer needs; what happened stays in the audit trail."""
    before = ctx.now - timedelta(days=ctx.settings.auth_keep_days)
    counters = repository.forget_idle_counters(ctx.session, before, ctx.now)
    tokens = repository.forget_ended_tokens(ctx.session, before)
    if counters or tokens:
        log.info(
            "forgot %s idle sign-in counters and %s ended sessions or tokens", counters, tokens
        )
    if not any(t.id != timer.id for t in timers.pending(ctx.session, FORGET)):
        timers.schedule(ctx.session, FORGET, 0, ctx.now + EVERY)
