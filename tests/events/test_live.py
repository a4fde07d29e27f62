"""The live hub: committed events reach the subscribers of this process, a slow subscriber is
bounded, and on PostgreSQL another process hears them through LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

from tests.events.helpers import committing_factory
from yiyang.events import live
from yiyang.events.bus import publish
from yiyang.events.live import Hub, Subscription
from yiyang.events.types import Actor, DomainEvent, event_type

T = TypeVar("T")
AT = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


@event_type("test.live_ping", "test_ping")
class Ping(DomainEvent):
    """A test event: shared with the hub as its number and street."""

    number: int
    street_id: int | None = None
    secret: str = "not for the screens"

    def entity_id(self) -> int | None:
        return self.number


live.share(Ping, lambda e: {"number": e.number, "street_id": e.street_id})


def ping(number: int, street_id: int | None = None) -> Ping:
    return Ping(occurred_at=AT, actor=Actor.of(None), number=number, street_id=street_id)


@pytest.fixture
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Committing sessions (the hub hears only what is committed)."""
    yield from committing_factory(engine)


def _commit(factory: sessionmaker[Session], *events: Ping) -> None:
    with factory() as s, s.begin():
        for e in events:
            publish(s, e)


def _everything(_envelope: live.Envelope) -> bool:
    return True


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a loop of its own thread: a browser test earlier in the run may
    leave the main thread's event loop running (Playwright's sync API)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_the_envelope_carries_what_is_shared_and_no_more() -> None:
    envelope = live.envelope_of(ping(7, street_id=3))
    assert envelope is not None
    assert envelope["type"] == "test.live_ping" and envelope["number"] == 7
    assert envelope["street_id"] == 3 and envelope["origin"] == live.ORIGIN
    assert "secret" not in envelope and "not for the screens" not in str(envelope)


def test_a_committed_event_reaches_every_subscriber_and_a_rolled_back_one_none(
    factory: sessionmaker[Session],
) -> None:
    async def run() -> list[list[int]]:
        hub = Hub()
        first, second = hub.subscribe(_everything), hub.subscribe(_everything)
        with factory() as s:
            publish(s, ping(1))
            s.rollback()
        await asyncio.to_thread(_commit, factory, ping(2), ping(3))
        got = []
        for sub in (first, second):
            numbers = []
            while (envelope := await sub.next(0.5)) is not None:
                numbers.append(envelope["number"])
            got.append(numbers)
        return got

    assert _run(run()) == [[2, 3], [2, 3]]


def test_a_subscriber_gets_only_what_its_filter_wants(factory: sessionmaker[Session]) -> None:
    async def run() -> list[int]:
        hub = Hub()
        street_one = hub.subscribe(lambda e: e.get("street_id") == 1)
        await asyncio.to_thread(_commit, factory, ping(1, 1), ping(2, 2), ping(3, 1))
        numbers = []
        while (envelope := await street_one.next(0.3)) is not None:
            numbers.append(envelope["number"])
        return numbers

    assert _run(run()) == [1, 3]


def test_a_slow_subscriber_is_bounded_and_told_to_resync() -> None:
    async def run() -> tuple[int, int, list[str]]:
        hub = Hub()
        slow = hub.subscribe(_everything)
        for n in range(live.QUEUE_SIZE + 25):
            slow.offer({"id": str(n), "type": "test.live_ping", "number": n})
        size, dropped = slow.queue.qsize(), slow.dropped
        stream = live.sse(slow, hub, heartbeat_s=0.05)
        chunks = [await anext(stream) for _ in range(3)]
        await stream.aclose()
        return size, dropped, chunks

    size, dropped, chunks = _run(run())
    assert size == live.QUEUE_SIZE and dropped == 25
    assert chunks[0] == "retry: 3000\n\n"
    assert chunks[1].startswith("event: resync")  # it fell behind: reload, not replay
    assert chunks[2] == live.BEAT  # the queue was emptied; then the heartbeat, an event


def test_the_stream_names_each_message_and_forgets_a_closed_connection() -> None:
    async def run() -> tuple[list[str], int]:
        hub = Hub()
        sub = hub.subscribe(_everything)
        stream = live.sse(sub, hub, heartbeat_s=5, retry_ms=1500, resume=True)
        sub.offer({"id": "e-1", "type": "alarm.raised", "alarm": {"id": 4}})
        chunks = [await anext(stream) for _ in range(3)]
        await stream.aclose()
        return chunks, len(hub.subscriptions)

    chunks, left = _run(run())
    assert chunks[0] == "retry: 1500\n\n"
    assert chunks[1].startswith("event: resync")  # Last-Event-ID: the screen reloads
    assert (
        chunks[2]
        == 'id: e-1\nevent: alarm.raised\ndata: {"id":"e-1","type":"alarm.raised","alarm":{"id":4}}\n\n'
    )
    assert left == 0


