"""Builders for browser-test worlds: orders placed, assigned and carried along the visit."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_facility, make_staff
from yiyang.config import Settings
from yiyang.dispatch import service as dispatch_service
from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff
from yiyang.security.subject import Subject
from yiyang.visits import service as visit_service
from yiyang.visits.schemas import CheckIn, CheckOut, OfferAnswer, Position

SETTINGS = Settings(secret_key="browser-secret", district_code="410105")  # as the live app
ALL_WEEK = {d: ["06:00", "22:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def seeded_provider(s: Session, name: str = "颐康养老服务有限公司") -> Provider:
    """A provider the browser seed made."""
    provider = s.scalar(select(Provider).where(Provider.name == name))
    assert provider is not None, name
    return provider


def centre_near(s: Session, provider: Provider, elder: Elder, name: str) -> Facility:
    """A community facility of the provider a few hundred metres from the elder."""
    street, community = s.get_one(Area, elder.street_id), s.get_one(Area, elder.community_id)
    return make_facility(
        s, street, community=community, provider=provider, name=name,
        lat_lon=(elder.lat + 0.002, elder.lon + 0.002),
    )  # fmt: skip


def caregiver(
    s: Session, provider: Provider, centre: Facility, name: str, phone: str, skill: str
) -> Staff:
    """A caregiver based at the centre who works every day and has one skill."""
    staff = make_staff(s, provider, facility=centre, name=name, phone=phone, skills=((skill, 4),))
    staff.working_pattern = ALL_WEEK
    return staff


def place(
    s: Session, operator: Subject, elder: Elder, item_code: str, day: object, hour: int,
    *, now: datetime,
) -> int:  # fmt: skip
    """A two-hour phone order from `hour` on `day`, dispatched automatically; its id."""
    start = datetime.combine(day, time(hour), CHINA_TZ)  # type: ignore[arg-type]
    data = OrderCreate(
        elder_id=elder.id, item_code=item_code, channel="phone",
        window_start=start, window_end=start + timedelta(hours=2),
    )  # fmt: skip
    return dispatch_service.submit_order(s, operator, data, now=now, settings=SETTINGS).id


def carry(
    s: Session, operator: Subject, carer: Subject, order_id: int, staff_id: int, elder: Elder,
    *, upto: str, now: datetime,
) -> None:  # fmt: skip
    """Take an order along the visit up to `upto`: assigned, accepted, checked_in, completed."""
    steps = ("assigned", "accepted", "checked_in", "completed")
    reach = steps.index(upto)
    dispatch_service.assign(
        s, operator, order_id, staff_id, now=now, reason="regular caregiver", settings=SETTINGS
    )
    if reach >= 1:
        answer = OfferAnswer(accept=True)
        visit_service.answer_offer(s, carer, order_id, answer, now=now, settings=SETTINGS)
    policy, here = visit_service.policy_from(SETTINGS), Position(lat=elder.lat, lon=elder.lon)
    if reach >= 2:
        visit_service.depart(s, carer, order_id, now=now)
        visit_service.check_in(
            s, carer, order_id, CheckIn(position=here), now=now,
            secret_key=SETTINGS.secret_key, policy=policy,
        )  # fmt: skip
    if reach >= 3:
        visit_service.check_out(
            s, carer, order_id, CheckOut(position=here, short_reason="tasks_done"), now=now,
            secret_key=SETTINGS.secret_key, policy=policy,
        )  # fmt: skip
