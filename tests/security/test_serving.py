"""Relations that change with an order: serving the elder now, and a caregiver coming.

The elder's phone is the provider's from its acceptance and the caregiver's on the day of a
visit they accepted, both until check-out; the elder and family learn who is coming once a
caregiver has accepted, and never whom dispatch only proposed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.orders.builders import make_caregiver, make_district
from tests.visits.scene import SETTINGS, Scene, accept, deliver, make_scene, place_order
from yiyang.dispatch import service as dispatch_service
from yiyang.kit.pagination import PageParams
from yiyang.orders import service as order_service
from yiyang.orders.schemas import OrderFilter
from yiyang.security.roles import Role
from yiyang.visits import service as visit_service
from yiyang.visits.schemas import OfferAnswer

FULL, MASKED = "13800001234", "138****1234"


def test_caregiver_sees_the_phone_on_the_day_of_an_accepted_visit_until_check_out(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    today = scene.order.service_date
    [item] = visit_service.my_day(db, scene.carer, today, now=clock.now)
    assert item.elder_phone == FULL
    tomorrow = place_order(db, scene.d, clock, scene.operator, hours=24)
    accept(db, tomorrow, scene.provider_admin, scene.carer, clock.now)
    [later] = visit_service.my_day(db, scene.carer, tomorrow.service_date, now=clock.now)
    assert later.elder_phone == MASKED  # accepted, but not today
    deliver(db, scene, scene.order, scene.carer, clock)
    done = visit_service.read_visit(db, scene.carer, scene.order.id, now=clock.now)
    assert done.elder_phone == MASKED  # checked out: no more need to call


def test_caregiver_does_not_see_the_phone_of_an_offer_not_yet_accepted(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    offer = place_order(db, scene.d, clock, scene.operator, hours=5)
    dispatch_service.act(
        db, scene.provider_admin, offer.id, "org_accept", now=clock.now, settings=SETTINGS
    )
    assert offer.status == "assigned"
    seen = visit_service.read_visit(db, scene.carer, offer.id, now=clock.now)
    assert seen.elder_phone == MASKED
    visit_service.answer_offer(
        db, scene.carer, offer.id, OfferAnswer(accept=True), now=clock.now, settings=SETTINGS
    )
    assert visit_service.read_visit(db, scene.carer, offer.id, now=clock.now).elder_phone == FULL


def test_provider_sees_the_phone_from_its_acceptance_until_check_out(
    db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    carer_staff = make_caregiver(db, d.f_a1)
    _, op = make_user(db, Role.OPERATOR)
    _, prov = make_user(db, Role.PROVIDER_ADMIN, provider=d.p1)
    carer_user, carer = make_user(db, Role.CAREGIVER, provider=d.p1, staff_id=carer_staff.id)
    order = place_order(db, d, clock, op)
    assert order.status == "offered"
    assert visit_service.read_visit(db, prov, order.id, now=clock.now).elder_phone == MASKED
    accept(db, order, prov, carer, clock.now)
    assert visit_service.read_visit(db, prov, order.id, now=clock.now).elder_phone == FULL
    deliver(db, Scene(d, carer_staff, carer_user, carer, prov, op, order), order, carer, clock)
    assert visit_service.read_visit(db, prov, order.id, now=clock.now).elder_phone == MASKED


def test_family_learns_who_is_coming_only_once_a_caregiver_accepts(
    db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    carer_staff = make_caregiver(db, d.f_a1, name="李娟")
    _, op = make_user(db, Role.OPERATOR)
    _, prov = make_user(db, Role.PROVIDER_ADMIN, provider=d.p1)
    _, carer = make_user(db, Role.CAREGIVER, provider=d.p1, staff_id=carer_staff.id)
    _, family = make_user(db, Role.FAMILY, elder=d.elder)
    order = place_order(db, d, clock, op)

    def seen() -> tuple[object, ...]:
        [row] = order_service.list_orders(db, family, OrderFilter(), PageParams()).items
        visit = visit_service.read_visit(db, family, order.id, now=clock.now)
        return row.staff_id, row.staff_name, row.facility_name, row.provider_name, visit.staff_name

    assert order.staff_id == carer_staff.id  # proposed to the provider
    assert seen() == (None, None, None, None, None)
    dispatch_service.act(db, prov, order.id, "org_accept", now=clock.now, settings=SETTINGS)
    assert seen() == (None, None, None, None, None)  # offered to the caregiver, not accepted
    visit_service.answer_offer(
        db, carer, order.id, OfferAnswer(accept=True), now=clock.now, settings=SETTINGS
    )
    assert seen() == (carer_staff.id, "李娟", d.f_a1.name, d.p1.name, "李娟")
