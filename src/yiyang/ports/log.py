"""The port log: what the development adapters would have sent, written once per idempotency key."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from yiyang.kit.pagination import Page, PageParams
from yiyang.ports.models import PortLog


def write(
    factory: sessionmaker[Session],
    *,
    channel: str,
    destination: str,
    text: str,
    key: str,
    at: datetime,
) -> bool:
    """Write one row in its own transaction; a key seen before is ignored (returns False).

    The project runs on PostgreSQL and SQLite, both of which know ON CONFLICT DO NOTHING.
    """
    values = {
        "channel": channel,
        "destination": destination,
        "text": text,
        "idempotency_key": key,
        "sent_at": at,
    }
    with factory() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            done = session.execute(
                postgresql.insert(PortLog).values(values).on_conflict_do_nothing()
            )
        else:
            done = session.execute(sqlite.insert(PortLog).values(values).on_conflict_do_nothing())
        return bool(cast("CursorResult[Any]", done).rowcount)


def listing(session: Session, page: PageParams, channel: str | None = None) -> Page[PortLog]:
    """Logged messages newest first, optionally of one channel."""
    stmt = select(PortLog)
    if channel:
        stmt = stmt.where(PortLog.channel == channel)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(PortLog.id.desc()).offset(page.offset).limit(page.size)
    ).all()
    return Page(items=list(rows), total=total, page=page.page, size=page.size)
