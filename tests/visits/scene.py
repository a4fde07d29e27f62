"""A visit ready to happen: a district, a caregiver who accepted an order, and its people."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from tests.builders import INSIDE_2, make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, make_caregiver, make_district, window
from yiyang.config import Settings
from yiyang.dispatch import service as dispatch_service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.subject import Subject
from yiyang.visits import alerts, service
from yiyang.visits.models import Alert
from yiyang.visits.schemas import CheckIn, Position

SETTINGS = Settings(secret_key="test-secret")
POLICY = service.policy_from(SETTINGS)
SECRET = "test-secret"


@dataclass
class Scene:
    """Everything a visit test needs."""

    d: District
    caregiver: Staff
    carer_user: UserAccount
    carer: Subject
    provider_admin: Subject
    operator: Subject
    order: ServiceOrder


def metres_north(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """A point `metres` due north of another."""
    return point[0] + metres / (6_371_008.8 * math.pi / 180), point[1]


def home(scene: Scene) -> tuple[float, float]:
    """The elder's home."""
    return scene.d.elder.lat, scene.d.elder.lon


def gps(point: tuple[float, float], accuracy: float = 10) -> CheckIn:
    """A GPS check-in at a point."""
    return CheckIn(method="gps", position=Position(lat=point[0], lon=point[1], accuracy_m=accuracy))


def place_order(
    db: Session, scene_d: District, clock: FakeClock, operator: Subject, hours: float = 2
) -> ServiceOrder:
    """An order submitted by the call centre and placed by automatic dispatch."""
    start, end = window(clock.now, hours=hours)
    data = OrderCreate(
        elder_id=scene_d.elder.id, item_code="bath_home", window_start=start, window_end=end
    )
    return dispatch_service.submit_order(db, operator, data, now=clock.now, settings=SETTINGS)


def accept(
    db: Session, order: ServiceOrder, provider_admin: Subject, carer: Subject, now: datetime
) -> None:
    """The organisation passes the order on and the caregiver accepts it."""
    from yiyang.visits.schemas import OfferAnswer

    dispatch_service.act(db, provider_admin, order.id, "org_accept", now=now, settings=SETTINGS)
    service.answer_offer(db, carer, order.id, OfferAnswer(accept=True), now=now, settings=SETTINGS)


def make_scene(db: Session, clock: FakeClock, *, spare: bool = False) -> Scene:
    """An order accepted by a caregiver of provider 1; `spare` adds a second caregiver nearby."""
    d = make_district(db)
    cg = make_caregiver(db, d.f_a1, name="李娟")
    if spare:
        make_caregiver(db, d.f_a2, name="赵敏")
    _, op = make_user(db, Role.OPERATOR)
    _, prov = make_user(db, Role.PROVIDER_ADMIN, provider=d.p1)
    user, carer = make_user(db, Role.CAREGIVER, provider=d.p1, staff_id=cg.id)
    order = place_order(db, d, clock, op)
    assert order.staff_id == cg.id, "dispatch should pick the caregiver in the elder's community"
    accept(db, order, prov, carer, clock.now)
    return Scene(d, cg, user, carer, prov, op, order)


def factory_on(db: Session) -> sessionmaker[Session]:
    """Sessions on the test's connection whose commits are savepoints (rolled back after)."""
    return sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def deliver(
    db: Session, scene: Scene, order: ServiceOrder, carer: Subject, clock: FakeClock
) -> None:
    """Check in at the planned start and out an hour later, at the elder's door."""
    from yiyang.visits.schemas import CheckOut

    clock.now = (order.planned_start_at or order.window_start_at) + timedelta(minutes=1)
    service.check_in(
        db, carer, order.id, gps(home(scene)), now=clock.now, secret_key=SECRET, policy=POLICY
    )
    clock.advance(minutes=60)
    service.check_out(
        db, carer, order.id, CheckOut(position=gps(home(scene)).position), now=clock.now,
        secret_key=SECRET, policy=POLICY,
    )  # fmt: skip


@dataclass
class TwoStreets:
    """The scene's order (street a, provider 1) and one in street b (provider 3), each alerted."""

    scene: Scene
    order_b: ServiceOrder
    alert_a: Alert
    alert_b: Alert


def make_two_streets(db: Session, clock: FakeClock) -> TwoStreets:
    """A late alert on the scene's order and a no-show alert on an order in the other street."""
    scene = make_scene(db, clock)
    elder_b = make_elder(
        db, scene.d.tree.comm_b1, name="赵凤英", phone="13800005678", lat_lon=INSIDE_2
    )
    make_caregiver(db, scene.d.f_b1, name="孙敏")
    start, end = window(clock.now, hours=3)
    data = OrderCreate(
        elder_id=elder_b.id, item_code="bath_home", window_start=start, window_end=end
    )
    order_b = dispatch_service.submit_order(
        db, scene.operator, data, now=clock.now, settings=SETTINGS
    )
    assert order_b.provider_id == scene.d.p3.id
    late = alerts.raise_alert(db, scene.order, "late", now=clock.now, detail={"minutes_late": 15})
    clock.advance(minutes=5)
    gone = alerts.raise_alert(db, order_b, "no_show", now=clock.now, detail={"minutes_late": 30})
    return TwoStreets(scene, order_b, late, gone)
