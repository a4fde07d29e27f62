"""Builders of alarm handling tests: an elder's SOS, operators and a supervisor."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree, make_user
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.models import Alarm
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

NOON = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def sos(session: Session, elder: Elder | None = None, *, type_: AlarmType = AlarmType.SOS,
        at: datetime = NOON) -> Alarm:  # fmt: skip
    """An alarm of an elder (a new one in the first community when none is given)."""
    if elder is None:
        elder = make_elder(session, make_tree(session).comm_a1)
    alarm, _ = raise_or_repeat(
        session,
        type_,
        Origin(
            originator=f"elder:{elder.id}",
            elder_id=elder.id,
            street_id=elder.street_id,
            community_id=elder.community_id,
        ),
        now=at,
    )
    return alarm


def operator(session: Session, role: Role = Role.OPERATOR) -> Subject:
    """A call-centre operator (or supervisor)."""
    return make_user(session, role)[1]
