"""Write outbox messages in the caller's transaction; list and retry them for the admin page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, NotFound
from yiyang.events.models import OutboxMessage
from yiyang.events.types import DomainEvent
from yiyang.kit.pagination import Page, PageParams

PENDING, DELIVERING, DELIVERED, DEAD = "pending", "delivering", "delivered", "dead"
STATES = (PENDING, DELIVERING, DELIVERED, DEAD)
CHANNELS = ("sms", "voice", "webhook")


def enqueue(
    session: Session,
    *,
    channel: str,
    destination: str,
    payload: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    event: DomainEvent | None = None,
) -> OutboxMessage:
    """Add a message sent after commit; the same key twice gives back the first message."""
    found = session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if found is not None:
        return found
    message = OutboxMessage(
        idempotency_key=idempotency_key,
        channel=channel,
        destination=destination,
        payload=payload,
        event_id=event.id if event else None,
        event_type=event.TYPE if event else None,
        state=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


@dataclass(frozen=True)
class OutboxFilter:
    """What the admin page filters by (all optional)."""

    state: str | None = None
    channel: str | None = None
    search: str | None = None


def listing(session: Session, flt: OutboxFilter, page: PageParams) -> Page[OutboxMessage]:
    """Messages newest first, filtered by state, channel and key or destination."""
    stmt = select(OutboxMessage)
    if flt.state:
        stmt = stmt.where(OutboxMessage.state == flt.state)
    if flt.channel:
        stmt = stmt.where(OutboxMessage.channel == flt.channel)
    if flt.search:
        like = f"%{flt.search}%"
        stmt = stmt.where(
            or_(OutboxMessage.idempotency_key.like(like), OutboxMessage.destination.like(like))
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(OutboxMessage.id.desc()).offset(page.offset).limit(page.size)
    ).all()
    return Page(items=list(rows), total=total, page=page.page, size=page.size)


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each state."""
    rows = session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    ).tuples()
    found = {state: n for state, n in rows}
    return {state: found.get(state, 0) for state in STATES}


def retry(session: Session, message_id: int, *, now: datetime) -> OutboxMessage:
    """Give a dead or waiting message a fresh set of tries, due now (the caller audits it)."""
    message = session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
    )
    if message is None:
        raise NotFound(N_("Message %(id)s not found."), id=message_id)
    if message.state not in (DEAD, PENDING):
        raise Conflict(
            N_("Only a message that is waiting or gave up can be tried again."),
            code="outbox_not_retryable",
        )
    message.state, message.attempts, message.next_attempt_at = PENDING, 0, now
    message.dead_at = None
    return message
