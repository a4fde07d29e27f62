"""Small builders of test data, one call per thing a test needs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.kit.idcard import make_id_number
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceCategory, ServiceItem, ServicePrice
from yiyang.registry.elders.models import Elder, ElderContact, ElderGroup
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff, StaffSkill
from yiyang.security.models import FamilyLink, UserAccount
from yiyang.security.passwords import hash_password
from yiyang.security.roles import Role
from yiyang.security.service import subject_for
from yiyang.security.subject import Subject

_seq = itertools.count(1)
PASSWORD = "test-pass-2026"
_HASH = hash_password(PASSWORD)

# Points well inside Jinshui (WGS-84).
INSIDE = (34.8005, 113.6720)
INSIDE_2 = (34.7800, 113.7300)
OUTSIDE = (34.6000, 113.4000)


@dataclass
class Tree:
    """A district with two streets of two communities each."""

    district: Area
    street_a: Area
    street_b: Area
    comm_a1: Area
    comm_a2: Area
    comm_b1: Area
    comm_b2: Area


def make_area(session: Session, code: str, name: str, level: str, parent: Area | None) -> Area:
    """One area (reused when the code exists)."""
    found = session.scalar(select(Area).where(Area.code == code))
    if found:
        return found
    area = Area(code=code, name=name, level=level, parent_id=parent.id if parent else None)
    session.add(area)
    session.flush()
    return area


def make_tree(session: Session) -> Tree:
    """The standard small district used by most tests."""
    d = make_area(session, "410105", "金水区", "district", None)
    sa = make_area(session, "410105011", "北林路街道", "street", d)
    sb = make_area(session, "410105019", "丰庆路街道", "street", d)
    return Tree(
        d, sa, sb,
        make_area(session, "410105011001", "文雅社区", "community", sa),
        make_area(session, "410105011002", "北林社区", "community", sa),
        make_area(session, "410105019001", "四月天社区", "community", sb),
        make_area(session, "410105019002", "杲村社区", "community", sb),
    )  # fmt: skip


def new_id_number(born: date = date(1945, 3, 8), sex: str = "F") -> str:
    """A fresh valid ID number."""
    return make_id_number("410105", born, next(_seq) * 2 + 1, sex)


def make_elder(
    session: Session,
    community: Area,
    *,
    name: str = "王秀英",
    born: date = date(1945, 3, 8),
    sex: str = "F",
    phone: str | None = "13800001234",
    living_situation: str = "alone",
    groups: tuple[str, ...] = (),
    lat_lon: tuple[float, float] = INSIDE,
) -> Elder:
    """An active elder in a community."""
    elder = Elder(
        id_number=new_id_number(born, sex), name=name, sex=sex, birth_date=born, phone=phone,
        address="文化路 1 号", street_id=community.parent_id, community_id=community.id,
        lat=lat_lon[0], lon=lat_lon[1], living_situation=living_situation,
        economic_status="none", consent_given=True, status="active",
    )  # fmt: skip
    elder.groups = [ElderGroup(code=g) for g in groups]
    elder.contacts = [
        ElderContact(priority=1, name="李明", relationship="son", phone="13900005678", has_key=True)
    ]
    session.add(elder)
    session.flush()
    return elder


def make_provider(session: Session, name: str = "颐康养老服务有限公司") -> Provider:
    """A service provider."""
    n = next(_seq)
    provider = Provider(code=f"P{n:04d}", name=name, credit_code=None, phone="0371-6000000")
    session.add(provider)
    session.flush()
    return provider


def make_user(
    session: Session,
    role: Role,
    *,
    area: Area | None = None,
    provider: Provider | None = None,
    elder: Elder | None = None,
    staff_id: int | None = None,
    username: str | None = None,
) -> tuple[UserAccount, Subject]:
    """An account with the test password, and its Subject."""
    user = UserAccount(
        username=username or f"{role.value}{next(_seq)}",
        password_hash=_HASH,
        display_name=f"{role.value} user",
        role=role.value,
        area_id=area.id if area else None,
        provider_id=provider.id if provider else None,
        elder_id=elder.id if elder else None,
        staff_id=staff_id,
    )
    session.add(user)
    session.flush()
    if role == Role.FAMILY and elder is not None:  # as registry/accounts makes a family account
        session.add(FamilyLink(user_id=user.id, elder_id=elder.id, linked_at=user.created_at))
        session.flush()
    return user, subject_for(user)


def elder_payload(community: Area, **overrides: object) -> dict[str, object]:
    """A valid JSON body for creating an elder."""
    body: dict[str, object] = {
        "id_number": new_id_number(),
        "name": "张桂兰",
        "phone": "13712345678",
        "address": "北林路 18 号院 3 号楼",
        "community_code": community.code,
        "lat": INSIDE[0],
        "lon": INSIDE[1],
        "living_situation": "alone",
        "special_groups": ["living_alone"],
        "economic_status": "minimum_living",
        "consent_given": True,
        "contacts": [
            {"name": "张伟", "relationship": "son", "phone": "13611112222", "has_key": True}
        ],
    }
    body.update(overrides)
    return body


def make_facility(
    session: Session,
    street: Area,
    *,
    community: Area | None = None,
    provider: Provider | None = None,
    kind: str = "day_care_centre",
    name: str = "文雅社区日间照料中心",
    lat_lon: tuple[float, float] = INSIDE,
) -> Facility:
    """A facility in a street (and optionally a community), run by a provider."""
    n = next(_seq)
    facility = Facility(
        code=f"F{n:04d}", name=name, kind=kind, street_id=street.id,
        community_id=community.id if community else None,
        provider_id=provider.id if provider else None, address="文化路 2 号",
        lat=lat_lon[0], lon=lat_lon[1], phone="0371-6000001",
        opening_hours={"mon": ["08:00", "18:00"]},
    )  # fmt: skip
    session.add(facility)
    session.flush()
    return facility


def make_staff(
    session: Session,
    provider: Provider,
    *,
    facility: Facility | None = None,
    name: str = "刘芳",
    phone: str = "13700001111",
    roles: tuple[str, ...] = ("caregiver",),
    skills: tuple[tuple[str, int], ...] = (("cleaning", 3),),
    id_number: str | None = None,
) -> Staff:
    """A staff member of a provider, based at a facility."""
    n = next(_seq)
    staff = Staff(
        code=f"S{n:05d}", name=name, sex="F", phone=phone, id_number=id_number,
        provider_id=provider.id, facility_id=facility.id if facility else None,
        roles=list(roles), travel_mode="ebike", working_pattern={"mon": ["08:00", "17:00"]},
        status="active",
    )  # fmt: skip
    staff.skills = [StaffSkill(skill=s, level=lvl) for s, lvl in skills]
    session.add(staff)
    session.flush()
    return staff


def make_category(session: Session, code: str = "daily_living") -> ServiceCategory:
    """A service category (reused when the code exists)."""
    found = session.scalar(select(ServiceCategory).where(ServiceCategory.code == code))
    if found:
        return found
    category = ServiceCategory(code=code, name_zh="生活照料", name_en="Daily living", sort=1)
    session.add(category)
    session.flush()
    return category


def make_catalog_item(
    session: Session,
    *,
    code: str | None = None,
    prices: tuple[tuple[date, int, int], ...] = ((date(2025, 1, 1), 5000, 60),),
    government_purchasable: bool = True,
    active: bool = True,
) -> ServiceItem:
    """A service item with price versions (effective date, price in fen, minutes)."""
    item = ServiceItem(
        code=code or f"T{next(_seq):04d}", category_id=make_category(session).id,
        name_zh="助洁", name_en="Cleaning", unit="visit", required_skills=["cleaning"],
        government_purchasable=government_purchasable, home_visit=True, active=active,
    )  # fmt: skip
    item.prices = [
        ServicePrice(effective_date=d, price_fen=fen, standard_minutes=m) for d, fen, m in prices
    ]
    session.add(item)
    session.flush()
    return item
