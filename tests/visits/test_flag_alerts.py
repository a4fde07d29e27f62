"""Early arrivals and short visits raise supervision alerts, like the geofence alert."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import FakeClock
from tests.visits.scene import POLICY, SECRET, gps, home, make_scene
from yiyang.visits import service
from yiyang.visits.models import Alert
from yiyang.visits.schemas import CheckOut


def _kinds(db: Session, order_id: int) -> dict[str, Alert]:
    return {a.kind: a for a in db.scalars(select(Alert).where(Alert.order_id == order_id))}


def test_early_check_in_raises_an_early_alert(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    order = scene.order
    clock.now = order.window_start_at - timedelta(minutes=90)
    service.check_in(
        db, scene.carer, order.id, gps(home(scene)), now=clock.now, secret_key=SECRET,
        policy=POLICY,
    )  # fmt: skip
    alert = _kinds(db, order.id)["early"]
    assert alert.detail["minutes_early"] == 90
    read = service.read_visit(db, scene.provider_admin, order.id, now=clock.now)
    assert read.punctuality == "early"


def test_on_time_check_in_raises_none(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    clock.now = scene.order.window_start_at - timedelta(minutes=10)
    service.check_in(
        db, scene.carer, scene.order.id, gps(home(scene)), now=clock.now, secret_key=SECRET,
        policy=POLICY,
    )  # fmt: skip
    assert "early" not in _kinds(db, scene.order.id)


def test_a_short_visit_raises_a_short_alert_even_with_a_reason(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    order = scene.order
    clock.now = order.window_start_at
    service.check_in(
        db, scene.carer, order.id, gps(home(scene)), now=clock.now, secret_key=SECRET,
        policy=POLICY,
    )  # fmt: skip
    clock.advance(minutes=5)
    data = CheckOut(method="gps", position=gps(home(scene)).position, short_reason="tasks_done")
    service.check_out(
        db, scene.carer, order.id, data, now=clock.now, secret_key=SECRET, policy=POLICY
    )
    alert = _kinds(db, order.id)["short"]
    assert alert.detail["minutes"] == 5 and alert.detail["short_reason"] == "tasks_done"
    assert alert.detail["standard_minutes"] == order.standard_minutes


def test_before_the_window_a_visit_is_upcoming_not_on_time(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    read = service.read_visit(db, scene.provider_admin, scene.order.id, now=clock.now)
    assert read.punctuality == "upcoming"
