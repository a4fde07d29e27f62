"""Delivered visits to pay or not: the scene's order done well or badly, one in another street."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from tests.builders import INSIDE_2, make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import make_caregiver, window
from tests.visits.scene import POLICY, SECRET, SETTINGS, Scene, accept, gps, metres_north
from yiyang.dispatch import service as dispatch_service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.security.roles import Role
from yiyang.security.subject import Subject
from yiyang.visits import service
from yiyang.visits.schemas import CheckOut


def deliver(
    db: Session,
    order: ServiceOrder,
    carer: Subject,
    clock: FakeClock,
    *,
    early: timedelta = timedelta(minutes=-1),
    minutes: int = 60,
    metres_away: float = 0,
    short_reason: str | None = None,
) -> ServiceOrder:
    """Check in `early` before the window (negative: after) and out `minutes` later."""
    home = (order.elder.lat, order.elder.lon)
    clock.now = order.window_start_at - early
    point = metres_north(home, metres_away) if metres_away else home
    service.check_in(
        db, carer, order.id, gps(point), now=clock.now, secret_key=SECRET, policy=POLICY
    )
    clock.advance(minutes=minutes)
    data = CheckOut(method="gps", position=gps(point).position, short_reason=short_reason)
    service.check_out(db, carer, order.id, data, now=clock.now, secret_key=SECRET, policy=POLICY)
    return order


def bad_visit(db: Session, scene: Scene, clock: FakeClock) -> ServiceOrder:
    """The scene's bath: 3 h early, 1,016 m outside the fence, 1 minute ('tasks done')."""
    return deliver(
        db, scene.order, scene.carer, clock, early=timedelta(hours=3), minutes=1,
        metres_away=1016, short_reason="tasks_done",
    )  # fmt: skip


@dataclass
class StreetB:
    """A delivered, clean visit in street b by provider 3, and who runs it."""

    order: ServiceOrder
    provider_admin: Subject
    carer: Subject


def street_b_visit(db: Session, scene: Scene, clock: FakeClock, minutes: int = 60) -> StreetB:
    """A bath in street b, done well by provider 3's caregiver (`minutes` long)."""
    elder_b = make_elder(
        db, scene.d.tree.comm_b1, name="赵凤英", phone="13800005678", lat_lon=INSIDE_2
    )
    cg = make_caregiver(db, scene.d.f_b1, name="孙敏")
    _, prov = make_user(db, Role.PROVIDER_ADMIN, provider=scene.d.p3)
    _, carer = make_user(db, Role.CAREGIVER, provider=scene.d.p3, staff_id=cg.id)
    start, end = window(clock.now, hours=3)
    data = OrderCreate(
        elder_id=elder_b.id, item_code="bath_home", window_start=start, window_end=end
    )
    order = dispatch_service.submit_order(
        db, scene.operator, data, now=clock.now, settings=SETTINGS
    )
    accept(db, order, prov, carer, clock.now)
    deliver(db, order, carer, clock, minutes=minutes)
    return StreetB(order, prov, carer)
