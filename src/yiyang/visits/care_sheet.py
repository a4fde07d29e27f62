"""A caregiver's day as a sheet: each of her own visits with what she needs before she goes.

Care notes (capability level, mobility and health conditions, the groups that change how to
help, the registry's notes, the last note a caregiver left) are shown only for the elders of
her own visits (mobility and conditions by the "caring" relation of disclosure); the
key-holder's phone only as disclosure allows (the caregiver serving the elder today,
docs/privacy.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yiyang.kit.localtime import local_today
from yiyang.orders.disclosure import elder_viewer
from yiyang.registry.elders import repository as elder_repository
from yiyang.security.disclosure import Kind, Relation, Sensitive, disclosed
from yiyang.security.subject import Subject
from yiyang.visits import repository
from yiyang.visits.schemas import VisitItem
from yiyang.visits.service import day_orders, item_values

# The special groups that change how a caregiver helps at home.
CARE_GROUPS = ("disabled", "severe_disability", "living_alone", "no_family")
# Skills of a service that mean lifting, washing or moving the elder: mobility and conditions
# come first on such a visit (a bath, a transfer, help with walking).
HANDS_ON_SKILLS = frozenset({"bathing", "mobility", "personal_care", "nursing", "rehab"})


class KeyHolder(BaseModel):
    """An emergency contact who holds a key to the home."""

    name: str
    relationship: str
    phone: Annotated[str, Sensitive(Kind.CONTACT_PHONE)]


class CareNotes(BaseModel):
    """What to know about the elder before the visit."""

    capability_level: int | None
    mobility: Annotated[str | None, Sensitive(Kind.ELDER_HEALTH)]
    conditions: Annotated[str | None, Sensitive(Kind.ELDER_HEALTH)]
    hands_on: bool  # the service lifts, washes or moves the elder
    groups: list[str]
    registry_notes: str | None
    last_note: str | None
    key_holders: list[KeyHolder]


class SheetLine(BaseModel):
    """One visit of the day with its planned start, travel mode and care notes."""

    visit: VisitItem
    care: CareNotes
    travel_mode: str


def _last_line(notes: str | None) -> str | None:
    """The latest line of a visit's notes, without its timestamp."""
    if not notes:
        return None
    line = notes.strip().splitlines()[-1]
    return line.split("] ", 1)[1] if line.startswith("[") and "] " in line else line


def day_sheet(session: Session, subject: Subject, day: date, *, now: datetime) -> list[SheetLine]:
    """The caregiver's own visits of a day in time order, each with its care notes."""
    orders, visits = day_orders(session, subject, day)
    elder_ids = sorted({o.elder_id for o in orders})
    groups = elder_repository.group_codes(session, elder_ids)
    contacts = elder_repository.contacts_of(session, elder_ids)
    last = repository.last_notes(session, elder_ids, before=now)
    today = local_today(now)
    lines = []
    for o in orders:
        viewer = elder_viewer(subject, o, today)
        caring = viewer.also(Relation.CARING)  # her own visit: the elder's health data
        care = {
            "capability_level": o.elder.capability_level,
            "mobility": o.elder.mobility,
            "conditions": o.elder.conditions,
            "hands_on": bool(HANDS_ON_SKILLS & set(o.item.required_skills or ())),
            "groups": [g for g in groups.get(o.elder_id, []) if g in CARE_GROUPS],
            "registry_notes": o.elder.notes,
            "last_note": _last_line(last.get(o.elder_id)),
            "key_holders": [
                {"name": c.name, "relationship": c.relationship, "phone": c.phone}
                for c in contacts.get(o.elder_id, [])
                if c.has_key
            ],
        }
        lines.append(
            SheetLine(
                visit=disclosed(VisitItem, viewer, item_values(o, visits.get(o.id))),
                care=disclosed(CareNotes, caring, care),
                travel_mode=o.staff.travel_mode if o.staff else "ebike",
            )
        )
    return lines
