"""Two concurrent dispatches of the same order on PostgreSQL: exactly one places it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, select

import yiyang.dispatch.tasks  # noqa: F401
from tests.builders import make_user
from tests.conftest import FakeClock
from tests.orders.builders import make_caregiver, make_district, window
from yiyang.config import Settings
from yiyang.db import make_session_factory
from yiyang.dispatch import service
from yiyang.dispatch.models import DispatchDecision
from yiyang.orders import repository as order_repository
from yiyang.orders import service as order_service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.security.roles import Role

pytestmark = pytest.mark.postgres_only
SETTINGS = Settings(secret_key="x")


@pytest.fixture
def pg(engine: Engine) -> Iterator[Engine]:
    """The engine, on PostgreSQL only (SQLite serialises writers; row locks are the point)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks across connections are tested on PostgreSQL only")
    yield engine


def test_two_concurrent_dispatches_assign_once(pg: Engine, clock: FakeClock) -> None:
    factory = make_session_factory(pg)
    with factory() as s:
        d = make_district(s)
        make_caregiver(s, d.f_a1)
        make_caregiver(s, d.f_a2)
        _, op = make_user(s, Role.OPERATOR)
        start, end = window(clock.now)
        order, _ = order_service.create_order(
            s, op,
            OrderCreate(elder_id=d.elder.id, item_code="bath_home", window_start=start,
                        window_end=end),
            now=clock.now, settings=SETTINGS,
        )  # fmt: skip
        s.commit()
        order_id = order.id
    barrier = threading.Barrier(2)
    results: list[str] = []

    def run() -> None:
        with factory() as s:
            barrier.wait()
            try:
                service.dispatch(s, order_id, now=clock.now, settings=SETTINGS)
                s.commit()
                results.append("placed")
            except service.AlreadyDispatched:
                s.rollback()
                results.append("refused")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    try:
        assert sorted(results) == ["placed", "refused"]
        with factory() as s:
            decisions = s.scalars(
                select(DispatchDecision).where(DispatchDecision.order_id == order_id)
            ).all()
            assert len(decisions) == 1
            placed = s.get_one(ServiceOrder, order_id)
            assert placed.status == "offered" and placed.dispatch_attempts == 1
            events = [e.event for e in order_repository.timeline(s, order_id)]
            assert events.count("offer") == 1
    finally:
        _clean(factory, clock)


def _clean(factory, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """This test commits: remove what it made so other tests see an empty district."""
    from yiyang.jobs.models import Timer
    from yiyang.orders.models import OrderEvent
    from yiyang.registry.areas.models import Area
    from yiyang.registry.catalog.models import ServiceCategory, ServiceItem, ServicePrice
    from yiyang.registry.elders.models import Elder
    from yiyang.registry.facilities.models import Facility
    from yiyang.registry.providers.models import Provider
    from yiyang.registry.staff.models import Staff, StaffSkill
    from yiyang.security.models import UserAccount

    _ = timedelta
    with factory() as s:
        for model in (
            Timer, DispatchDecision, OrderEvent, ServiceOrder, StaffSkill, Staff, UserAccount,
            Facility, Provider, ServicePrice, ServiceItem, ServiceCategory, Elder, Area,
        ):  # fmt: skip
            s.execute(delete(model))
        s.commit()
