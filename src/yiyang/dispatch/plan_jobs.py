"""The day plan as a job: submit a preview or an apply, and the outcome as the job keeps it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.dispatch import day_plan
from yiyang.dispatch.day_plan import Move, Outcome
from yiyang.errors import N_
from yiyang.jobs import service as jobs
from yiyang.jobs.models import Job
from yiyang.security.subject import Subject

PREVIEW = "dispatch.day_plan.preview"
APPLY = "dispatch.day_plan.apply"
KINDS = (PREVIEW, APPLY)
PAGE = "/dispatch/day-plan?job={id}"
PREVIEW_TITLE = N_("Day plan preview of %(day)s")
APPLY_TITLE = N_("Apply the day plan of %(day)s")
PREVIEW_SUMMARY = N_("%(count)s changes proposed for %(day)s.")
APPLY_SUMMARY = N_(
    "The plan for %(day)s is applied: %(count)s visits were offered to their new caregivers."
)


def submit(
    session: Session,
    subject: Subject,
    day: date,
    keep_within: float,
    *,
    apply: bool,
    now: datetime,
    settings: Settings,
    locale: str,
    max_changes: int | None = None,
) -> Job:
    """Check who asks and for which day now, then queue the plan for the worker."""
    day_plan._checked(subject, day, now, settings, keep_within, max_changes)
    return jobs.submit(
        session, subject, APPLY if apply else PREVIEW,
        {"day": day.isoformat(), "keep": keep_within, "cap": max_changes},
        title=APPLY_TITLE if apply else PREVIEW_TITLE, title_params={"day": day.isoformat()},
        link=PAGE, locale=locale, now=now,
    )  # fmt: skip


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def outcome_data(
    outcome: Outcome, keep_within: float, max_changes: int | None = None
) -> dict[str, Any]:
    """An outcome as JSON for the job's result (the page and the API read it back)."""
    return {
        "day": outcome.day.isoformat(),
        "keep": keep_within,
        "cap": max_changes,
        "movable": outcome.movable,
        "waiting_placed": outcome.waiting_placed,
        "unplaced": outcome.unplaced,
        "travel_before_min": outcome.travel_before_min,
        "travel_after_min": outcome.travel_after_min,
        "seconds": outcome.seconds,
        "applied": outcome.applied,
        "visits": outcome.visits,
        "moves": [
            {
                "order_id": m.order_id,
                "from_staff_id": m.from_staff_id,
                "to_staff_id": m.to_staff_id,
                "from_start": m.from_start.isoformat() if m.from_start else None,
                "to_start": m.to_start.isoformat(),
            }
            for m in outcome.moves
        ],
    }


def outcome_of(data: dict[str, Any]) -> Outcome:
    """The outcome a finished day-plan job kept."""
    return Outcome(
        day=date.fromisoformat(data["day"]),
        movable=data["movable"],
        waiting_placed=data["waiting_placed"],
        unplaced=list(data["unplaced"]),
        travel_before_min=data["travel_before_min"],
        travel_after_min=data["travel_after_min"],
        seconds=data["seconds"],
        applied=data["applied"],
        visits=int(data.get("visits", 0)),
        moves=[
            Move(
                m["order_id"],
                m["from_staff_id"],
                m["to_staff_id"],
                _time(m["from_start"]),
                datetime.fromisoformat(m["to_start"]),
            )
            for m in data["moves"]
        ],
    )
