"""Every query of alarms; the one place where their data scope is applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ScalarSelect, Select, false, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from yiyang.alarms.kinds import AlarmStatus
from yiyang.alarms.models import Alarm
from yiyang.db import will_write
from yiyang.errors import N_, NotFound
from yiyang.orders.models import ServiceOrder
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder
from yiyang.security.models import UserAccount
from yiyang.security.subject import Subject

QUEUE_LIMIT = 500  # the console shows the open alarms; more than this is a disaster plan


def open_alarm_for_update(session: Session, originator: str, type_: str) -> Alarm | None:
    """The open (not closed) alarm of this originator and type, locked for update."""
    return session.scalar(
        select(Alarm)
        .where(Alarm.originator == originator, Alarm.type == type_, Alarm.closed_at.is_(None))
        .with_for_update()
    )


def readable(subject: Subject) -> Select[tuple[Alarm]]:
    """Alarms the subject may see: district-wide roles all; street admin and community staff
    those of their area; a provider those of its orders; the elder and family their elder's.
    A caregiver sees none here (a responder reads the alarm through the response flow)."""
    return select(Alarm).where(
        subject.scope.where(
            street=Alarm.street_id,
            community=Alarm.community_id,
            elder=Alarm.elder_id,
            provider=lambda provider_id: Alarm.order_id.in_(
                select(ServiceOrder.id).where(ServiceOrder.provider_id == provider_id)
            ),
            staff=False,
        )
    )


DETAIL_LOADS = (
    selectinload(Alarm.steps),
    joinedload(Alarm.elder).selectinload(Elder.contacts),
    joinedload(Alarm.elder).joinedload(Elder.street),
    joinedload(Alarm.elder).joinedload(Elder.community),
    joinedload(Alarm.device),
)
QUEUE_LOADS = (joinedload(Alarm.elder), joinedload(Alarm.device))


def get(session: Session, subject: Subject, alarm_id: int, *, lock: bool = False) -> Alarm:
    """One readable alarm with its timeline, elder (contacts, areas) and device, or NotFound.

    With `lock` the bare row is locked FOR UPDATE first, so the caller sees the committed,
    current state (a second operator waits, then sees the first one's acknowledgement)."""
    if lock:
        will_write(session)  # SQLite: take the write lock before reading what is then written
        session.scalar(select(Alarm.id).where(Alarm.id == alarm_id).with_for_update())
    stmt = readable(subject).where(Alarm.id == alarm_id).options(*DETAIL_LOADS)
    alarm = session.scalar(stmt.execution_options(populate_existing=True))
    if alarm is None:
        raise NotFound(N_("Alarm %(id)s not found."), id=alarm_id)
    return alarm


def lock_for_system(session: Session, alarm_id: int) -> Alarm | None:
    """An alarm locked FOR UPDATE for the platform (timers, bridges), or None when gone."""
    will_write(session)
    return session.scalar(
        select(Alarm)
        .where(Alarm.id == alarm_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _street_id(code: str) -> ScalarSelect[int]:
    return select(Area.id).where(Area.code == code).scalar_subquery()


def queue(
    session: Session,
    subject: Subject,
    *,
    view: str,
    type_: str | None = None,
    street_code: str | None = None,
    since: datetime | None = None,
) -> list[Alarm]:
    """Readable alarms of a view (`open`, `waiting` for a person, `mine`, `closed` since a
    time), narrowed by type and street; elder and device loaded. Sorted by the caller."""
    stmt = readable(subject).options(*QUEUE_LOADS)
    if view == "closed":
        stmt = stmt.where(Alarm.closed_at.is_not(None))
        if since is not None:
            stmt = stmt.where(Alarm.closed_at >= since)
        stmt = stmt.order_by(Alarm.closed_at.desc())
    else:
        stmt = stmt.where(Alarm.closed_at.is_(None)).order_by(Alarm.raised_at)
    if view == "waiting":
        stmt = stmt.where(Alarm.status == str(AlarmStatus.QUEUED))
    elif view == "mine":
        stmt = stmt.where(
            Alarm.acknowledged_by_id == subject.user_id if subject.user_id is not None else false()
        )
    if type_:
        stmt = stmt.where(Alarm.type == type_)
    if street_code:
        stmt = stmt.where(Alarm.street_id == _street_id(street_code))
    return list(session.scalars(stmt.limit(QUEUE_LIMIT)).unique())


def user_name(session: Session, user_id: int | None) -> str:
    """The display name of an account ("—" for none)."""
    if user_id is None:
        return "—"
    return session.scalar(select(UserAccount.display_name).where(UserAccount.id == user_id)) or "—"


def elder_areas(session: Session, elder_id: int) -> tuple[int, int] | None:
    """(street_id, community_id) of an elder, or None."""
    row = session.execute(
        select(Elder.street_id, Elder.community_id).where(Elder.id == elder_id)
    ).first()
    return (row[0], row[1]) if row else None


# --- figures ----------------------------------------------------------------------------------


def queue_depth(session: Session, subject: Subject) -> tuple[int, int]:
    """(open alarms, of which nobody has acknowledged yet) within the scope."""
    ids = readable(subject).where(Alarm.closed_at.is_(None)).subquery()
    row = session.execute(
        select(
            func.count(),
            func.count().filter(ids.c.acknowledged_at.is_(None)),
        ).select_from(ids)
    ).one()
    return int(row[0]), int(row[1])


def answer_times(
    session: Session, subject: Subject, since: datetime
) -> list[tuple[datetime, datetime | None]]:
    """(raised_at, acknowledged_at) of the readable alarms raised since a time."""
    ids = readable(subject).where(Alarm.raised_at >= since).subquery()
    rows = session.execute(select(ids.c.raised_at, ids.c.acknowledged_at)).all()
    return [(r[0], r[1]) for r in rows]


def operator_load(
    session: Session, subject: Subject, since: datetime
) -> list[tuple[int, str, int, int]]:
    """(user id, name, open alarms held, alarms acknowledged since) per operator, busiest first."""
    alarms = readable(subject).where(Alarm.acknowledged_by_id.is_not(None)).subquery()
    held = func.count().filter(alarms.c.closed_at.is_(None))
    handled = func.count().filter(alarms.c.acknowledged_at >= since)
    rows = session.execute(
        select(alarms.c.acknowledged_by_id, UserAccount.display_name, held, handled)
        .join(UserAccount, UserAccount.id == alarms.c.acknowledged_by_id)
        .group_by(alarms.c.acknowledged_by_id, UserAccount.display_name)
        .having(
            func.count().filter(
                (alarms.c.closed_at.is_(None)) | (alarms.c.acknowledged_at >= since)
            )
            > 0
        )
        .order_by(held.desc(), handled.desc(), UserAccount.display_name)
    ).all()
    return [(int(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]


def latest_by_elder(
    subject: Subject, types: tuple[str, ...]
) -> Select[tuple[int | None, datetime]]:
    """When each elder in scope last had an alarm of one of these types raised: a statement
    of (elder_id, at), for a query of another domain to join."""
    return (
        readable(subject)
        .with_only_columns(Alarm.elder_id.label("elder_id"), func.max(Alarm.raised_at).label("at"))
        .where(Alarm.type.in_(types), Alarm.elder_id.is_not(None))
        .group_by(Alarm.elder_id)
    )
