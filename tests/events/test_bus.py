"""Publishing stores the event and runs subscribers in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import FakeClock
from tests.events.helpers import committing_factory, event
from yiyang.events import bus, outbox
from yiyang.events.bus import Bus
from yiyang.events.models import DomainEventRow, OutboxMessage
from yiyang.events.types import DomainEvent
from yiyang.orders.events import CaregiverAssigned, OrderEvent, VisitCheckedIn


@pytest.fixture
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Committing sessions (after-commit listeners need a real commit)."""
    yield from committing_factory(engine)


def _texting_bus() -> Bus:
    """A bus whose one subscriber writes an outbox row for every order event."""
    local = Bus()

    @local.subscribe(OrderEvent)
    def write_message(session: Session, e: OrderEvent) -> None:
        outbox.enqueue(
            session, channel="sms", destination="13800000000", payload={"text": e.TYPE},
            idempotency_key=f"t:{e.id}", now=e.occurred_at, event=e,
        )  # fmt: skip

    return local


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_event_row_and_subscriber_rows_are_written_together(db: Session, clock: FakeClock) -> None:
    e = event(CaregiverAssigned, 1, clock.now)
    row = bus.publish(db, e, bus=_texting_bus())
    db.flush()
    stored = db.scalar(select(DomainEventRow).where(DomainEventRow.id == e.id))
    assert stored is row and stored.type == "order.caregiver_assigned"
    assert stored.actor_kind == "system" and stored.actor_name == "platform"
    assert stored.entity == "order" and stored.entity_id == 1
    assert stored.payload["order"]["status"] == "assigned"
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.event_id == e.id))
    assert message is not None and message.event_type == "order.caregiver_assigned"
    assert message.state == "pending" and message.next_attempt_at == clock.now


def test_a_rolled_back_change_takes_its_events_and_messages_with_it(
    db: Session, clock: FakeClock
) -> None:
    before = (_count(db, DomainEventRow), _count(db, OutboxMessage))
    with pytest.raises(RuntimeError), db.begin_nested():
        bus.publish(db, event(CaregiverAssigned, 2, clock.now), bus=_texting_bus())
        db.flush()
        raise RuntimeError("the change failed")
    assert (_count(db, DomainEventRow), _count(db, OutboxMessage)) == before


def test_subscribers_get_only_the_classes_they_asked_for(db: Session, clock: FakeClock) -> None:
    local = Bus()
    seen: list[str] = []
    local.subscribe(VisitCheckedIn)(lambda s, e: seen.append(e.TYPE))
    local.subscribe(OrderEvent)(lambda s, e: seen.append("any:" + e.TYPE))
    bus.publish(db, event(CaregiverAssigned, 3, clock.now), bus=local)
    bus.publish(db, event(VisitCheckedIn, 3, clock.now), bus=local)
    assert seen == ["any:order.caregiver_assigned", "visit.checked_in", "any:visit.checked_in"]


def test_the_next_event_about_a_record_in_a_transaction_knows_its_cause(
    db: Session, clock: FakeClock
) -> None:
    local = Bus()
    first = event(CaregiverAssigned, 4, clock.now)
    bus.publish(db, first, bus=local)
    assert bus.last_event_of(db, "order", 4) == first.id
    assert bus.last_event_of(db, "order", 5) is None


def test_listeners_hear_committed_events_only(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    local = Bus()
    heard: list[list[DomainEvent]] = []
    local.on_commit(heard.append)
    kept, dropped, nested = (event(CaregiverAssigned, n, clock.now) for n in (6, 7, 8))
    with factory() as s:
        bus.publish(s, dropped, bus=local)
        s.rollback()
        bus.publish(s, kept, bus=local)
        with pytest.raises(RuntimeError), s.begin_nested():
            bus.publish(s, nested, bus=local)
            raise RuntimeError("savepoint rolled back")
        assert heard == []
        s.commit()
    assert heard == [[kept]]
    with factory() as s:
        assert s.scalars(select(DomainEventRow.id)).all() == [kept.id]
        # the savepoint's event no longer counts as the cause of what comes next
        assert bus.last_event_of(s, "order", 8) is None


def test_a_failing_listener_does_not_undo_the_commit(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    local = Bus()

    @local.on_commit
    def broken(events: list[DomainEvent]) -> None:
        raise RuntimeError("screen gone")

    e = event(CaregiverAssigned, 9, clock.now)
    with factory() as s:
        bus.publish(s, e, bus=local)
        s.commit()
    with factory() as s:
        assert s.scalar(select(DomainEventRow.id).where(DomainEventRow.id == e.id)) == e.id


def test_enqueue_with_a_known_key_gives_back_the_first_message(
    db: Session, clock: FakeClock
) -> None:
    kw = {"channel": "sms", "destination": "1", "idempotency_key": "same-key", "now": clock.now}
    first = outbox.enqueue(db, payload={"text": "a"}, **kw)  # type: ignore[arg-type]
    again = outbox.enqueue(db, payload={"text": "b"}, **kw)  # type: ignore[arg-type]
    assert again is first and first.payload == {"text": "a"}
