"""Who could take an order, for a dispatcher who picks by hand, and how one pick fits.

The candidates are the active caregivers in the dispatcher's own staff scope who hold a
skill the service needs, each assessed as the planner would (planner.assess): feasible ones
first in the planner's ranking, then the others with the reason they cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.dispatch import repository, states
from yiyang.errors import N_, Invalid
from yiyang.orders import repository as order_repository
from yiyang.orders import rules
from yiyang.orders.models import ServiceOrder
from yiyang.planner.assess import Fit, assess, fit
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import CaregiverState, Job
from yiyang.registry.staff.models import Staff
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


@dataclass(frozen=True)
class Choice:
    """One caregiver a dispatcher may pick, with how they fit and where they work from."""

    fit: Fit
    name: str
    code: str
    provider: str
    facility: str
    current: bool  # the order's caregiver at the moment


def _inputs(
    session: Session, order: ServiceOrder, now: datetime
) -> tuple[Job, list[CaregiverState]]:
    refused, _ = repository.exclusions(session, order.id)
    job = states.job_for(session, order, excluded=refused, now=now)
    day = states.caregivers_for(session, order.service_date, except_orders=(order.id,))
    return job, day


def candidates(
    session: Session, subject: Subject, order_id: int, *, now: datetime
) -> tuple[ServiceOrder, list[Choice]]:
    """The order and everyone in scope with a skill it needs, best fit first."""
    subject.require(Perm.ORDER_DISPATCH)
    order = order_repository.get(session, subject, order_id)
    rules.transition(order.status, rules.Event.REASSIGN)
    job, day = _inputs(session, order, now)
    scope = repository.staff_in_scope(session, subject)
    wanted = set(job.required_skills)
    pool = [c for c in day if c.staff_id in scope and (not wanted or wanted & set(c.skills))]
    fits = assess(job, pool, StraightLineTravel())
    about = repository.staff_about(session, [f.staff_id for f in fits])
    return order, [
        Choice(f, *about[f.staff_id], current=f.staff_id == order.staff_id) for f in fits
    ]


def fit_of(
    session: Session, subject: Subject, order: ServiceOrder, staff_id: int, *, now: datetime
) -> tuple[Fit, Staff, Job]:
    """How one caregiver in the dispatcher's scope fits the order; refused if not assignable."""
    staff = repository.assignable_staff(session, subject, staff_id)
    job, day = _inputs(session, order, now)
    state = next((c for c in day if c.staff_id == staff_id), None)
    if staff is None or state is None:
        raise Invalid(
            N_("Staff number %(id)s is not an active caregiver you can assign."),
            field="staff_id",
            id=staff_id,
        )
    return fit(state, job, StraightLineTravel()), staff, job
