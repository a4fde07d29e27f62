"""Re-plan tomorrow's visits together (planner.day_plan) and apply it as reassignments.

Dispatch places each order as it arrives; the evening before, a district dispatcher (or the
nightly timer) re-plans every visit that may still move into shorter rounds. Movable: that
day's orders, not pinned, not started, held or waiting for dispatch, starting later than the
freeze. Everything else stays where it is and the plan works around it. Applying is one
transaction: orders are locked first, then the caregivers the plan books (their days read
again; planned once more with every caregiver locked if an order arrived meanwhile), every
change is a decision and a timeline row, and a plan that would leave a held visit without
room, or overlap two visits, is refused with nothing changed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.db import as_domain_errors
from yiyang.dispatch import booking, plan_moves, repository, states
from yiyang.dispatch.plan_moves import Move
from yiyang.errors import N_, Conflict, DomainError, Forbidden, Invalid
from yiyang.jobs import timers
from yiyang.jobs.models import Timer
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders.models import ServiceOrder
from yiyang.planner.day_plan import DayPlan, Placement, plan_day, round_travel, with_placements
from yiyang.planner.feasibility import Slot, check, with_visit
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import CaregiverState, Job, Window
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject, system_subject

log = logging.getLogger(__name__)
NIGHTLY = "dispatch.day_plan"
MAX_KEEP_WITHIN = 30  # minutes; beyond it "keep" would mean "do not re-plan"
MAX_CHANGES = 100_000  # a cap on changes of caregiver beyond any day's visits
RETIME_SECONDS = 60  # smaller shifts of a planned start are not worth telling anyone


@dataclass
class Outcome:
    """What a day plan proposes (or did): counts, travel before and after, the moves."""

    day: date
    movable: int = 0
    waiting_placed: int = 0  # orders that had nobody and now have someone
    unplaced: list[int] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    travel_before_min: float = 0.0  # per visit, every round of the day
    travel_after_min: float = 0.0
    seconds: float = 0.0
    applied: bool = False
    visits: int = 0  # visits in every round of the day (what the per-visit figures divide)

    @property
    def saved_min(self) -> float:
        """Minutes of travel the plan saves over the whole day (negative when it costs)."""
        return round((self.travel_before_min - self.travel_after_min) * self.visits, 1)

    @property
    def saved_per_visit_min(self) -> float:
        """Minutes of travel the plan saves per visit."""
        return round(self.travel_before_min - self.travel_after_min, 2)

    @property
    def reassigned(self) -> int:
        """Orders that get another caregiver."""
        return sum(1 for m in self.moves if m.reassigned)

    @property
    def retimed(self) -> int:
        """Orders kept by their caregiver at another time."""
        return sum(1 for m in self.moves if not m.reassigned)


def _checked(
    subject: Subject,
    day: date,
    now: datetime,
    settings: Settings,
    keep_within: float,
    max_changes: int | None = None,
) -> None:
    """Refuse anyone but a district dispatcher, a day gone or too far ahead, a bad keep."""
    subject.require(Perm.ORDER_DISPATCH)
    if not subject.district_wide:
        raise Forbidden(
            N_("Only a district dispatcher may re-plan the whole day."), code="district_only"
        )
    today = local_today(now)
    if day < today:
        raise Invalid(N_("The day %(day)s has passed."), field="day", day=day.isoformat())
    if day > today + timedelta(days=settings.order_max_days_ahead):
        raise Invalid(
            N_("The day %(day)s is too far ahead to plan."), field="day", day=day.isoformat()
        )
    if not 0 <= keep_within <= MAX_KEEP_WITHIN:
        raise Invalid(
            N_("Keep visits with trips of 0 to %(max)s minutes."),
            field="keep_within",
            max=MAX_KEEP_WITHIN,
        )
    if max_changes is not None and not 0 <= max_changes <= MAX_CHANGES:
        raise Invalid(
            N_("Allow 0 to %(max)s changes of caregiver, or leave it empty for no limit."),
            field="max_changes",
            max=MAX_CHANGES,
        )


def movable_orders(
    session: Session, day: date, *, now: datetime, settings: Settings, lock: bool = False
) -> list[ServiceOrder]:
    """That day's orders a plan may move: not pinned, not started, starting after the freeze."""
    frozen_until = now + timedelta(minutes=settings.dispatch_day_plan_freeze_minutes)
    return [
        o
        for o in repository.day_orders(session, day, lock=lock)
        if (o.planned_start_at or o.window_start_at) >= frozen_until and o.window_start_at >= now
    ]


def _jobs(session: Session, orders: list[ServiceOrder], now: datetime) -> list[Job]:
    """Planner jobs with refusals: refused staff and every caregiver of a refusing provider."""
    jobs = []
    for order in orders:
        staff, providers = repository.exclusions(session, order.id)
        if providers:
            staff = staff | repository.staff_of_providers(session, providers)
        jobs.append(states.job_for(session, order, excluded=staff, now=now))
    return jobs


