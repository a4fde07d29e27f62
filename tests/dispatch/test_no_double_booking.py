"""A caregiver never holds two overlapping visits, whatever runs at the same time.

The PostgreSQL tests run real concurrent transactions: each thread has its own session (its
own connection) on a private migrated database, and they start together at a barrier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg.errors import DeadlockDetected
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

import yiyang.dispatch.tasks  # noqa: F401 — registers the timer handlers
from tests.builders import make_elder, make_user
from tests.conftest import FakeClock, database_url, scratch_database
from tests.orders.builders import District, make_caregiver, make_district, window
from tests.orders.test_api import auth
from yiyang.app import create_app
from yiyang.config import Settings
from yiyang.db import make_engine, make_session_factory, refusal
from yiyang.dispatch import booking, day_plan, picking, repository, service
from yiyang.dispatch.booking import DoubleBooked
from yiyang.dispatch.models import DispatchDecision
from yiyang.errors import DomainError
from yiyang.jobs.models import Timer
from yiyang.kit.localtime import CHINA_TZ
from yiyang.migrate import upgrade
from yiyang.orders import service as order_service
from yiyang.orders.models import OrderEvent, ServiceOrder
from yiyang.orders.rules import HOLDS_CAREGIVER, Event
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.staff.models import Staff
from yiyang.security.roles import Role
from yiyang.security.subject import Subject
from yiyang.web.errors import install_error_handlers

SETTINGS = Settings(secret_key="x")
Factory = sessionmaker[Session]
# What the database's refusal of a race looks like: the exclusion constraint itself, or the
# deadlock PostgreSQL detects when two transactions insert conflicting rows at the same time.
CONSTRAINT_REFUSALS = {(409, "double_booked"), (409, "try_again")}


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


def _assign(
    who: Subject, order_id: int, staff_id: int, clock: FakeClock, override: bool
) -> Callable[[Session], object]:
    """A dispatcher's assignment by hand, as one job for `together` (returns the order id)."""
    return lambda s: service.assign(
        s, who, order_id, staff_id, now=clock.now, reason="elder asked",
        override_busy=override, settings=SETTINGS,
    ).id  # fmt: skip


def _untouched(factory: Factory, order_ids: list[int]) -> None:
    """The orders are as they were made: no caregiver, decision, timeline row or timer added."""
    with factory() as s:
        orders = s.scalars(select(ServiceOrder).where(ServiceOrder.id.in_(order_ids))).all()
        assert {(o.status, o.staff_id, o.planned_end_at, o.dispatch_attempts) for o in orders} == {
            ("priced", None, None, 0)
        }
        for model, column in (
            (DispatchDecision, DispatchDecision.order_id),
            (Timer, Timer.ref_id),
        ):
            assert not s.scalars(select(model).where(column.in_(order_ids))).all()
        events = s.scalars(select(OrderEvent.event).where(OrderEvent.order_id.in_(order_ids)))
        assert set(events) == {"create", "price"}


def _lock_missed(monkeypatch: pytest.MonkeyPatch, requests: int) -> None:
    """As if a code path forgot the staff lock: every request reads the empty day, then writes."""
    read_all = threading.Barrier(requests, timeout=30)
    real_fit = picking.fit_of

    def fit_then_wait(*args: Any, **kwargs: Any) -> Any:
        found = real_fit(*args, **kwargs)
        read_all.wait()
        return found

    monkeypatch.setattr(booking, "lock_staff", lambda session, staff_ids: None)
    monkeypatch.setattr(picking, "fit_of", fit_then_wait)


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

    results = together(pg, [_assign(admin, i, carer, clock, override) for i in ids])
    placed = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(placed) == 1, results
    assert len(refused) == 9 and all(e.status_code in (409, 422) for e in refused)
    assert overlapping_pairs(pg) == []
    _untouched(pg, [i for i in ids if i not in placed])
    if override:  # a visit on top of another: refused, naming the one in the way
        assert {type(e) for e in refused} == {DoubleBooked}
        assert {e.params["order"] for e in refused if isinstance(e, DoubleBooked)} == set(placed)