def test_a_subscription_whose_loop_closed_is_dropped() -> None:
    loop = asyncio.new_event_loop()
    hub = Hub()
    hub.subscriptions.add(Subscription(wants=_everything, loop=loop))
    loop.close()
    hub.fan_out([{"id": "x", "type": "test.live_ping"}])
    assert hub.subscriptions == set()


@pytest.mark.postgres_only
def test_another_process_hears_committed_events_through_notify(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    dsn = live.listen_url(engine.url)
    assert dsn is not None and dsn.startswith("postgresql://")

    async def run() -> tuple[list[int], int]:
        # A hub of "another web process": its own LISTEN connection, not fed in-process.
        other = Hub(dsn=dsn, origin="another-process")
        live._HUBS.discard(other)
        sub = other.subscribe(_everything)
        await asyncio.wait_for(other.ready.wait(), 10)

        def rolled_back() -> None:
            with factory() as s:
                publish(s, ping(1))
                s.flush()
                s.rollback()

        await asyncio.to_thread(rolled_back)
        await asyncio.to_thread(_commit, factory, ping(2), ping(3))
        numbers = []
        while (envelope := await sub.next(1.0)) is not None:
            numbers.append(envelope["number"])
        await other.close()
        return numbers, other.received

    numbers, received = _run(run())
    assert numbers == [2, 3]  # the rolled-back one was never notified
    assert received >= 2


@pytest.mark.postgres_only
def test_a_transactions_events_are_notified_in_one_statement_at_commit(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    statements: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    def three_and_a_savepoint_rolled_back() -> None:
        with factory() as s, s.begin():
            publish(s, ping(7))
            with s.begin_nested() as savepoint:
                publish(s, ping(8))
                savepoint.rollback()
            publish(s, ping(9))
            publish(s, ping(10))

    async def run() -> list[int]:
        other = Hub(dsn=live.listen_url(engine.url), origin="another-process")
        live._HUBS.discard(other)
        sub = other.subscribe(_everything)
        await asyncio.wait_for(other.ready.wait(), 10)
        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            await asyncio.to_thread(three_and_a_savepoint_rolled_back)
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
        numbers = []
        while (envelope := await sub.next(1.0)) is not None:
            numbers.append(envelope["number"])
        await other.close()
        return numbers

    assert _run(run()) == [7, 9, 10]
    assert sum("pg_notify" in q for q in statements) == 1


@pytest.mark.postgres_only
def test_a_process_does_not_hear_its_own_notifications_twice(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")

    async def run() -> list[int]:
        hub = Hub(dsn=live.listen_url(engine.url))
        sub = hub.subscribe(_everything)
        await asyncio.wait_for(hub.ready.wait(), 10)
        await asyncio.to_thread(_commit, factory, ping(5))
        numbers = []
        while (envelope := await sub.next(1.0)) is not None:
            numbers.append(envelope["number"])
        await hub.close()
        return numbers

    assert _run(run()) == [5]


def test_a_process_that_only_raises_alarms_shares_and_notifies_them() -> None:
    """The ingest and worker processes import no console: alarm events still go live."""
    import subprocess
    import sys

    probe = (
        "from datetime import UTC, datetime\n"
        "from yiyang.alarms.events import AlarmRaised, AlarmSnapshot\n"
        "from yiyang.events import live\n"
        "from yiyang.events.bus import BUS\n"
        "from yiyang.events.types import Actor\n"
        "import sys\n"
        "at = datetime(2026, 11, 23, tzinfo=UTC)\n"
        "snap = AlarmSnapshot(id=1, type='sos', severity=4, status='queued', elder_id=2,"
        " device_id=None, order_id=None, street_id=3, community_id=4, raised_at=at,"
        " acknowledged=False, cleared=False, escalation=0, repeats=0)\n"
        "e = AlarmRaised(occurred_at=at, actor=Actor.of(None), alarm=snap, action='raised')\n"
        "env = live.envelope_of(e)\n"
        "assert env is not None and env['alarm']['id'] == 1, env\n"
        "assert live._notify in BUS.commit_hooks\n"
        "assert 'yiyang.console' not in ' '.join(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