def _per_visit(total_and_visits: tuple[float, int]) -> float:
    total, visits = total_and_visits
    return round(total / visits, 2) if visits else 0.0


def _settled_legs(session: Session, orders: list[ServiceOrder]) -> dict[int, float]:
    """The trip in of each held order's current placement (its open decision)."""
    return repository.settled_legs(session, [o.id for o in orders if o.staff_id is not None])


Planned = tuple[Outcome, list[CaregiverState], list[Job], DayPlan]


def _plan(
    session: Session,
    day: date,
    orders: list[ServiceOrder],
    *,
    now: datetime,
    keep_within: float,
    staff_ids: list[int] | None = None,
    max_changes: int | None = None,
) -> Planned:
    started = time.perf_counter()
    ids = {o.id for o in orders}
    travel = StraightLineTravel()
    around = states.caregivers_for(session, day, except_orders=ids, staff_ids=staff_ids)
    jobs = _jobs(session, orders, now)
    held = {o.id: o.staff_id for o in orders if o.staff_id is not None}
    rounds = {c.staff_id for c in around}
    now_held = [
        Placement(o.id, o.staff_id, o.provider_id or 0, o.planned_start_at or o.window_start_at, 0)
        for o in orders
        if o.staff_id in rounds  # a holder who is no longer active has no round
    ]
    everyone = with_placements(around, now_held, {j.order_id: j for j in jobs})
    plan = plan_day(
        around,
        jobs,
        travel,
        current=held,
        settled=_settled_legs(session, orders) if keep_within or max_changes is not None else None,
        settled_within_min=keep_within,
        max_changes=max_changes,
    )
    by_id = {o.id: o for o in orders}
    outcome = Outcome(
        day=day,
        movable=len(orders),
        waiting_placed=sum(1 for o in plan.placements if o not in held),
        unplaced=sorted(plan.unplaced),
        travel_before_min=_per_visit(start_rounds := round_travel(_on_day(everyone, day), travel)),
        travel_after_min=_per_visit(
            round_travel(_on_day(list(_committed(around, jobs, plan)), day), travel)
        ),
        visits=start_rounds[1],
    )
    for order_id, p in sorted(plan.placements.items()):
        order = by_id[order_id]
        before = order.planned_start_at if order.staff_id is not None else None
        moved_in_time = before is None or abs((p.start - before).total_seconds()) >= RETIME_SECONDS
        if order.staff_id != p.staff_id or moved_in_time:
            outcome.moves.append(Move(order_id, order.staff_id, p.staff_id, before, p.start))
    outcome.seconds = round(time.perf_counter() - started, 1)
    return outcome, around, jobs, plan


def _locked(
    session: Session,
    day: date,
    orders: list[ServiceOrder],
    planned: Planned,
    *,
    now: datetime,
    keep_within: float,
    max_changes: int | None = None,
) -> Planned:
    """The plan with the caregivers it books locked; made again if their days changed meanwhile.

    The plan is made without staff locks (it takes seconds); then the caregivers who get a
    visit are locked and their days read again. If an order reached one of them in between,
    the plan is made once more with every caregiver locked, on fresh days.
    """
    _, around, _, plan = planned
    booked = {p.staff_id for p in plan.placements.values()} | {
        o.staff_id for o in orders if o.id in plan.unplaced and o.staff_id is not None
    }
    savepoint = session.begin_nested()
    booking.lock_staff(session, booked)
    fresh = states.held_visits(session, day, except_orders={o.id for o in orders}, staff_ids=booked)
    if all(
        fresh.get(c.staff_id, []) == states.visits_of(c) for c in around if c.staff_id in booked
    ):
        savepoint.commit()
        return planned
    savepoint.rollback()  # releases those locks: everyone's are taken next, in id order
    everyone = sorted(c.staff_id for c in around)
    booking.lock_staff(session, everyone)
    return _plan(
        session, day, orders, now=now, keep_within=keep_within, staff_ids=everyone,
        max_changes=max_changes,
    )  # fmt: skip


def _on_day(caregivers: list[CaregiverState], day: date) -> list[CaregiverState]:
    """Caregivers with only that local day's visits, for travel figures."""
    out = []
    for c in caregivers:
        pairs = [
            (w, p)
            for w, p in zip(c.busy, c.busy_points, strict=True)
            if w.start.astimezone(CHINA_TZ).date() == day
        ]
        out.append(
            replace(c, busy=tuple(w for w, _ in pairs), busy_points=tuple(p for _, p in pairs))
        )
    return out


def _committed(caregivers: list[CaregiverState], jobs: list[Job], plan: DayPlan) -> CaregiverIndex:
    """The caregivers' days with the plan's placements committed."""
    by_job = {j.order_id: j for j in jobs}
    return CaregiverIndex(with_placements(caregivers, plan.placements.values(), by_job))