@pytest.mark.postgres_only
def test_when_a_lock_is_missed_the_database_refuses_the_overlap_and_nothing_is_kept(
    pg: Factory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pg() as s:
        d = make_district(s)
        carer = make_caregiver(s, d.f_a1).id
        _, admin = make_user(s, Role.DISTRICT_ADMIN)
        ids = [_priced(s, d, admin, clock) for _ in range(6)]
        s.commit()
    _lock_missed(monkeypatch, len(ids))
    results = together(pg, [_assign(admin, i, carer, clock, False) for i in ids])
    placed = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(placed) == 1 and len(refused) == 5, results
    assert {(e.status_code, e.code) for e in refused} <= CONSTRAINT_REFUSALS
    assert all("a moment ago" in e.message for e in refused if isinstance(e, DoubleBooked))
    assert overlapping_pairs(pg) == []
    _untouched(pg, [i for i in ids if i not in placed])


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
                decision = repository.current_decision(s, order_id)
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
    real_plan_day, plans = day_plan.plan_day, []

    def slow_plan_day(*args: Any, **kwargs: Any) -> Any:
        """The plan is made; new orders arrive before it is written (as in 11 s of planning)."""
        plan = real_plan_day(*args, **kwargs)
        plans.append(plan)
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
    assert len(plans) == 2  # the days it planned on changed: planned again, every one locked
    assert overlapping_pairs(pg) == []
    with pg() as s:
        busy = s.scalars(
            select(Staff.id).join(ServiceOrder, ServiceOrder.staff_id == Staff.id).distinct()
        ).all()
        assert len(busy) == 2


@pytest.mark.postgres_only
def test_a_day_plan_written_on_stale_days_is_refused_whole_by_the_database(
    pg: Factory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tomorrow = (clock.now.astimezone(CHINA_TZ) + timedelta(days=1)).replace(hour=8, minute=0)
    with pg() as s:
        d = make_district(s)
        far = make_caregiver(s, d.f_b1).id  # the only one when the order came
        _, operator = make_user(s, Role.OPERATOR)
        _, dispatcher = make_user(s, Role.DISTRICT_ADMIN)
        here, neighbour = make_elder(s, d.tree.comm_a1).id, make_elder(s, d.tree.comm_a1).id
        data = OrderCreate(
            elder_id=here, item_code="bath_home", window_start=tomorrow,
            window_end=tomorrow + timedelta(hours=3),
        )  # fmt: skip
        moved = service.submit_order(s, operator, data, now=clock.now, settings=SETTINGS)
        near = make_caregiver(s, d.f_a1).id  # the plan will give them the order
        s.commit()
        before = (moved.id, moved.staff_id, moved.planned_start_at)
    assert before[1] == far

    def written_as_planned(session: Session, day: Any, orders: Any, planned: Any, **_: Any) -> Any:
        """The neighbour's order lands on `near` meanwhile, and the days are not looked at again."""
        with pg() as other:
            nearby = data.model_copy(
                update={"elder_id": neighbour, "window_end": tomorrow + timedelta(minutes=90)}
            )
            placed = service.submit_order(other, operator, nearby, now=clock.now, settings=SETTINGS)
            assert placed.staff_id == near
            other.commit()
        return planned

    monkeypatch.setattr(day_plan, "_locked", written_as_planned)
    with pg() as s, pytest.raises(DoubleBooked):
        day_plan.apply(s, dispatcher, tomorrow.date(), now=clock.now, settings=SETTINGS)
    assert overlapping_pairs(pg) == []
    with pg() as s:
        again = s.get_one(ServiceOrder, before[0])
        assert (again.id, again.staff_id, again.planned_start_at) == before  # nothing changed


@pytest.mark.postgres_only
@pytest.mark.parametrize("lock", ["held", "missed"])
def test_concurrent_assign_requests_get_one_200_and_clear_409s(
    pg: Factory,
    clock: FakeClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    lock: str,
) -> None:
    with pg() as s:
        d = make_district(s)
        carer = make_caregiver(s, d.f_a1).id
        user, admin = make_user(s, Role.OPERATOR)
        ids = [_priced(s, d, admin, clock) for _ in range(6)]
        s.commit()
    if lock == "missed":
        _lock_missed(monkeypatch, len(ids))
    app = create_app(settings, engine=pg.kw["bind"], clock=clock)  # the real get_db
    body = {"staff_id": carer, "reason": "elder asked", "override_busy": True}
    with ExitStack() as stack:
        clients = [stack.enter_context(TestClient(app, base_url="http://127.0.0.1")) for _ in ids]
        headers = auth(clients[0], user.username) | {"Accept-Language": "en"}
        start = threading.Barrier(len(ids))
        answers: list[Any] = [None] * len(ids)

        def post(n: int) -> None:
            start.wait()
            answers[n] = clients[n].post(
                f"/api/v1/orders/{ids[n]}/assign", json=body, headers=headers
            )

        threads = [threading.Thread(target=post, args=(n,)) for n in range(len(ids))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert sorted(a.status_code for a in answers) == [200] + [409] * 5, [a.text for a in answers]
    placed = next(a.json()["id"] for a in answers if a.status_code == 200)
    errors = [a.json()["error"] for a in answers if a.status_code == 409]
    if lock == "held":  # refused before writing, naming the visit in the way
        assert {e["code"] for e in errors} == {"double_booked"}
        assert all(f"(order {placed}, elder 王**)" in e["message"] for e in errors)
    else:  # refused by the database, said as clearly
        assert {(409, e["code"]) for e in errors} <= CONSTRAINT_REFUSALS
        assert all("a moment ago" in e["message"] for e in errors if e["code"] == "double_booked")
    assert overlapping_pairs(pg) == []
    _untouched(pg, [i for i in ids if i != placed])


@pytest.mark.postgres_only
def test_an_overlap_that_reaches_the_web_layer_is_the_same_clear_409(
    pg: Factory, clock: FakeClock, settings: Settings
) -> None:
    with pg() as s:
        d = make_district(s)
        _, admin = make_user(s, Role.DISTRICT_ADMIN)
        one, two = make_caregiver(s, d.f_a1).id, make_caregiver(s, d.f_a1).id
        first, second = _priced(s, d, admin, clock), _priced(s, d, admin, clock)
        for order_id, staff_id in ((first, one), (second, two)):
            service.assign(
                s, admin, order_id, staff_id, now=clock.now, reason="x", settings=SETTINGS
            )
        s.commit()
    app = FastAPI()
    app.state.settings = settings
    install_error_handlers(app)

    @app.post("/api/v1/raw")
    def raw_write() -> None:
        """A write no domain code guards (what an edge sees if the constraint fires there)."""
        with pg() as s:
            s.execute(update(ServiceOrder).where(ServiceOrder.id == second).values(staff_id=one))
            s.commit()

    with TestClient(app, base_url="http://127.0.0.1") as client:
        answer = client.post("/api/v1/raw", headers={"Accept-Language": "zh-CN"})
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "double_booked"
    assert "刚刚已有他人" in answer.json()["error"]["message"]


def test_a_deadlock_or_serialization_failure_is_a_409_to_try_again(settings: Settings) -> None:
    deadlock = OperationalError("UPDATE service_order …", {}, DeadlockDetected("deadlock"))
    error = refusal(deadlock)
    assert error is not None and (error.status_code, error.code) == (409, "try_again")
    assert refusal(OperationalError("SELECT 1", {}, Exception("server closed"))) is None
    app = FastAPI()
    app.state.settings = settings
    install_error_handlers(app)

    @app.post("/api/v1/deadlock")
    def deadlocked() -> None:
        """What an edge sees when PostgreSQL breaks a deadlock by failing this request."""
        raise deadlock

    with TestClient(app, base_url="http://127.0.0.1") as client:
        answer = client.post("/api/v1/deadlock", headers={"Accept-Language": "en"})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "try_again"
    assert "nothing was saved" in answer.json()["error"]["message"]
