"""Events and committing sessions for the event and outbox tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from yiyang.db import Base, make_session_factory
from yiyang.events.models import DomainEventRow, OutboxMessage
from yiyang.events.types import Actor
from yiyang.orders.events import OrderEvent, OrderSnapshot
from yiyang.ports.models import PortLog, WebhookSubscription


def snapshot(order_id: int, start: datetime) -> OrderSnapshot:
    """An order snapshot that needs no order row (events do not refer to rows by key)."""
    return OrderSnapshot(
        id=order_id, elder_id=1, item_id=1, status="assigned", previous_status="org_accepted",
        service_date=date(2026, 11, 23), window_start_at=start,
        window_end_at=start + timedelta(hours=1), planned_start_at=None, provider_id=None,
        staff_id=None, channel="app",
    )  # fmt: skip


def event(cls: type[OrderEvent], order_id: int, at: datetime) -> OrderEvent:
    """An event of a type about an order, caused by the platform."""
    return cls(occurred_at=at, actor=Actor.of(None), order=snapshot(order_id, at))


def committing_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit; the event, outbox and port tables are emptied around."""
    factory = make_session_factory(engine)

    def empty() -> None:
        with factory() as s, s.begin():
            for table in (OutboxMessage, DomainEventRow, PortLog, WebhookSubscription):
                s.execute(delete(table))

    empty()
    yield factory
    empty()


def wipe(engine: Engine) -> None:
    """Empty every table: for tests that commit a whole district (others expect none)."""
    with make_session_factory(engine)() as s, s.begin():
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(table.delete())
