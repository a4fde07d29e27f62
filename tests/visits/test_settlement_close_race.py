"""Two administrators close the same settlement at once, on two connections: it closes once."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.visits.pay_scene import street_b_visit
from tests.visits.scene import POLICY, make_scene
from yiyang.errors import Conflict
from yiyang.orders.models import OrderEvent
from yiyang.security.roles import Role
from yiyang.visits.payment import settlements
from yiyang.visits.payment.schemas import RunCreate


def test_closing_twice_at_once_closes_once(own_engine: Engine, clock: FakeClock) -> None:
    with Session(own_engine, expire_on_commit=False) as db:
        scene = make_scene(db, clock)
        order = street_b_visit(db, scene, clock).order
        _, first = make_user(db, Role.DISTRICT_ADMIN)
        _, second = make_user(db, Role.DISTRICT_ADMIN)
        [run] = settlements.create_runs(
            db, first, RunCreate(month="2026-11", provider_id=scene.d.p3.id), now=clock.now,
            policy=POLICY,
        )  # fmt: skip
        settlements.act(db, first, run.id, "review", now=clock.now, policy=POLICY)
        db.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close(who) -> None:  # type: ignore[no-untyped-def]
        with Session(own_engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                settlements.act(session, who, run.id, "close", now=clock.now, policy=POLICY)
                session.commit()
                outcomes.append("closed")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=close, args=(w,)) for w in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["closed", "conflict"]
    with Session(own_engine) as db:
        settles = db.scalar(
            select(func.count(OrderEvent.id)).where(
                OrderEvent.order_id == order.id, OrderEvent.event == "settle"
            )
        )
        assert settles == 1
