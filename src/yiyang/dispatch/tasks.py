"""Timer and job handlers: offer expiries, recurring orders, the nightly and asked-for day plan."""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.dispatch import day_plan, plan_jobs, service, whatif
from yiyang.errors import N_, DomainError
from yiyang.jobs.context import JobContext, JobOutcome, TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.runner import job_handler
from yiyang.jobs.timer_runner import handles
from yiyang.orders import recurring
from yiyang.security.subject import system_subject

log = logging.getLogger(__name__)


@handles(service.ORG_OFFER_EXPIRY)
def org_offer_expired(ctx: TimerContext, timer: Timer) -> None:
    """The organisation did not answer in time: move on to the next candidate."""
    service.expire_offer(
        ctx.session, timer.ref_id, timer.payload.get("decision_id"), step="org", now=ctx.now,
        settings=ctx.settings,
    )  # fmt: skip


@handles(service.CAREGIVER_OFFER_EXPIRY)
def caregiver_offer_expired(ctx: TimerContext, timer: Timer) -> None:
    """The caregiver did not answer in time: move on to the next candidate."""
    service.expire_offer(
        ctx.session, timer.ref_id, timer.payload.get("decision_id"), step="caregiver",
        now=ctx.now, settings=ctx.settings,
    )  # fmt: skip


def expand_recurring(
    session: Session,
    *,
    now: datetime,
    days_ahead: int = 1,
    recurring_id: int | None = None,
    settings: Settings,
) -> int:
    """Create (and dispatch) the orders standing orders owe from today to `days_ahead`."""
    subject = system_subject("recurring")
    made = 0
    for due in recurring.occurrences(
        session, now=now, days_ahead=days_ahead, recurring_id=recurring_id
    ):
        try:
            with session.begin_nested():
                service.submit_order(
                    session,
                    subject,
                    due.order,
                    now=now,
                    settings=settings,
                    idempotency_key=due.key,
                    recurring_id=due.recurring.id,
                )
        except (DomainError, IntegrityError) as exc:  # one bad standing order must not stop all
            log.warning("recurring order %s on %s not made: %s", due.recurring.id, due.day, exc)
            continue
        due.recurring.last_expanded_date = due.day
        made += 1
    return made


@handles(recurring.EXPAND)
def recurring_due(ctx: TimerContext, timer: Timer) -> None:
    """Daily: expand standing orders, then schedule tomorrow's run."""
    expand_recurring(
        ctx.session, now=ctx.now, settings=ctx.settings,
        days_ahead=ctx.settings.recurring_days_ahead,
    )  # fmt: skip
    recurring.schedule_next(ctx.session, timer, ctx.now)


@handles(day_plan.NIGHTLY)
def nightly_day_plan(ctx: TimerContext, timer: Timer) -> None:
    """Every night when switched on: re-plan tomorrow's visits into shorter rounds."""
    day_plan.run_nightly(ctx.session, timer, now=ctx.now, settings=ctx.settings)


PLANNING = N_("Re-planning the day's visits together…")


def _plan_params(ctx: JobContext) -> tuple[date, float, int | None]:
    """The day, the "keep short trips" minutes and the cap on changes a plan job was given."""
    cap = ctx.params.get("cap")
    return (
        date.fromisoformat(ctx.params["day"]),
        float(ctx.params["keep"]),
        None if cap is None else int(cap),
    )


@job_handler(plan_jobs.PREVIEW, restart=True)
def preview_day_plan(ctx: JobContext) -> JobOutcome:
    """What re-planning the day would change; it only reads, so a lost run starts again."""
    day, keep, cap = _plan_params(ctx)
    ctx.progress(0, None, PLANNING)
    with ctx.reading() as session:
        outcome = day_plan.propose(
            session, ctx.subject, day, now=ctx.now(), settings=ctx.settings, keep_within=keep,
            max_changes=cap,
        )  # fmt: skip
    return JobOutcome(
        plan_jobs.PREVIEW_SUMMARY,
        {"count": len(outcome.moves), "day": day.isoformat()},
        data=plan_jobs.outcome_data(outcome, keep, cap),
    )


@job_handler(plan_jobs.APPLY, restart=False)
def apply_day_plan(ctx: JobContext) -> JobOutcome:
    """Re-plan and reassign the day in one transaction, committed with the job's end.

    A lost run changed nothing, but it is not started again behind the dispatcher's back:
    the job fails saying so, and they apply again when they choose.
    """
    day, keep, cap = _plan_params(ctx)
    ctx.progress(0, None, PLANNING)
    outcome = day_plan.apply(
        ctx.session, ctx.subject, day, now=ctx.now(), settings=ctx.settings, keep_within=keep,
        max_changes=cap,
    )  # fmt: skip
    return JobOutcome(
        plan_jobs.APPLY_SUMMARY,
        {"count": outcome.reassigned, "day": day.isoformat()},
        data=plan_jobs.outcome_data(outcome, keep, cap),
    )


@job_handler(whatif.KIND, restart=True)
def what_if(ctx: JobContext) -> JobOutcome:
    """Replay the weeks' orders as they are and with the change; it only reads."""
    scenario = whatif.Scenario.of(ctx.params)
    ctx.progress(0, None, whatif.LOADING)

    def told(done: int, total: int) -> None:
        ctx.progress(done, total, whatif.PROGRESS, step=done, steps=total)

    with ctx.reading() as session:
        data = whatif.run(session, ctx.subject, scenario, progress=told)
    return JobOutcome(
        whatif.SUMMARY,
        {"more": data["more_in_street"], "placed": data["newly_placed"]},
        data=data,
    )
