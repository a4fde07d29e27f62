"""A small district in which every role has an account and an order went through two providers.

Provider 2's caregiver 王芳 lives nearest and is offered the order first; provider 2 refuses
(its reason names her), dispatch offers it to provider 1's 李娟, who accepts. The order is
today's, so 李娟 is serving the elder now; a late alert is open on it. Every person's phone
and ID number is distinct, so a test can tell full, masked and hidden values apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user, new_id_number
from tests.conftest import FakeClock
from tests.orders.builders import District, make_caregiver, make_district, make_facility, window
from tests.visits.scene import SETTINGS, accept
from yiyang.dispatch import service as dispatch_service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.elders.models import Elder
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.service import subject_for
from yiyang.security.subject import Subject
from yiyang.visits import alerts

OTHER_PROVIDER_ADMIN = "other_provider_admin"
# Every account of the world: one per role, and the administrator of the provider that refused.
ACCOUNTS = (*(r.value for r in Role), OTHER_PROVIDER_ADMIN)
OTHER_NAME = "王芳"  # provider 2's caregiver, weighed and first offered
CARER_NAME = "李娟"  # provider 1's caregiver, who accepted
REFUSAL = "王芳今天请假"  # provider 2's reason, naming its caregiver
USER_PHONE = "13055550000"  # on every account; no response may ever carry it
CONTACT_PHONE = "13900005678"  # the emergency contact tests.builders.make_elder records
# The test password hashed with the cheapest argon2 settings: twelve logins per test stay fast.
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


FULL, MASKED, HIDDEN = "full", "masked", "hidden"
_EVERYTHING = (200, FULL, FULL, FULL, FULL)
_CALLER = (200, MASKED, HIDDEN, FULL, FULL)
# What each account sees of the elder's record, in the API and on the page: the status, then
# the ID number, the birth date, the phone and the emergency contact's phone.
ELDER_RECORD_SEEN: dict[str, tuple[object, ...]] = {
    "district_admin": _EVERYTHING,
    "street_admin": _EVERYTHING,
    "community_staff": _EVERYTHING,
    "provider_admin": (403,),
    "caregiver": (403,),
    "operator": _CALLER,
    "supervisor": _CALLER,
    "assessor": _EVERYTHING,
    "elder": (403,),
    "family": (403,),
    "auditor": (200, MASKED, HIDDEN, MASKED, MASKED),
    OTHER_PROVIDER_ADMIN: (403,),
}
# What each account sees of 李娟's staff record: the status, then her phone and ID number.
STAFF_SEEN: dict[str, tuple[object, ...]] = {
    "district_admin": (200, FULL, FULL),
    "street_admin": (200, FULL, MASKED),
    "community_staff": (403,),
    "provider_admin": (200, FULL, FULL),
    "caregiver": (200, FULL, FULL),  # the caregiver's own record
    "operator": (200, FULL, MASKED),
    "supervisor": (200, FULL, MASKED),
    "assessor": (403,),
    "elder": (403,),
    "family": (403,),
    "auditor": (200, MASKED, MASKED),
    OTHER_PROVIDER_ADMIN: (404,),
}


@dataclass
class World:
    """The district, its people and the order that went through two providers."""

    d: District
    elder: Elder
    carer: Staff
    other: Staff
    order: ServiceOrder
    users: dict[str, UserAccount]
    subjects: dict[str, Subject]


def _accounts(db: Session, d: District, carer: Staff) -> dict[str, UserAccount]:
    tree = d.tree
    bindings: dict[str, dict[str, object]] = {
        Role.STREET_ADMIN.value: {"area": tree.street_a},
        Role.COMMUNITY_STAFF.value: {"area": tree.comm_a1},
        Role.PROVIDER_ADMIN.value: {"provider": d.p1},
        Role.CAREGIVER.value: {"provider": d.p1, "staff_id": carer.id},
        Role.ELDER.value: {"elder": d.elder},
        Role.FAMILY.value: {"elder": d.elder},
        OTHER_PROVIDER_ADMIN: {"provider": d.p2},
    }
    users = {}
    for key in ACCOUNTS:
        role = Role.PROVIDER_ADMIN if key == OTHER_PROVIDER_ADMIN else Role(key)
        user, _ = make_user(db, role, **bindings.get(key, {}))  # type: ignore[arg-type]
        user.display_name = f"{key} 账号"
        user.password_hash = CHEAP_HASH
        user.phone = USER_PHONE
        users[key] = user
    db.flush()
    return users


def make_world(db: Session, clock: FakeClock) -> World:
    """Build the world; the order ends accepted by 李娟 with a late alert open."""
    d = make_district(db)
    nearer = make_facility(db, d.tree.comm_a1, d.p2, (34.8006, 113.6721))
    other = make_caregiver(db, nearer, name=OTHER_NAME)
    carer = make_caregiver(db, d.f_a1, name=CARER_NAME)
    for staff, phone, born in ((other, "13511112222", 1982), (carer, "13533334444", 1985)):
        staff.phone, staff.id_number = phone, new_id_number(date(born, 6, 1))
    db.flush()
    users = _accounts(db, d, carer)
    subjects = {key: subject_for(user) for key, user in users.items()}
    start, end = window(clock.now, hours=2)
    order = dispatch_service.submit_order(
        db,
        subjects[Role.OPERATOR.value],
        OrderCreate(elder_id=d.elder.id, item_code="bath_home", window_start=start, window_end=end),
        now=clock.now,
        settings=SETTINGS,
    )
    assert order.staff_id == other.id, "the nearer caregiver of provider 2 is offered first"
    dispatch_service.act(
        db, subjects[OTHER_PROVIDER_ADMIN], order.id, "org_refuse", now=clock.now,
        reason=REFUSAL, settings=SETTINGS,
    )  # fmt: skip
    assert order.staff_id == carer.id, "after the refusal provider 1's caregiver is offered"
    accept(
        db, order, subjects[Role.PROVIDER_ADMIN.value], subjects[Role.CAREGIVER.value], clock.now
    )
    alerts.raise_alert(db, order, "late", now=clock.now, detail={"minutes_late": 15})
    db.flush()
    return World(d, d.elder, carer, other, order, users, subjects)


def api_headers(client: TestClient, world: World) -> dict[str, dict[str, str]]:
    """A bearer token header for every account of the world."""
    headers = {}
    for key, user in world.users.items():
        resp = client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}
        )
        assert resp.status_code == 200, resp.text
        headers[key] = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    return headers
