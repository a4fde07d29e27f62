"""Demo orders go through pricing and automatic dispatch like any other order."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import FakeClock
from tests.orders.builders import make_caregiver, make_district
from yiyang.config import Settings
from yiyang.demo.day import seed_orders
from yiyang.kit.localtime import local_today
from yiyang.orders.models import ServiceOrder


def test_a_day_of_orders_is_placed_for_tomorrow_and_dispatched(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    d = make_district(db)
    make_caregiver(db, d.f_a1)
    make_caregiver(db, d.f_a2)
    made = seed_orders(db, now=clock.now, count=6, settings=settings)
    orders = db.scalars(select(ServiceOrder)).all()
    assert made == len(orders) == 6
    assert {o.service_date for o in orders} == {local_today(clock.now) + timedelta(days=1)}
    assert {o.status for o in orders} <= {"offered", "queued", "caregiver_accepted"}
    assert any(o.status == "caregiver_accepted" for o in orders)
    again = seed_orders(db, now=clock.now, count=6, settings=settings)
    assert again == 6  # the same keys again: no new orders
    assert len(db.scalars(select(ServiceOrder)).all()) == 6
