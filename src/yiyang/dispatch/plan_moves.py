"""Writing a day plan's moves: a reassignment is a decision, a timeline row and an offer.

A retime is an audit row. Every start is set through booking, and the batch is checked for
overlapping visits once it is all written (two visits may trade times on the way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.dispatch import booking, repository
from yiyang.dispatch import service as dispatch_service
from yiyang.dispatch.models import DispatchDecision
from yiyang.errors import N_
from yiyang.jobs import timers
from yiyang.orders import rules
from yiyang.orders import service as order_service
from yiyang.orders.models import ServiceOrder
from yiyang.planner.day_plan import DayPlan, Placement
from yiyang.security.audit import service as audit
from yiyang.security.subject import Subject

EXPLANATION = N_(
    "Re-planned with the day's other visits: %(name)s, about %(travel)s min from the visit before"
)


@dataclass(frozen=True)
class Move:
    """One order the plan changes: from whom and when, to whom and when."""

    order_id: int
    from_staff_id: int | None
    to_staff_id: int
    from_start: datetime | None
    to_start: datetime

    @property
    def reassigned(self) -> bool:
        """A different caregiver (rather than the same one at another time)."""
        return self.from_staff_id != self.to_staff_id


def write(
    session: Session,
    subject: Subject,
    plan: DayPlan,
    moves: list[Move],
    by_id: dict[int, ServiceOrder],
    *,
    now: datetime,
    settings: Settings,
) -> None:
    """Reassign or retime every moved order; refused whole if two visits would overlap."""
    chosen = {m.to_staff_id for m in moves}
    names = repository.staff_names(session, chosen)
    with booking.checked_when_written(session):
        for move in moves:
            order = by_id[move.order_id]
            if move.reassigned:
                placement = plan.placements[order.id]
                _reassign(session, subject, order, placement, names, now=now, settings=settings)
            else:
                booking.set_planned_start(order, move.to_start)
                audit.record(
                    session,
                    subject,
                    "order.retime",
                    "service_order",
                    order.id,
                    before={"planned_start_at": move.from_start},
                    after={"planned_start_at": move.to_start},
                    detail="day_plan",
                    at=now,
                )
        _settle_small_shifts(plan, by_id)


def _settle_small_shifts(plan: DayPlan, by_id: dict[int, ServiceOrder]) -> None:
    """Shifts too small to report are stored all the same: the plan's times never overlap."""
    for order_id, p in plan.placements.items():
        order = by_id[order_id]
        if order.staff_id == p.staff_id and order.planned_start_at != p.start:
            booking.set_planned_start(order, p.start)


def _reassign(
    session: Session,
    subject: Subject,
    order: ServiceOrder,
    placement: Placement,
    names: dict[int, str],
    *,
    now: datetime,
    settings: Settings,
) -> None:
    """Give the order to the plan's caregiver: a decision, a timeline row, a caregiver offer."""
    previous = repository.current_decision(session, order.id)
    if previous is not None and previous.outcome in ("offered", "accepted"):
        previous.outcome = "superseded"
    dispatch_service.cancel_timers(session, order.id, now)
    order.dispatch_attempts += 1
    row = DispatchDecision(
        order_id=order.id,
        at=now,
        attempt=order.dispatch_attempts,
        tier="day_plan",
        winner_staff_id=placement.staff_id,
        winner_provider_id=placement.provider_id,
        travel_min=placement.travel_min,
        candidates=[],
        rejected={},
        explanation_lines=[
            {
                "t": EXPLANATION,
                "p": {
                    "name": names.get(placement.staff_id, f"#{placement.staff_id}"),
                    "travel": f"{placement.travel_min:.0f}",
                },
            }
        ],
        outcome="offered",
        decided_by_id=subject.user_id,
        reason="day_plan",
    )
    session.add(row)
    session.flush()
    order.provider_id, order.staff_id = placement.provider_id, placement.staff_id
    booking.set_planned_start(order, placement.start)
    order_service.record(
        session,
        order,
        rules.Event.REASSIGN,
        actor=subject if subject.user_id is not None else None,
        now=now,
        reason="day_plan",
        detail={"decision_id": row.id, "staff_id": placement.staff_id, "reason_is_code": True},
    )
    # The new caregiver may answer until the freeze before the visit, not within minutes: the
    # plan is made the evening before, when caregivers are off duty.
    answer_by = max(
        now + timedelta(minutes=settings.dispatch_caregiver_offer_minutes),
        placement.start - timedelta(minutes=settings.dispatch_day_plan_freeze_minutes),
    )
    timers.schedule(
        session,
        dispatch_service.CAREGIVER_OFFER_EXPIRY,
        order.id,
        answer_by,
        {"decision_id": row.id},
    )
    dispatch_service.resolve_queue(session, order.id, now=now, by=subject, how="day_plan")
