"""Headline figures for a role's home page, counted within the caller's data scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiyang.errors import N_
from yiyang.registry.areas.models import Area
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import ElderGroup
from yiyang.registry.facilities import repository as facility_repository
from yiyang.registry.staff import repository as staff_repository
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject

# Roles whose home page is a placeholder until orders and visits arrive.
PERSONAL_ROLES = frozenset({Role.CAREGIVER, Role.ELDER, Role.FAMILY})


@dataclass(frozen=True)
class Figure:
    """One labelled number on a home page; `label` is a translatable message."""

    key: str
    value: int
    label: str = ""
    hint: str = ""
    accent: bool = False


@dataclass
class Overview:
    """What a home page shows: figures, elders by area and group, facilities by kind."""

    scope: str  # district, street, community, provider or personal
    scope_name: str | None = None
    figures: list[Figure] = field(default_factory=list)
    by_area: list[tuple[str, int]] = field(default_factory=list)
    area_level: str = "street"
    by_group: list[tuple[str, int]] = field(default_factory=list)
    by_living: list[tuple[str, int]] = field(default_factory=list)
    facilities_by_kind: list[tuple[str, int]] = field(default_factory=list)
    facility_rows: list[tuple[int, str, str, int, int]] = field(default_factory=list)
    staff_by_role: list[tuple[str, int]] = field(default_factory=list)


def _scope(session: Session, subject: Subject) -> tuple[str, str | None]:
    if subject.role in PERSONAL_ROLES:
        return "personal", None
    if subject.district_wide:
        return "district", None
    if subject.community_id is not None:
        area = session.get(Area, subject.community_id)
        return "community", area.name if area else None
    if subject.street_id is not None:
        area = session.get(Area, subject.street_id)
        return "street", area.name if area else None
    if subject.provider_id is not None:
        return "provider", None
    return "personal", None


def _elder_figures(session: Session, subject: Subject, view: Overview) -> None:
    scoped = elder_repository.readable(subject).subquery()
    by_status = session.execute(select(scoped.c.status, func.count()).group_by(scoped.c.status))
    counts: dict[str, int] = {status: n for status, n in by_status}
    active = counts.get("active", 0)
    in_groups = (
        session.scalar(
            select(func.count(func.distinct(ElderGroup.elder_id))).where(
                ElderGroup.elder_id.in_(select(scoped.c.id).where(scoped.c.status == "active"))
            )
        )
        or 0
    )
    alone = (
        session.scalar(
            select(func.count()).where(
                scoped.c.status == "active", scoped.c.living_situation.in_(("alone", "empty_nest"))
            )
        )
        or 0
    )
    total = sum(counts.values())
    view.figures += [
        Figure("elders_active", active, N_("Elders served"), N_("registered and active")),
        Figure("elders_total", total, N_("Elders on record"), N_("incl. moved away")),
        Figure(
            "special_groups", in_groups, N_("Special-difficulty elders"),
            N_("in the seven groups"), accent=True,
        ),
        Figure("alone", alone, N_("Alone or empty nest"), N_("priority for visits")),
    ]  # fmt: skip
    area_col = (
        scoped.c.community_id if view.scope in ("street", "community") else scoped.c.street_id
    )
    view.area_level = "community" if view.scope in ("street", "community") else "street"
    rows = session.execute(
        select(Area.name, func.count())
        .select_from(scoped)
        .join(Area, Area.id == area_col)
        .where(scoped.c.status == "active")
        .group_by(Area.name, Area.code)
        .order_by(Area.code)
    ).all()
    view.by_area = [(name, n) for name, n in rows]
    groups = session.execute(
        select(ElderGroup.code, func.count())
        .where(ElderGroup.elder_id.in_(select(scoped.c.id).where(scoped.c.status == "active")))
        .group_by(ElderGroup.code)
        .order_by(func.count().desc())
    ).all()
    view.by_group = [(code, n) for code, n in groups]
    living = session.execute(
        select(scoped.c.living_situation, func.count())
        .where(scoped.c.status == "active")
        .group_by(scoped.c.living_situation)
        .order_by(func.count().desc())
    ).all()
    view.by_living = [(code, n) for code, n in living]


def _facility_figures(session: Session, subject: Subject, view: Overview) -> None:
    scoped = facility_repository.readable(subject).subquery()
    rows = session.execute(
        select(scoped.c.kind, func.count())
        .where(scoped.c.active.is_(True))
        .group_by(scoped.c.kind)
        .order_by(func.count().desc())
    ).all()
    view.facilities_by_kind = [(kind, n) for kind, n in rows]
    if view.scope == "provider":
        view.facility_rows = [
            (row.id, row.name, row.kind, row.beds_long_stay, row.day_places)
            for row in session.execute(
                select(scoped).where(scoped.c.active.is_(True)).order_by(scoped.c.code).limit(12)
            )
        ]
        beds = session.scalar(select(func.coalesce(func.sum(scoped.c.beds_long_stay), 0))) or 0
        view.figures += [
            Figure("facilities", sum(n for _, n in rows), N_("Facilities in service")),
            Figure("beds", int(beds), N_("Long-stay beds")),
        ]


def _staff_figures(session: Session, subject: Subject, view: Overview) -> None:
    scoped = staff_repository.readable(subject).subquery()
    rows = session.execute(select(scoped.c.status, func.count()).group_by(scoped.c.status))
    counts: dict[str, int] = {status: n for status, n in rows}
    view.figures.insert(0, Figure("staff_active", counts.get("active", 0), N_("Staff at work")))
    roles: dict[str, int] = {}
    for staff_roles in session.scalars(select(scoped.c.roles).where(scoped.c.status == "active")):
        for role in staff_roles or []:
            roles[role] = roles.get(role, 0) + 1
    view.staff_by_role = sorted(roles.items(), key=lambda item: -item[1])
    view.figures.append(
        Figure("staff_on_leave", counts.get("on_leave", 0), N_("Staff on leave"), accent=True)
    )


def overview_for(session: Session, subject: Subject, *, now: datetime) -> Overview:
    """The home page content of a subject, every count inside its data scope."""
    scope, name = _scope(session, subject)
    view = Overview(scope=scope, scope_name=name)
    if scope == "personal":
        return view
    if subject.can(Perm.ELDER_READ):
        _elder_figures(session, subject, view)
    if subject.can(Perm.FACILITY_READ):
        _facility_figures(session, subject, view)
    if scope == "provider" and subject.can(Perm.STAFF_READ):
        _staff_figures(session, subject, view)
    return view


def figures_for(session: Session, subject: Subject, *, now: datetime) -> list[Figure]:
    """Just the headline figures (kept for callers that need numbers only)."""
    return overview_for(session, subject, now=now).figures
