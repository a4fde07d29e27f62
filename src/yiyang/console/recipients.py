"""Who is told about an order, and the names a family message needs (read in the transaction)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from yiyang.registry.catalog import repository as catalog_repository
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import Elder
from yiyang.registry.staff import repository as staff_repository


@dataclass(frozen=True)
class Recipient:
    """A phone to text about an elder's orders; `family` is False when it is the elder's own."""

    phone: str
    family: bool
    elder_name: str


def family_recipient(session: Session, elder_id: int) -> Recipient | None:
    """The elder's first family contact, else the elder's own phone, else nobody."""
    elder = session.get(Elder, elder_id)
    if elder is None:
        return None
    phone = elder_repository.first_contact_phone(session, elder_id)
    if phone:
        return Recipient(phone=phone, family=True, elder_name=elder.name)
    if elder.phone:
        return Recipient(phone=elder.phone, family=False, elder_name=elder.name)
    return None


def caregiver_and_centre(session: Session, staff_id: int | None) -> tuple[str, str] | None:
    """The caregiver's name and the centre (else the provider) they work from."""
    if staff_id is None:
        return None
    row = staff_repository.name_and_workplace(session, staff_id)
    if row is None:
        return None
    name, centre, provider = row
    return name, centre or provider


def service_name(session: Session, item_id: int) -> str:
    """The Chinese name of a service item (the messages are written in Chinese)."""
    return catalog_repository.item_name_zh(session, item_id) or ""