def propose(
    session: Session,
    subject: Subject,
    day: date,
    *,
    now: datetime,
    settings: Settings,
    keep_within: float = 0.0,
    max_changes: int | None = None,
) -> Outcome:
    """What re-planning the day would change, without changing anything.

    `keep_within` (minutes): held visits whose trip in is that short keep their caregiver
    (their time may still move), for a calmer plan that changes fewer people's days.
    `max_changes`: at most that many visits change caregiver (those that save most travel).
    """
    _checked(subject, day, now, settings, keep_within, max_changes)
    orders = movable_orders(session, day, now=now, settings=settings)
    return _plan(session, day, orders, now=now, keep_within=keep_within, max_changes=max_changes)[0]


@as_domain_errors()
def apply(
    session: Session,
    subject: Subject,
    day: date,
    *,
    now: datetime,
    settings: Settings,
    keep_within: float = 0.0,
    max_changes: int | None = None,
) -> Outcome:
    """Re-plan the day and reassign or retime every order the plan moves, all or nothing."""
    _checked(subject, day, now, settings, keep_within, max_changes)
    orders = movable_orders(session, day, now=now, settings=settings, lock=True)
    first = _plan(session, day, orders, now=now, keep_within=keep_within, max_changes=max_changes)
    outcome, around, jobs, plan = _locked(
        session, day, orders, first, now=now, keep_within=keep_within, max_changes=max_changes
    )
    _refuse_if_a_held_visit_is_squeezed(orders, around, jobs, plan)
    by_id = {o.id: o for o in orders}
    plan_moves.write(session, subject, plan, outcome.moves, by_id, now=now, settings=settings)
    outcome.applied = True
    audit.record(
        session,
        subject,
        "dispatch.day_plan",
        "day",
        None,
        after={
            "day": day.isoformat(),
            "movable": outcome.movable,
            "reassigned": outcome.reassigned,
            "retimed": outcome.retimed,
            "travel_before_min": outcome.travel_before_min,
            "travel_after_min": outcome.travel_after_min,
        },
        at=now,
    )
    session.flush()
    return outcome


def _refuse_if_a_held_visit_is_squeezed(
    orders: list[ServiceOrder], around: list[CaregiverState], jobs: list[Job], plan: DayPlan
) -> None:
    """A held order the plan could not place keeps its caregiver only if it still fits."""
    squeezed = [o for o in orders if o.id in plan.unplaced and o.staff_id is not None]
    if not squeezed:
        return
    by_job = {j.order_id: j for j in jobs}
    days = _committed(around, jobs, plan)
    for order in squeezed:
        job, holder = by_job[order.id], order.staff_id or 0
        start = order.planned_start_at or order.window_start_at
        pinned = replace(job, window=Window(start, start))
        if holder not in days or not isinstance(
            check(days.get(holder), pinned, StraightLineTravel()), Slot
        ):
            raise Conflict(
                N_("The plan has no room left for order %(id)s; nothing was changed."),
                id=order.id,
                code="day_plan_conflict",
            )
        days.put(with_visit(days.get(holder), job, start))


def next_run(now: datetime, settings: Settings) -> datetime | None:
    """When the nightly plan of tomorrow runs next (local time), or None when it is off."""
    if not settings.dispatch_day_plan_at:
        return None
    hours, _, minutes = settings.dispatch_day_plan_at.partition(":")
    local = now.astimezone(CHINA_TZ)
    at = datetime.combine(local.date(), clock_time(int(hours), int(minutes or 0)), CHINA_TZ)
    return at if at > local else at + timedelta(days=1)


def run_nightly(
    session: Session, fired: Timer, *, now: datetime, settings: Settings
) -> Outcome | None:
    """The timer's work: apply tomorrow's plan as the system, then schedule the next night.

    A plan that cannot be applied is logged and skipped; the next night is scheduled anyway,
    unless another nightly timer is already pending (they never double up).
    """
    day = local_today(now) + timedelta(days=1)
    outcome = None
    try:
        with session.begin_nested():
            outcome = apply(session, system_subject("day_plan"), day, now=now, settings=settings)
    except DomainError as exc:
        log.warning("day plan of %s not applied: %s", day, exc)
    due = next_run(now + timedelta(minutes=1), settings)
    if due is not None and all(t.id == fired.id for t in timers.pending(session, NIGHTLY)):
        timers.schedule(session, NIGHTLY, 0, due)
    return outcome


def ensure_nightly(session: Session, now: datetime, settings: Settings) -> None:
    """Schedule the nightly plan once, if it is switched on and none is pending."""
    due = next_run(now, settings)
    if due is not None and not timers.pending(session, NIGHTLY):
        timers.schedule(session, NIGHTLY, 0, due)
