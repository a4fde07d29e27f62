"""Timer handlers of visit supervision: the late check and the no-show check.

Both raise an alert dispatchers and the call centre see. A caregiver who has not set off by
the late check, or has not arrived by the no-show check, is released and the order goes back
to automatic dispatch; one already on the way at the late check is given until the no-show
check, since pulling them back would only delay the elder further.
"""

from __future__ import annotations

from yiyang.dispatch import service as dispatch_service
from yiyang.errors import NotFound
from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles
from yiyang.orders import rules as order_rules
from yiyang.security.subject import system_subject
from yiyang.visits import alerts, repository
from yiyang.visits.rules import AlertKind
from yiyang.visits.service import LATE_CHECK, NO_SHOW_CHECK, planned_start

S, E = order_rules.Status, order_rules.Event
SYSTEM = system_subject("visits")
# Statuses in which nobody has arrived yet.
WAITING = (S.ASSIGNED, S.CAREGIVER_ACCEPTED, S.ON_THE_WAY)


def _check(ctx: TimerContext, timer: Timer, kind: AlertKind) -> str:
    """Shared body of both checks; returns what it did (for logs and tests)."""
    session, now = ctx.session, ctx.now
    try:
        order = repository.get_order(session, SYSTEM, timer.ref_id, lock=True)
    except NotFound:
        return "gone"
    if order.status not in WAITING or order.staff_id != timer.payload.get("staff_id"):
        return "stale"  # arrived, cancelled, or already handed to someone else
    visit = repository.get_visit(session, order.id)
    if visit is not None and visit.check_in_at is not None:
        return "arrived"
    start = planned_start(order)
    alerts.raise_alert(
        session,
        order,
        kind,
        now=now,
        detail={
            "staff_id": order.staff_id,
            "expected_at": start,
            "minutes_late": int((now - start).total_seconds() // 60),
            "status": order.status,
        },
    )
    if kind == AlertKind.LATE and order.status == S.ON_THE_WAY:
        return "alerted"
    if kind == AlertKind.LATE:
        timers.cancel(session, NO_SHOW_CHECK, order.id, now=now)
    dispatch_service.act(
        session, SYSTEM, order.id, E.CAREGIVER_UNAVAILABLE, now=now, reason=str(kind),
        settings=ctx.settings,
    )  # fmt: skip
    return "redispatched"


@handles(LATE_CHECK)
def late_check(ctx: TimerContext, timer: Timer) -> None:
    """+15 min without a check-in: alert, and re-dispatch unless the caregiver is on the way."""
    _check(ctx, timer, AlertKind.LATE)


@handles(NO_SHOW_CHECK)
def no_show_check(ctx: TimerContext, timer: Timer) -> None:
    """+30 min without a check-in: alert and re-dispatch."""
    _check(ctx, timer, AlertKind.NO_SHOW)
