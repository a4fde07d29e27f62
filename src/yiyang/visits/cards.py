"""The elder's visit card: the signed code a caregiver scans at the door when GPS fails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, joinedload

from yiyang.errors import N_, NotFound
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import Elder
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import rules


@dataclass(frozen=True)
class VisitCard:
    """What the printed card shows: whose home it is and the code to scan or type."""

    elder_id: int
    elder_name: str
    address: str
    street_name: str
    community_name: str
    code: str

    @property
    def spaced_code(self) -> str:
        """The code in groups of four after the elder part, easier to read out and type."""
        head, _, mac = self.code.partition(".")
        return f"{head}." + " ".join(mac[i : i + 4] for i in range(0, len(mac), 4))


def card_of(
    session: Session,
    subject: Subject,
    elder_id: int,
    *,
    secret_key: str,
    now: datetime,
    printing: bool = False,
) -> VisitCard:
    """The card of an elder in scope, for those who register elders; printing it is audited."""
    subject.require(Perm.ELDER_WRITE)
    stmt = (
        elder_repository.readable(subject)
        .where(Elder.id == elder_id)
        .options(joinedload(Elder.street), joinedload(Elder.community))
    )
    elder = session.scalar(stmt)
    if elder is None:
        raise NotFound(N_("Elder %(id)s not found."), id=elder_id)
    if printing:
        audit.record(session, subject, "print_card", "elder", elder.id, at=now)
    return VisitCard(
        elder_id=elder.id,
        elder_name=elder.name,
        address=elder.address,
        street_name=elder.street.name,
        community_name=elder.community.name,
        code=rules.elder_card_code(elder.id, secret_key),
    )
