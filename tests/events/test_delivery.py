"""Outbox delivery on a fake clock: retries with back-off, dead letter, leases, idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import FakeClock
from tests.events.helpers import committing_factory
from yiyang.errors import Conflict
from yiyang.events import delivery, outbox
from yiyang.events.delivery import Claim, DeliveryPolicy, Undeliverable
from yiyang.events.models import OutboxMessage
from yiyang.events.rules import RetryPolicy

POLICY = DeliveryPolicy(
    retry=RetryPolicy(max_attempts=3, base_seconds=10, cap_seconds=60), lease=timedelta(seconds=30)
)


@pytest.fixture
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Committing sessions: each delivery step is its own transaction."""
    yield from committing_factory(engine)


def _add(factory: sessionmaker[Session], clock: FakeClock, key: str = "k1") -> int:
    with factory() as s, s.begin():
        message = outbox.enqueue(
            s, channel="sms", destination="13800000000", payload={"text": "hi"},
            idempotency_key=key, now=clock.now,
        )  # fmt: skip
        s.flush()
        return message.id


def _get(factory: sessionmaker[Session], message_id: int) -> OutboxMessage:
    with factory() as s:
        return s.get_one(OutboxMessage, message_id)


def _run(factory: sessionmaker[Session], clock: FakeClock, fn: delivery.Deliverer) -> int:
    return delivery.deliver_due(factory, clock, {"sms": fn}, POLICY, rand=lambda: 0.0)


def test_a_message_is_delivered_once_with_its_key(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    seen: list[Claim] = []
    message_id = _add(factory, clock)
    assert _run(factory, clock, seen.append) == 1
    assert _run(factory, clock, seen.append) == 0
    assert [c.idempotency_key for c in seen] == ["k1"]
    done = _get(factory, message_id)
    assert done.state == "delivered" and done.delivered_at == clock.now and done.attempts == 1
    assert done.leased_until is None


def test_a_failed_try_waits_with_back_off_then_the_message_gives_up(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    keys: list[str] = []

    def refuse(claim: Claim) -> None:
        keys.append(claim.idempotency_key)
        raise ConnectionError("receiver down")

    message_id = _add(factory, clock)
    start = clock.now
    assert _run(factory, clock, refuse) == 0
    waiting = _get(factory, message_id)
    assert waiting.state == "pending" and waiting.attempts == 1
    assert waiting.next_attempt_at == start + timedelta(seconds=5)
    assert waiting.last_error == "ConnectionError: receiver down"
    clock.advance(seconds=4)
    _run(factory, clock, refuse)
    assert len(keys) == 1  # not due yet
    clock.advance(seconds=1)
    _run(factory, clock, refuse)
    second = _get(factory, message_id)
    assert second.attempts == 2 and second.next_attempt_at == clock.now + timedelta(seconds=10)
    clock.advance(seconds=10)
    _run(factory, clock, refuse)
    dead = _get(factory, message_id)
    assert dead.state == "dead" and dead.dead_at == clock.now and dead.attempts == 3
    clock.advance(hours=1)
    _run(factory, clock, refuse)
    assert keys == ["k1", "k1", "k1"]


def test_an_undeliverable_message_gives_up_at_once(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    def gone(claim: Claim) -> None:
        raise Undeliverable("subscription removed")

    message_id = _add(factory, clock)
    _run(factory, clock, gone)
    dead = _get(factory, message_id)
    assert (
        dead.state == "dead"
        and dead.attempts == 1
        and "subscription removed" in (dead.last_error or "")
    )


def test_a_message_of_an_unknown_channel_gives_up(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    message_id = _add(factory, clock)
    delivery.deliver_due(factory, clock, {}, POLICY)
    assert _get(factory, message_id).state == "dead"


def test_a_worker_that_died_mid_delivery_is_replaced_once_the_lease_expires(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    seen: list[Claim] = []
    message_id = _add(factory, clock)
    lost = delivery._claim(factory, clock.now, POLICY)  # the worker dies after claiming
    assert lost is not None
    leased = _get(factory, message_id)
    assert leased.state == "delivering" and leased.leased_until == clock.now + POLICY.lease
    clock.advance(seconds=29)
    assert _run(factory, clock, seen.append) == 0  # still leased
    clock.advance(seconds=1)
    assert _run(factory, clock, seen.append) == 1
    assert seen[0].idempotency_key == lost.idempotency_key and seen[0].attempts == 2
    assert seen[0].lease_token != lost.lease_token
    # the first worker's late outcome is ignored: the message stays delivered
    delivery._settle(factory, lost, clock.now, POLICY, ConnectionError("late"), lambda: 0.0)
    assert _get(factory, message_id).state == "delivered"


def test_a_message_whose_every_try_lost_its_worker_gives_up(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    message_id = _add(factory, clock)
    for _ in range(POLICY.retry.max_attempts):
        assert delivery._claim(factory, clock.now, POLICY) is not None
        clock.advance(seconds=31)
    assert delivery._claim(factory, clock.now, POLICY) is None
    dead = _get(factory, message_id)
    assert dead.state == "dead" and "lease expired" in (dead.last_error or "")


def test_retry_gives_a_dead_message_fresh_tries(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    def gone(claim: Claim) -> None:
        raise Undeliverable("no")

    message_id = _add(factory, clock)
    _run(factory, clock, gone)
    with factory() as s, s.begin():
        outbox.retry(s, message_id, now=clock.now)
    again = _get(factory, message_id)
    assert again.state == "pending" and again.attempts == 0 and again.dead_at is None
    assert _run(factory, clock, lambda claim: None) == 1
    with factory() as s, s.begin(), pytest.raises(Conflict):
        outbox.retry(s, message_id, now=clock.now)


def test_messages_go_out_oldest_due_first(factory: sessionmaker[Session], clock: FakeClock) -> None:
    seen: list[str] = []
    for key in ("a", "b", "c"):
        _add(factory, clock, key)
        clock.advance(seconds=1)
    assert _run(factory, clock, lambda c: seen.append(c.idempotency_key)) == 3
    with factory() as s:
        assert set(s.scalars(select(OutboxMessage.state))) == {"delivered"}
    assert seen == ["a", "b", "c"]
