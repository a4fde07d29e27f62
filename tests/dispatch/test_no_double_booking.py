"""A caregiver never holds two overlapping visits, whatever runs at the same time.

The PostgreSQL tests run real concurrent transactions: each thread has its own session (its
own connection) on a private migrated database, and they start together at a barrier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import yiyang.dispatch.tasks  # noqa: F401 — registers the timer handlers
from tests.builders import make_elder, make_user
from tests.conftest import FakeClock, database_url, scratch_database
from tests.orders.builders import District, make_caregiver, make_district, window
from yiyang.config import Settings
from yiyang.db import make_engine, make_session_factory
from yiyang.dispatch import day_plan, service
from yiyang.errors import DomainError
from yiyang.kit.clock import CHINA_TZ
from yiyang.migrate import upgrade
from yiyang.orders import service as order_service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.rules import HOLDS_CAREGIVER, Event
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.models import Staff
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

SETTINGS = Settings(secret_key="x")
Factory = sessionmaker[Session]


# --- real concurrency on PostgreSQL -----------------------------------------------------------


@pytest.fixture
def pg() -> Iterator[Factory]:
    """Sessions on a private migrated PostgreSQL database (the tests commit, then it is dropped)."""
    url = database_url()
    if not url.startswith("postgresql"):
        pytest.skip("concurrent transactions are tested on PostgreSQL (SQLite serialises writers)")
    with scratch_database(url) as scratch:
        engine = make_engine(scratch, pool_size=12, max_overflow=4)
        upgrade(engine)
        try:
            yield make_session_factory(engine)
        finally:
            engine.dispose()


def together(factory: Factory, jobs: list[Callable[[Session], object]]) -> list[object]:
    """Run each job in its own thread and transaction, all released at once; commit each.

    Returns per job what it returned, or the domain error it raised (rolled back). Any other
    exception fails the test: a double booking must never surface as a crash.
    """
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(n: int, job: Callable[[Session], object]) -> None:
        with factory() as s:
            barrier.wait()
            try:
                results[n] = job(s)
                s.commit()
            except DomainError as exc:
                s.rollback()
                results[n] = exc
            except BaseException as exc:  # reported by the assertion below
                s.rollback()
                results[n] = exc

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    crashes = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)
    ]
    assert not crashes, crashes
    return results


def overlapping_pairs(factory: Factory) -> list[tuple[int, int]]:
    """Pairs of orders whose service intervals overlap on one caregiver (statuses that hold)."""
    with factory() as s:
        rows = s.execute(
            select(
                ServiceOrder.id,
                ServiceOrder.staff_id,
                ServiceOrder.planned_start_at,
                ServiceOrder.standard_minutes,
            ).where(
                ServiceOrder.staff_id.is_not(None),
                ServiceOrder.status.in_([str(x) for x in HOLDS_CAREGIVER]),
            )
        ).all()
    spans = [(i, staff, start, start + timedelta(minutes=m)) for i, staff, start, m in rows]
    return sorted(
        (a[0], b[0])
        for a in spans
        for b in spans
        if a[0] < b[0] and a[1] == b[1] and a[2] < b[3] and b[2] < a[3]
    )


def _priced(s: Session, d: District, who: Subject, clock: FakeClock, minutes: int = 60) -> int:
    """A priced order (not dispatched) of a new elder at the same place, two hours from now."""
    elder = make_elder(s, d.tree.comm_a1)
    start, end = window(clock.now, length_min=minutes)
    data = OrderCreate(elder_id=elder.id, item_code="bath_home", window_start=start, window_end=end)
    order, _ = order_service.create_order(s, who, data, now=clock.now, settings=SETTINGS)
    return order.id


@pytest.mark.postgres_only
@pytest.mark.parametrize("override", [False, True], ids=["plain", "override_busy"])
def test_concurrent_manual_assignments_of_one_window_book_the_caregiver_once(
    pg: Factory, clock: FakeClock, override: bool
) -> None:
    with pg() as s:
        d = make_district(s)
        carer = make_caregiver(s, d.f_a1).id
        _, admin = make_user(s, Role.DISTRICT_ADMIN)
        ids = [_priced(s, d, admin, clock) for _ in range(10)]  # one start each: the window's
        s.commit()

    def assign(order_id: int) -> Callable[[Session], object]:
        return lambda s: service.assign(
            s, admin, order_id, carer, now=clock.now, reason="elder asked",
            override_busy=override, settings=SETTINGS,
        ).id  # fmt: skip

    results = together(pg, [assign(i) for i in ids])
    placed = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(placed) == 1, results
    assert len(refused) == 9 and all(e.status_code in (409, 422) for e in refused)
    assert overlapping_pairs(pg) == []
    with pg() as s:  # the refused ones are untouched
        untouched = s.scalars(select(ServiceOrder).where(ServiceOrder.id.not_in(placed))).all()
        assert {(o.status, o.staff_id, o.dispatch_attempts) for o in untouched} == {
            ("priced", None, 0)
        }


@pytest.mark.postgres_only
def test_parallel_clients_placing_orders_never_overlap_a_caregiver(
    pg: Factory, clock: FakeClock
) -> None:
    with pg() as s:
        d = make_district(s)
        for f in (d.f_a1, d.f_a1, d.f_a2, d.f_b1):
            make_caregiver(s, f)
        _, operator = make_user(s, Role.OPERATOR)
        elders = [make_elder(s, d.tree.comm_a1).id for _ in range(30)]
        s.commit()

    def client(n: int) -> Callable[[Session], object]:
        def place(s: Session) -> object:
            for k in range(3):  # three requests, each its own transaction
                start = clock.now + timedelta(hours=1, minutes=30 * ((n + k) % 4))
                data = OrderCreate(
                    elder_id=elders[3 * n + k], item_code="bath_home",
                    window_start=start, window_end=start + timedelta(minutes=90),
                )  # fmt: skip
                service.submit_order(s, operator, data, now=clock.now, settings=SETTINGS)
                s.commit()
            return n

        return place

    results = together(pg, [client(n) for n in range(10)])
    assert sorted(r for r in results if isinstance(r, int)) == list(range(10))
    assert overlapping_pairs(pg) == []
    with pg() as s:
        held = s.scalar(
            select(ServiceOrder.id)
            .where(ServiceOrder.status.in_([str(x) for x in HOLDS_CAREGIVER]))
            .limit(1)
        )
        assert held is not None  # the caregivers did get visits


def _held_by_five_and_one_free(s: Session, clock: FakeClock) -> tuple[Subject, list[int], int]:
    """Five caregivers of one provider each hold a visit at one instant; one of another is free."""
    d = make_district(s)
    _, admin = make_user(s, Role.DISTRICT_ADMIN)
    ids = []
    for _ in range(5):
        holder = make_caregiver(s, d.f_a1)
        ids.append(_priced(s, d, admin, clock))
        service.assign(
            s, admin, ids[-1], holder.id, now=clock.now, reason="regular", settings=SETTINGS
        )
    free = make_caregiver(s, d.f_a2).id
    s.commit()
    return admin, ids, free


@pytest.mark.postgres_only
@pytest.mark.parametrize("how", ["caregiver_refuse", "caregiver_timeout", "try_again"])
def test_concurrent_redispatches_give_a_free_caregiver_one_of_them(
    pg: Factory, clock: FakeClock, how: str
) -> None:
    with pg() as s:
        if how == "try_again":  # queued while nobody could take them; then someone can
            d = make_district(s)
            _, admin = make_user(s, Role.DISTRICT_ADMIN)
            ids = [_priced(s, d, admin, clock) for _ in range(5)]
            for i in ids:
                service.dispatch(s, i, now=clock.now, settings=SETTINGS)
            free = make_caregiver(s, d.f_a2).id
            s.commit()
        else:
            admin, ids, free = _held_by_five_and_one_free(s, clock)

    def again(order_id: int) -> Callable[[Session], object]:
        def run(s: Session) -> object:
            if how == "caregiver_refuse":
                service.act(
                    s, admin, order_id, Event.CAREGIVER_REFUSE, now=clock.now, reason="ill",
                    settings=SETTINGS,
                )  # fmt: skip
            elif how == "caregiver_timeout":
                decision = service.current_decision(s, order_id)
                assert decision is not None
                service.expire_offer(
                    s, order_id, decision.id, step="caregiver", now=clock.now, settings=SETTINGS
                )
            else:
                service.redispatch(s, admin, order_id, now=clock.now, settings=SETTINGS)
            return order_id

        return run

    results = together(pg, [again(i) for i in ids])
    assert sorted(r for r in results if isinstance(r, int)) == sorted(ids)
    assert overlapping_pairs(pg) == []
    with pg() as s:
        on_free = s.scalars(select(ServiceOrder.id).where(ServiceOrder.staff_id == free)).all()
        assert len(on_free) == 1  # the free caregiver got exactly one of them


@pytest.mark.postgres_only
def test_a_day_plan_applied_while_orders_are_placed_never_overlaps(
    pg: Factory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tomorrow = (clock.now.astimezone(CHINA_TZ) + timedelta(days=1)).replace(hour=8, minute=0)
    with pg() as s:
        d = make_district(s)
        make_caregiver(s, d.f_a1)
        make_caregiver(s, d.f_a2)
        _, operator = make_user(s, Role.OPERATOR)
        _, dispatcher = make_user(s, Role.DISTRICT_ADMIN)
        spots = [(34.79 + 0.004 * n, 113.66 + 0.006 * (n % 3)) for n in range(14)]
        elders = [make_elder(s, d.tree.comm_a1, lat_lon=p).id for p in spots]
        for n in range(6):  # the day so far, placed one by one as they came
            data = OrderCreate(
                elder_id=elders[n], item_code="bath_home",
                window_start=tomorrow, window_end=tomorrow + timedelta(hours=9),
            )  # fmt: skip
            service.submit_order(s, operator, data, now=clock.now, settings=SETTINGS)
        s.commit()

    planned, placed = threading.Event(), threading.Event()
    real_plan_day = day_plan.plan_day

    def slow_plan_day(*args: Any, **kwargs: Any) -> Any:
        """The plan is made; new orders arrive before it is written (as in 11 s of planning)."""
        plan = real_plan_day(*args, **kwargs)
        if not planned.is_set():
            planned.set()
            placed.wait(timeout=30)
        return plan

    monkeypatch.setattr(day_plan, "plan_day", slow_plan_day)

    def apply(s: Session) -> object:
        return day_plan.apply(s, dispatcher, tomorrow.date(), now=clock.now, settings=SETTINGS)

    def place(n: int) -> Callable[[Session], object]:
        def run(s: Session) -> object:
            planned.wait(timeout=30)
            data = OrderCreate(
                elder_id=elders[6 + n], item_code="bath_home",
                window_start=tomorrow, window_end=tomorrow + timedelta(hours=9),
            )  # fmt: skip
            return service.submit_order(s, operator, data, now=clock.now, settings=SETTINGS).id

        return run

    placers = [place(n) for n in range(8)]

    def placers_then_release(_: Session) -> object:
        inner = together(pg, placers)
        placed.set()
        return inner

    results = together(pg, [apply, placers_then_release])
    assert not isinstance(results[0], DomainError), results[0]
    assert overlapping_pairs(pg) == []
    with pg() as s:
        busy = s.scalars(
            select(Staff.id).join(ServiceOrder, ServiceOrder.staff_id == Staff.id).distinct()
        ).all()
        assert len(busy) == 2
