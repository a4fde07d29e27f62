"""Judging stored verdicts again when the visit thresholds change (YIYANG_VISIT_*).

Each verdict names the policy it was judged under (visit_rules.policy_key). A worker that
starts with other thresholds, or finds visits delivered without a verdict (a bulk import),
arms a durable timer that judges them again a batch at a time, each batch in the timer's own
transaction, until none is left; `yiyang visits rejudge` does the same at once. Until then
the reports judge those visits from their rows, so no figure rests on old thresholds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles
from yiyang.visits.payment import repository, verdicts
from yiyang.visits.policy import policy_from
from yiyang.visits.rules import VisitPolicy, policy_key

REJUDGE = "visits.verdicts_rejudge"
BATCH = 200
PAUSE = timedelta(seconds=1)  # the next batch waits for the next tick: other timers go first


def ensure_timer(session: Session, now: datetime, policy: VisitPolicy) -> bool:
    """Arm the re-judging if a delivered visit's verdict is missing or stale; True if armed."""
    if timers.pending(session, REJUDGE):
        return True
    if not repository.stale_delivered_ids(session, policy_key(policy), 0, 1):
        return False
    timers.schedule(session, REJUDGE, 0, now, {"after": 0})
    return True


def rejudge_batch(
    session: Session, policy: VisitPolicy, now: datetime, after: int, size: int
) -> list[int]:
    """Judge the next `size` stale delivered visits past order id `after`; their ids."""
    ids = repository.stale_delivered_ids(session, policy_key(policy), after, size)
    verdicts.refresh(session, ids, policy=policy, now=now)
    return ids


@handles(REJUDGE)
def run_rejudge(ctx: TimerContext, timer: Timer) -> None:
    """One batch, then the next one armed for the next tick while a full batch was found."""
    after = int((timer.payload or {}).get("after", 0))
    ids = rejudge_batch(ctx.session, policy_from(ctx.settings), ctx.now, after, BATCH)
    if len(ids) == BATCH:
        timers.schedule(ctx.session, REJUDGE, 0, ctx.now + PAUSE, {"after": ids[-1]})


def rejudge_all(
    factory: sessionmaker[Session], policy: VisitPolicy, clock: Callable[[], datetime],
    size: int = BATCH,
) -> int:  # fmt: skip
    """Judge every stale delivered visit now, a transaction per batch; how many were judged."""
    after, done = 0, 0
    while True:
        with factory() as session, session.begin():
            ids = rejudge_batch(session, policy, clock(), after, size)
        done += len(ids)
        if len(ids) < size:
            return done
        after = ids[-1]
