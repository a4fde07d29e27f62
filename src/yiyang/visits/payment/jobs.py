"""Preparing every provider's month at once runs as a job (a city month is many lines)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_
from yiyang.jobs import service as jobs
from yiyang.jobs.context import JobContext, JobOutcome
from yiyang.jobs.models import Job
from yiyang.jobs.runner import job_handler
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits.payment import settlements
from yiyang.visits.payment.assessing import month_of
from yiyang.visits.payment.schemas import RunCreate
from yiyang.visits.policy import policy_from

PREPARE = "payment.prepare_month"
TITLE = N_("Settlement drafts of %(month)s")
WORKING = N_("Computing every provider's lines…")


def submit_prepare(
    session: Session, subject: Subject, data: RunCreate, *, now: datetime, locale: str
) -> Job:
    """Queue the drafts of every provider's month (checked now); the list waits under My jobs."""
    subject.require(Perm.SETTLEMENT_WRITE)
    settlements.check_month(data.month, now)
    return jobs.submit(
        session, subject, PREPARE, {"month": data.month}, title=TITLE,
        title_params={"month": data.month}, link=f"/settlements?month={data.month}",
        locale=locale, now=now,
    )  # fmt: skip


@job_handler(PREPARE, restart=True)
def prepare_job(ctx: JobContext) -> JobOutcome:
    """Every provider's draft of the month, in the job's one transaction."""
    month = ctx.params["month"]
    ctx.progress(0, 1, WORKING)
    runs = settlements.create_runs(
        ctx.session, ctx.subject, RunCreate(month=month), now=ctx.now(),
        policy=policy_from(ctx.settings),
    )  # fmt: skip
    return JobOutcome(
        N_("%(count)s settlement drafts of %(month)s prepared."),
        {"count": len(runs), "month": month or month_of(ctx.now())},
    )
