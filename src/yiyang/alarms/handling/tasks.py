"""The escalation timer: an alarm nobody acknowledged goes to the supervisors (60 s), then to
every operator with a review ticket (180 s). An acknowledged or closed alarm is left be."""

from __future__ import annotations

from yiyang.alarms import repository
from yiyang.alarms.handling import repository as review_queries
from yiyang.alarms.handling import rules
from yiyang.alarms.handling.models import AlarmReview
from yiyang.alarms.handling.service import record_step
from yiyang.alarms.kinds import StepAction
from yiyang.alarms.raising import ESCALATE_TIMER
from yiyang.events.types import Actor
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles

AUDIENCE = {1: "supervisors", 2: "operators"}


def escalate_alarm(ctx: TimerContext, alarm_id: int, level: int) -> str:
    """Raise the alarm's escalation to `level` if nobody took it; returns what it did."""
    session, now = ctx.session, ctx.now
    alarm = repository.lock_for_system(session, alarm_id)
    if alarm is None:
        return "gone"
    if not rules.escalation_due(
        alarm.status, alarm.acknowledged_at is not None, alarm.escalation, level
    ):
        return "not due"
    alarm.escalation = level
    opened = False
    if (
        level >= rules.REVIEW_LEVEL
        and review_queries.review_for(session, alarm.id, rules.ReviewReason.NOT_ANSWERED) is None
    ):
        session.add(
            AlarmReview(alarm_id=alarm.id, reason=rules.ReviewReason.NOT_ANSWERED, opened_at=now)
        )
        opened = True
    waited = int((now - alarm.raised_at).total_seconds())
    record_step(
        session, alarm, StepAction.ESCALATED, now=now, actor=Actor.of(None),
        text=None,
        data={"level": level, "to": AUDIENCE.get(level, "operators"), "waited_seconds": waited,
              "review_opened": opened},
    )  # fmt: skip
    return f"level {level}"


@handles(ESCALATE_TIMER)
def escalate(ctx: TimerContext, timer: Timer) -> None:
    """Due escalation timer of an alarm (payload `level`)."""
    escalate_alarm(ctx, timer.ref_id, int(timer.payload.get("level", 1)))
