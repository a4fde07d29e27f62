"""The queries of the ingest groups' members (gateway_models.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from yiyang.db import update_or_insert
from yiyang.devices.gateway_models import IngestMember


def seen(session: Session, client_id: str, group: str, now: datetime) -> None:
    """The process `client_id` of `group` is alive at `now`."""
    stmt = (
        update(IngestMember)
        .where(IngestMember.client_id == client_id)
        .values(group_name=group, seen_at=now)
    )
    update_or_insert(
        session, stmt, IngestMember(client_id=client_id, group_name=group, seen_at=now)
    )


def alive(session: Session, group: str, since: datetime) -> int:
    """Members of `group` seen since `since`."""
    stmt = select(func.count()).where(
        IngestMember.group_name == group, IngestMember.seen_at >= since
    )
    return int(session.scalar(stmt) or 0)


def left(session: Session, client_id: str) -> None:
    """The process `client_id` stopped."""
    session.execute(delete(IngestMember).where(IngestMember.client_id == client_id))
