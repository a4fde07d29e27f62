"""Timer handlers of responders: an offer not accepted in time goes to the next person."""

from __future__ import annotations

from yiyang.alarms.response import service
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles


@handles(service.ACCEPT_TIMER)
def responder_not_accepting(ctx: TimerContext, timer: Timer) -> None:
    """The responder did not accept within the setting's minutes: ask the next nearest."""
    service.expire(ctx.session, timer.ref_id, now=ctx.now, settings=ctx.settings)
