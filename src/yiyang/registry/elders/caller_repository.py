"""Who is calling: elders found by the number of one of their emergency contacts.

The elder's own number is found by the elder search (`repository.search`); this adds the
contacts, whom the call centre hears from as often as the elders themselves.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.orm import Session, joinedload, selectinload

from yiyang.registry.elders.models import Elder, ElderContact
from yiyang.registry.elders.repository import readable
from yiyang.security.subject import Subject


def by_contact_phone(session: Session, subject: Subject, digits: str, *, limit: int) -> list[Elder]:
    """Readable elders one of whose contacts has this number, or a number ending in these
    digits; areas and contacts loaded, in id order."""
    matching = ElderContact.phone.endswith(digits, autoescape=True)
    stmt = (
        readable(subject)
        .where(Elder.contacts.any(or_(ElderContact.phone == digits, matching)))
        .options(
            joinedload(Elder.street), joinedload(Elder.community), selectinload(Elder.contacts)
        )
        .order_by(Elder.id)
        .limit(limit)
    )
    return list(session.scalars(stmt).unique())
