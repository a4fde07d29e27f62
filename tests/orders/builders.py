"""Builders for order and dispatch tests: a catalog item with prices, a small served district."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import Tree, make_elder, make_provider, make_tree
from yiyang.orders.models import SubsidyPolicy
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceCategory, ServiceItem, ServicePrice
from yiyang.registry.elders.models import Elder
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff, StaffSkill

_seq = itertools.count(1)
WEEKDAYS_9_TO_5 = {d: ["08:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def make_item(
    session: Session,
    code: str = "bath_home",
    *,
    price_fen: int = 5000,
    minutes: int = 60,
    skills: tuple[str, ...] = ("bathing",),
    purchasable: bool = True,
    effective: date = date(2026, 1, 1),
    home_visit: bool = True,
    active: bool = True,
) -> ServiceItem:
    """A service item with one price version."""
    cat = session.scalar(select(ServiceCategory).where(ServiceCategory.code == "daily_living"))
    if cat is None:
        cat = ServiceCategory(code="daily_living", name_zh="生活照料", name_en="Daily living")
        session.add(cat)
        session.flush()
    item = ServiceItem(
        code=code, category_id=cat.id, name_zh=code, name_en=code,
        required_skills=list(skills), government_purchasable=purchasable, home_visit=home_visit,
        active=active,
    )  # fmt: skip
    session.add(item)
    session.flush()
    add_price(session, item, effective, price_fen, minutes)
    return item


def add_price(
    session: Session, item: ServiceItem, effective: date, price_fen: int, minutes: int
) -> ServicePrice:
    """A new price version of an item."""
    price = ServicePrice(
        item_id=item.id, effective_date=effective, price_fen=price_fen, standard_minutes=minutes
    )
    session.add(price)
    session.flush()
    return price


def make_facility(
    session: Session, community: Area, provider: Provider, lat_lon: tuple[float, float]
) -> Facility:
    """A day-care centre in a community, run by a provider."""
    n = next(_seq)
    f = Facility(
        code=f"F{n:05d}", name=f"centre {n}", kind="day_care_centre",
        street_id=community.parent_id, community_id=community.id, provider_id=provider.id,
        address="x", lat=lat_lon[0], lon=lat_lon[1],
    )  # fmt: skip
    session.add(f)
    session.flush()
    return f


def make_caregiver(
    session: Session,
    facility: Facility,
    *,
    skills: dict[str, int] | None = None,
    pattern: dict[str, list[str]] | None = None,
    name: str | None = None,
) -> Staff:
    """An active caregiver working from a facility."""
    n = next(_seq)
    s = Staff(
        code=f"S{n:05d}", name=name or f"caregiver {n}", sex="F", phone="13500000000",
        provider_id=facility.provider_id, facility_id=facility.id, roles=["caregiver"],
        travel_mode="ebike", working_pattern=pattern if pattern is not None else WEEKDAYS_9_TO_5,
        status="active",
    )  # fmt: skip
    s.skills = [StaffSkill(skill=k, level=v) for k, v in (skills or {"bathing": 3}).items()]
    session.add(s)
    session.flush()
    return s


@dataclass
class District:
    """Two streets; each of three providers runs one centre; one elder in community a1."""

    tree: Tree
    p1: Provider
    p2: Provider
    p3: Provider
    f_a1: Facility  # in the elder's community
    f_a2: Facility  # same street, other community
    f_b1: Facility  # other street
    elder: Elder
    item: ServiceItem


def make_district(session: Session) -> District:
    """The small district most order and dispatch tests use (no caregivers yet)."""
    tree = make_tree(session)
    p1, p2, p3 = (make_provider(session, f"provider {i}") for i in (1, 2, 3))
    return District(
        tree, p1, p2, p3,
        make_facility(session, tree.comm_a1, p1, (34.8010, 113.6725)),
        make_facility(session, tree.comm_a2, p2, (34.8050, 113.6800)),
        make_facility(session, tree.comm_b1, p3, (34.7800, 113.7300)),
        make_elder(session, tree.comm_a1, born=date(1940, 1, 1)),
        make_item(session),
    )  # fmt: skip


def window(now: datetime, hours: float = 2, length_min: int = 120) -> tuple[datetime, datetime]:
    """A window starting `hours` from now."""
    start = now + timedelta(hours=hours)
    return start, start + timedelta(minutes=length_min)


def make_policy(session: Session, **kw: object) -> SubsidyPolicy:
    """A subsidy policy version (defaults: everyone, all purchasable items, 100 %)."""
    values: dict[str, object] = {
        "code": "p", "name": "policy", "effective_date": date(2026, 1, 1), "eligibility": [],
        "item_codes": [], "share_percent": 100,
    }  # fmt: skip
    values.update(kw)
    p = SubsidyPolicy(**values)
    session.add(p)
    session.flush()
    return p
