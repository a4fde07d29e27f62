"""Headline figures for a role's home page, counted within the caller's data scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_
from yiyang.registry.areas.models import Area
from yiyang.registry.elders import repository as elder_repository
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
    by_community = view.scope in ("street", "community")
    found = elder_repository.summary(session, subject, by_community=by_community)
    view.figures += [
        Figure(
            "elders_active", found.by_status.get("active", 0), N_("Elders served"),
            N_("registered and active"),
        ),
        Figure(
            "elders_total", sum(found.by_status.values()), N_("Elders on record"),
            N_("incl. moved away"),
        ),
        Figure(
            "special_groups", found.in_groups, N_("Special-difficulty elders"),
            N_("in the seven groups"), accent=True,
        ),
        Figure(
            "alone", found.alone_or_empty_nest, N_("Alone or empty nest"),
            N_("priority for visits"),
        ),
    ]  # fmt: skip
    view.area_level = "community" if by_community else "street"
    view.by_area, view.by_group, view.by_living = found.by_area, found.by_group, found.by_living


def _facility_figures(session: Session, subject: Subject, view: Overview) -> None:
    provider = view.scope == "provider"
    found = facility_repository.summary(session, subject, first=12 if provider else 0)
    view.facilities_by_kind = found.by_kind
    if provider:
        view.facility_rows = found.first
        view.figures += [
            Figure("facilities", sum(n for _, n in found.by_kind), N_("Facilities in service")),
            Figure("beds", found.long_stay_beds, N_("Long-stay beds")),
        ]


def _staff_figures(session: Session, subject: Subject, view: Overview) -> None:
    found = staff_repository.summary(session, subject)
    at_work, on_leave = found.by_status.get("active", 0), found.by_status.get("on_leave", 0)
    view.figures.insert(0, Figure("staff_active", at_work, N_("Staff at work")))
    view.staff_by_role = found.by_role
    view.figures.append(Figure("staff_on_leave", on_leave, N_("Staff on leave"), accent=True))


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
