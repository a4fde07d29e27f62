"""Booking a caregiver's time: one lock discipline, one way to set when a visit starts and ends.

Whoever reads a caregiver's schedule in order to book them locks the caregiver's staff row
first (FOR NO KEY UPDATE; after any order rows; several staff rows in ascending id order), so
two transactions never book one caregiver from the same stale read. Automatic dispatch locks
only its winner and checks the slot again on a fresh read; when someone took it meanwhile,
it plans again (a few times, then with everyone who has the skills locked). On PostgreSQL
the exclusion constraint NO_DOUBLE_BOOKING refuses overlapping visits whatever the code
does (ADR 0004).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from yiyang.dispatch import repository, rules, states
from yiyang.errors import N_, Conflict, on_constraint
from yiyang.kit.localtime import CHINA_TZ
from yiyang.kit.masking import mask_name
from yiyang.orders.models import ServiceOrder
from yiyang.planner.choose import choose
from yiyang.planner.feasibility import Slot, check, has_skills
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import CaregiverState, Decision, Job, Window
from yiyang.registry.staff.models import Staff

NO_DOUBLE_BOOKING = "ex_service_order_no_double_booking"  # migration 0007, PostgreSQL only
OPTIMISTIC_TRIES = 3  # plans on an unlocked read before everyone with the skills is locked


class DoubleBooked(Conflict):
    """The caregiver already has a visit at that time: one person cannot be at two visits."""

    code = "double_booked"


on_constraint(
    NO_DOUBLE_BOOKING,
    lambda: DoubleBooked(
        N_(
            "Someone else booked this caregiver for an overlapping visit a moment ago, so "
            "nothing was saved. Reload and choose again."
        )
    ),
)


@dataclass(frozen=True)
class Visit:
    """A visit that holds a caregiver's time: its order, its interval, its elder's name."""

    order_id: int
    window: Window
    elder_name: str


def set_planned_start(order: ServiceOrder, start: datetime | None) -> None:
    """Set when the visit starts, and so when it ends: the interval nobody else may overlap."""
    order.planned_start_at = start
    order.planned_end_at = (
        None if start is None else rules.planned_end(start, order.standard_minutes)
    )


def lock_staff(session: Session, staff_ids: Iterable[int]) -> None:
    """Lock caregivers' staff rows, ascending (two transactions never wait on each other)."""
    ids = sorted(set(staff_ids))
    if ids:
        repository.lock_staff(session, ids)


@contextmanager
def checked_when_written(session: Session) -> Iterator[None]:
    """Let a batch of moves pass through overlaps (two visits trading times); check at its end.

    On PostgreSQL the constraint is deferred for the batch and checked when it is written, so
    an overlap left at the end is refused here (DoubleBooked under db.as_domain_errors), not at
    commit. SQLite has no such constraint: the lock discipline is the guarantee there.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.flush()
        session.execute(text(f"SET CONSTRAINTS {NO_DOUBLE_BOOKING} DEFERRED"))
    yield
    if postgres:
        session.flush()
        session.execute(text(f"SET CONSTRAINTS {NO_DOUBLE_BOOKING} IMMEDIATE"))


def visits_of(session: Session, staff_id: int, order: ServiceOrder) -> list[Visit]:
    """The caregiver's other visits that hold their time around the order's day (lock first)."""
    rows = repository.caregiver_visit_rows(session, staff_id, order)
    return [
        Visit(i, _interval(planned or opens, minutes), name)
        for i, planned, opens, minutes, name in rows
    ]


def _interval(start: datetime, minutes: int) -> Window:
    return Window(start, rules.planned_end(start, minutes))


def double_booked(name: str, visit: Visit) -> DoubleBooked:
    """The refusal that names the visit in the way, in local time and with the elder's initial."""
    start, end = (t.astimezone(CHINA_TZ) for t in (visit.window.start, visit.window.end))
    return DoubleBooked(
        N_(
            "%(name)s already has a visit on %(day)s from %(start)s to %(end)s (order "
            "%(order)s, elder %(elder)s). One caregiver cannot be at two visits at once: choose "
            "someone else or another time."
        ),
        field="staff_id",
        name=name,
        day=start.date().isoformat(),
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
        order=visit.order_id,
        elder=mask_name(visit.elder_name),
    )


def ensure_free(session: Session, staff: Staff, order: ServiceOrder, start: datetime) -> None:
    """Refuse, naming the other visit, if the order at `start` would overlap one of theirs."""
    mine = _interval(start, order.standard_minutes)
    for visit in visits_of(session, staff.id, order):
        if rules.overlaps(visit.window, mine):
            raise double_booked(staff.name, visit)


def free_start(session: Session, staff: Staff, order: ServiceOrder, job: Job) -> datetime:
    """The first start in the job's window that overlaps none of the caregiver's visits.

    For a dispatcher's pick that the planner found no room for (a trip too tight, a shift
    edge): the visit may still go between the others, never on top of one.
    """
    visits = visits_of(session, staff.id, order)
    busy = [v.window for v in visits]
    start = rules.first_free_start(job.window.start, job.window.end, order.standard_minutes, busy)
    if start is not None:
        return start
    first = _interval(job.window.start, order.standard_minutes)
    in_the_way = next((v for v in visits if rules.overlaps(v.window, first)), visits[0])
    raise double_booked(staff.name, in_the_way)


def choose_locked(
    session: Session,
    order: ServiceOrder,
    job: Job,
    *,
    excluded_providers: frozenset[int],
    k: int,
) -> Decision:
    """The planner's decision for a locked order, with its winner locked and still free.

    The district is read without locks; then only the winner's row is locked and their visits
    read again. If the slot went meanwhile (another transaction booked them), the lock is
    released with its savepoint and the plan is made again on a new read, a few times; then
    everyone with the skills is locked in id order and the plan is made on their fresh days.
    """
    travel = StraightLineTravel()
    day, placing = order.service_date, (order.id,)

    def read(only: Collection[int] | None = None) -> list[CaregiverState]:
        return states.caregivers_for(
            session,
            day,
            except_orders=placing,
            excluded_providers=excluded_providers,
            staff_ids=only,
        )

    for _ in range(OPTIMISTIC_TRIES):
        caregivers = states.caregiver_index(
            session, day, except_orders=placing, excluded_providers=excluded_providers
        )
        decision = choose(job, caregivers, travel, k=k)
        winner = decision.winner
        if winner is None:
            return decision
        savepoint = session.begin_nested()
        lock_staff(session, [winner.staff_id])
        read_then = next(c for c in caregivers if c.staff_id == winner.staff_id)
        now_held = states.held_visits(
            session, day, except_orders=placing, staff_ids=[winner.staff_id]
        )
        fresh = states.with_visits(read_then, now_held.get(winner.staff_id, []), day)
        pinned = replace(job, window=Window(winner.start, winner.start))
        if isinstance(check(fresh, pinned, travel), Slot):
            savepoint.commit()
            return decision
        savepoint.rollback()  # releases the winner's lock: later ones are taken in id order
    able = {c.staff_id for c in caregivers if has_skills(c.skills, job.required_skills)}
    lock_staff(session, able)
    # The others cannot win (no skills): their rows stay as read, so the ranking is the same.
    again = read(able) + [c for c in caregivers if c.staff_id not in able]
    return choose(job, again, travel, k=k)
