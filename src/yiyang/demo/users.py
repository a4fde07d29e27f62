"""Demo logins, one per role, bound to believable scope in the seeded district."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.errors import NotFound
from yiyang.kit.clock import utcnow
from yiyang.registry.accounts import family
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder, ElderContact
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff, StaffSkill
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.service import create_user
from yiyang.security.subject import system_subject

DEMO_PASSWORD = "yiyang-demo-2026"
BEILIN_STREET = "410105011"
WENYA = "文雅社区"
FENGQING_CENTRE = "丰庆路街道养老服务中心"


@dataclass(frozen=True)
class DemoLogin:
    """One account to create: username, role, display name and binding."""

    username: str
    role: Role
    display_name: str
    area_id: int | None = None
    provider_id: int | None = None
    staff_id: int | None = None
    elder_id: int | None = None
    phone: str | None = None  # the call centre's on-duty phones get the escalation texts
    follows: tuple[int, ...] = ()  # a family account's elders, the one it looks at first


def _one(session: Session, stmt: object, what: str) -> object:
    row = session.scalars(stmt).first()  # type: ignore[call-overload]
    if row is None:
        raise NotFound(f"demo district has no {what}; seed the district first")
    return row


def plan_logins(session: Session) -> list[DemoLogin]:
    """The demo accounts and what each is bound to, read from the seeded district."""
    street = _one(session, select(Area).where(Area.code == BEILIN_STREET), "北林路街道")
    assert isinstance(street, Area)
    community = _one(
        session,
        select(Area).where(Area.name == WENYA, Area.parent_id == street.id),
        WENYA,
    )
    assert isinstance(community, Area)
    centre = _one(
        session, select(Facility).where(Facility.name == FENGQING_CENTRE), FENGQING_CENTRE
    )
    assert isinstance(centre, Facility) and centre.provider_id is not None
    provider = session.get(Provider, centre.provider_id)
    bath_aide = _one(
        session,
        select(Staff)
        .join(StaffSkill, StaffSkill.staff_id == Staff.id)
        .where(Staff.facility_id == centre.id, StaffSkill.skill == "bathing")
        .order_by(Staff.id),
        "bathing caregiver at " + FENGQING_CENTRE,
    )
    assert isinstance(bath_aide, Staff)
    chosen = session.scalars(
        select(Elder)
        .where(
            Elder.community_id == community.id,
            Elder.status == "active",
            Elder.consent_given.is_(True),
        )
        .order_by(Elder.id)
        .limit(2)
    ).all()
    if not chosen:
        raise NotFound("demo district has no active elder in " + WENYA)
    elder = chosen[0]
    contact = session.scalars(
        select(ElderContact)
        .where(ElderContact.elder_id == elder.id)
        .order_by(ElderContact.priority)
    ).first()
    family_name = contact.name if contact else f"{elder.name}的家属"
    return [
        DemoLogin("admin", Role.DISTRICT_ADMIN, "区民政局管理员"),
        DemoLogin("beilin", Role.STREET_ADMIN, "北林路街道管理员", area_id=street.id),
        DemoLogin("wenya", Role.COMMUNITY_STAFF, "文雅社区养老管家", area_id=community.id),
        DemoLogin(
            "provider1",
            Role.PROVIDER_ADMIN,
            f"{provider.name if provider else '服务机构'}管理员",
            provider_id=centre.provider_id,
        ),
        DemoLogin(
            "caregiver1",
            Role.CAREGIVER,
            bath_aide.name,
            provider_id=bath_aide.provider_id,
            staff_id=bath_aide.id,
        ),
        DemoLogin("operator1", Role.OPERATOR, "客服专员", phone="13900000101"),
        DemoLogin("supervisor1", Role.SUPERVISOR, "班长坐席", phone="13900000102"),
        DemoLogin("assessor1", Role.ASSESSOR, "能力评估员"),
        DemoLogin("elder1", Role.ELDER, elder.name, elder_id=elder.id),
        DemoLogin(
            "family1",
            Role.FAMILY,
            family_name,
            elder_id=elder.id,
            follows=tuple(e.id for e in chosen),
        ),
        DemoLogin("auditor1", Role.AUDITOR, "民政监督审计员"),
    ]


def create_demo_users(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo accounts that do not exist yet; returns (username, password, role)."""
    actor = system_subject("seed")
    taken = set(session.scalars(select(UserAccount.username)))
    created: list[tuple[str, str, str]] = []
    for login in plan_logins(session):
        if login.username in taken:
            continue
        user = create_user(
            session,
            actor,
            username=login.username,
            password=DEMO_PASSWORD,
            display_name=login.display_name,
            role=login.role,
            policy=None,  # the one known demo password (tests/security check it meets the policy)
            area_id=login.area_id,
            provider_id=login.provider_id,
            staff_id=login.staff_id,
            elder_id=login.elder_id,
        )
        if login.phone:
            user.phone = login.phone
        for elder_id in login.follows:
            family.link_elder(session, actor, user.id, elder_id, relationship=None, now=utcnow())
        created.append((login.username, DEMO_PASSWORD, str(login.role)))
    return created
