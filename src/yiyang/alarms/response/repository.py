"""Every query of sending responders: the alarm in scope, the responders, the people to ask."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from yiyang.alarms.models import Alarm, AlarmStep
from yiyang.alarms.response.models import AlarmResponder
from yiyang.alarms.response.rules import WAITING
from yiyang.devices.models import Device
from yiyang.errors import N_, NotFound
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder, ElderContact
from yiyang.registry.facilities.models import Facility
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

_WAITING = [str(s) for s in WAITING]


def readable(subject: Subject) -> Select[tuple[Alarm]]:
    """Alarms the subject may see: by area, the elder's own, or those they were sent to."""
    sent_to = select(AlarmResponder.alarm_id).where(AlarmResponder.user_id == subject.user_id)
    return select(Alarm).where(
        subject.scope.where(
            street=Alarm.street_id,
            community=Alarm.community_id,
            elder=Alarm.elder_id,
            staff=lambda _staff_id: Alarm.id.in_(sent_to),
        )
        | Alarm.id.in_(sent_to)
    )


def get_alarm(session: Session, subject: Subject, alarm_id: int, *, lock: bool = False) -> Alarm:
    """The alarm with its elder (and the elder's contacts) and device, or 404."""
    stmt = (
        readable(subject)
        .where(Alarm.id == alarm_id)
        .options(joinedload(Alarm.elder), joinedload(Alarm.device))
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update(of=Alarm)
    alarm = session.scalar(stmt)
    if alarm is None:
        raise NotFound(N_("Alarm %(id)s was not found."), id=alarm_id)
    return alarm


def responders(session: Session, alarm_id: int) -> list[AlarmResponder]:
    """Everyone sent to this alarm, in the order asked."""
    return list(
        session.scalars(
            select(AlarmResponder)
            .where(AlarmResponder.alarm_id == alarm_id)
            .order_by(AlarmResponder.rank, AlarmResponder.id)
        )
    )


def responder_for_update(session: Session, responder_id: int) -> AlarmResponder | None:
    """One responder row, locked."""
    return session.scalar(
        select(AlarmResponder).where(AlarmResponder.id == responder_id).with_for_update()
    )


def own_responder(session: Session, subject: Subject, alarm_id: int) -> AlarmResponder:
    """The subject's latest responder row on this alarm, locked; 404 when not sent to it."""
    found = session.scalar(
        select(AlarmResponder)
        .where(AlarmResponder.alarm_id == alarm_id, AlarmResponder.user_id == subject.user_id)
        .order_by(AlarmResponder.id.desc())
        .limit(1)
        .with_for_update()
    )
    if found is None or subject.user_id is None:
        raise NotFound(N_("Alarm %(id)s was not found."), id=alarm_id)
    return found


def sent_to(
    session: Session, user_id: int | None, *, since: datetime
) -> list[tuple[AlarmResponder, Alarm]]:
    """The alarms a person was sent to: still waiting for them, or finished after `since`."""
    if user_id is None:
        return []
    rows = session.execute(
        select(AlarmResponder, Alarm)
        .join(Alarm, Alarm.id == AlarmResponder.alarm_id)
        .where(
            AlarmResponder.user_id == user_id,
            (AlarmResponder.state.in_(_WAITING) & Alarm.closed_at.is_(None))
            | (AlarmResponder.sent_at >= since),
        )
        .options(joinedload(Alarm.elder))
        .order_by(AlarmResponder.sent_at.desc(), AlarmResponder.id.desc())
    ).all()
    return [(r, a) for r, a in rows]


def waiting_count(session: Session, user_id: int | None) -> int:
    """How many open alarms wait for this person's hand (phone home badges)."""
    if user_id is None:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(AlarmResponder)
            .join(Alarm, Alarm.id == AlarmResponder.alarm_id)
            .where(
                AlarmResponder.user_id == user_id,
                AlarmResponder.state.in_(_WAITING),
                Alarm.closed_at.is_(None),
            )
        )
        or 0
    )


def staff_accounts(session: Session, staff_ids: Collection[int]) -> dict[int, tuple[int, str]]:
    """The active phone account and name of each caregiver who has one."""
    if not staff_ids:
        return {}
    rows = session.execute(
        select(Staff.id, UserAccount.id, Staff.name)
        .join(UserAccount, UserAccount.staff_id == Staff.id)
        .where(Staff.id.in_(staff_ids), UserAccount.active.is_(True))
        .order_by(UserAccount.id)
    ).all()
    out: dict[int, tuple[int, str]] = {}
    for staff_id, user_id, name in rows:
        out.setdefault(staff_id, (user_id, name))
    return out


@dataclass(frozen=True)
class Worker:
    """A community worker's account with the community it serves and the street above it."""

    user_id: int
    name: str
    community_id: int
    street_id: int | None


def community_workers(session: Session) -> list[Worker]:
    """Active community staff accounts bound to a community."""
    rows = session.execute(
        select(UserAccount.id, UserAccount.display_name, Area.id, Area.parent_id)
        .join(Area, Area.id == UserAccount.area_id)
        .where(UserAccount.role == str(Role.COMMUNITY_STAFF), UserAccount.active.is_(True))
        .order_by(UserAccount.id)
    ).all()
    return [Worker(u, n, c, s) for u, n, c, s in rows]


def community_points(session: Session) -> dict[int, tuple[float, float]]:
    """Where each community's station is: its first active facility in the community."""
    out: dict[int, tuple[float, float]] = {}
    for community_id, lat, lon in session.execute(
        select(Facility.community_id, Facility.lat, Facility.lon)
        .where(Facility.community_id.is_not(None), Facility.active.is_(True))
        .order_by(Facility.id)
    ):
        out.setdefault(community_id, (lat, lon))
    return out


def contacts(session: Session, elder_id: int) -> list[tuple[str, str, str, bool]]:
    """The elder's contacts (name, relationship, phone, holds a key), first first."""
    return [
        (n, r, p, k)
        for n, r, p, k in session.execute(
            select(
                ElderContact.name, ElderContact.relationship, ElderContact.phone,
                ElderContact.has_key,
            )
            .where(ElderContact.elder_id == elder_id)
            .order_by(ElderContact.priority, ElderContact.id)
        )
    ]  # fmt: skip


def steps(session: Session, alarm_id: int) -> list[AlarmStep]:
    """The alarm's timeline, oldest first."""
    return list(
        session.scalars(
            select(AlarmStep).where(AlarmStep.alarm_id == alarm_id).order_by(AlarmStep.id)
        )
    )


def family_alarms(
    session: Session, elder_id: int, *, since: datetime, min_severity: int
) -> list[Alarm]:
    """The elder's alarms a family hears of: open ones and those closed after `since`."""
    return list(
        session.scalars(
            select(Alarm)
            .where(
                Alarm.elder_id == elder_id,
                Alarm.severity >= min_severity,
                Alarm.closed_at.is_(None) | (Alarm.closed_at >= since),
            )
            .options(joinedload(Alarm.device))
            .order_by(Alarm.raised_at.desc())
            .limit(3)
        )
    )


def elder(session: Session, elder_id: int) -> Elder | None:
    """The elder an alarm is about."""
    return session.get(Elder, elder_id)


def device_kind(session: Session, device_id: int | None) -> str | None:
    """The kind of the device that raised an alarm."""
    if device_id is None:
        return None
    return session.scalar(select(Device.kind).where(Device.id == device_id))
