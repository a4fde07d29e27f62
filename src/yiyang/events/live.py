"""The live hub: committed events fanned out to the open screens (server-sent events).

A domain (or the console) says which events are live and what small envelope each one
carries with `share(EventClass, envelope)`: ids, type and a snapshot, no names, phone numbers
or health data, since the envelope travels through PostgreSQL and to every open console.

- In this process: an after-commit listener on the bus hands the envelopes of each committed
  transaction to every hub; a hub gives each subscriber (one browser connection) a bounded
  queue on the subscriber's own event loop, so a slow browser loses events (and is told to
  reload what it shows) instead of growing memory.
- Across processes (PostgreSQL): the same envelopes are sent with `pg_notify` inside the
  transaction of the change (all of them in one statement just before it commits), which
  PostgreSQL delivers when, and only if, it commits. A web
  process that has subscribers keeps one LISTEN connection (psycopg 3 `notifies()`), and
  reconnects when it drops. Each envelope names the process that made it, so a process does
  not fan its own events out twice. Ingest and worker processes only notify.
- On SQLite (the embedded demo) everything runs in one process and nothing is notified.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from sqlalchemy import text
from sqlalchemy.orm import Session

from yiyang.events.bus import BUS
from yiyang.events.types import DomainEvent

log = logging.getLogger(__name__)

CHANNEL = "yiyang_live"
QUEUE_SIZE = 100  # envelopes waiting per browser connection before it is told to resync
MAX_NOTIFY_BYTES = 7900  # PostgreSQL refuses a payload of 8000 bytes or more
RECONNECT_S = (0.5, 1.0, 2.0, 5.0, 10.0)
NOTIFY_CHUNK = 100  # NOTIFYs sent in one statement
LISTEN_CHECK_S = 30.0  # an idle LISTEN connection is probed this often
ORIGIN = f"{os.getpid()}-{uuid4().hex[:8]}"  # this process, in every envelope it sends

Envelope = dict[str, Any]
Shaper = Callable[[Any], Envelope]
Scope = Callable[[Envelope], bool]

_SHAPERS: list[tuple[type[DomainEvent], Shaper]] = []
_HUBS: weakref.WeakSet[Hub] = weakref.WeakSet()

HEARTBEAT_S = 15.0  # a stream with nothing to say sends BEAT this often
BEAT = "event: beat\ndata: {}\n\n"  # an event, not a comment: a page hears it and so knows
# a silently cut stream (a proxy, a sleeping network) from a quiet one


def share(event_class: type[DomainEvent], shaper: Shaper) -> None:
    """Make events of this class (and its subclasses) live, carried as `shaper(event)`."""
    _SHAPERS.append((event_class, shaper))


def envelope_of(event: DomainEvent) -> Envelope | None:
    """The live envelope of an event, or None when no one shares its class."""
    for cls, shaper in _SHAPERS:
        if isinstance(event, cls):
            return {"id": str(event.id), "type": event.TYPE, "origin": ORIGIN} | shaper(event)
    return None


@dataclass(eq=False)
class Subscription:
    """One browser connection: its bounded queue, its filter, and whether it fell behind."""

    wants: Scope
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Envelope] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    lagged: bool = False  # envelopes were dropped: the screen must reload what it shows
    dropped: int = 0

    def offer(self, envelope: Envelope) -> None:
        """Queue an envelope (on the subscription's loop); a full queue drops it and marks lag."""
        if not self.wants(envelope):
            return
        try:
            self.queue.put_nowait(envelope)
        except asyncio.QueueFull:
            self.lagged = True
            self.dropped += 1

    async def next(self, timeout: float) -> Envelope | None:
        """The next envelope, or None when nothing came within `timeout` seconds."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None


@dataclass(eq=False)
class Hub:
    """The subscribers of one web app, and its LISTEN connection on PostgreSQL."""

    dsn: str | None = None  # a libpq URL when the database is PostgreSQL, else None
    origin: str = ORIGIN  # envelopes from this origin came in-process already
    subscriptions: set[Subscription] = field(default_factory=set)
    listening: asyncio.Task[None] | None = None
    received: int = 0  # envelopes that came from other processes
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # LISTEN is in place

    def __post_init__(self) -> None:
        _HUBS.add(self)

    def subscribe(self, wants: Scope) -> Subscription:
        """A new subscription on the running loop; starts listening on the first one."""
        loop = asyncio.get_running_loop()
        sub = Subscription(wants=wants, loop=loop)
        self.subscriptions.add(sub)
        if self.dsn and (self.listening is None or self.listening.done()):
            self.listening = loop.create_task(self._listen(self.dsn))
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a closed connection."""
        self.subscriptions.discard(sub)

    def fan_out(self, envelopes: list[Envelope]) -> None:
        """Hand envelopes to every subscriber on its own loop (callable from any thread)."""
        for sub in list(self.subscriptions):
            for envelope in envelopes:
                try:
                    sub.loop.call_soon_threadsafe(sub.offer, envelope)
                except RuntimeError:  # the loop closed under a connection that never ended
                    self.subscriptions.discard(sub)
                    break

    async def _listen(self, dsn: str) -> None:
        """LISTEN on the channel and fan out other processes' envelopes; reconnect on failure."""
        import psycopg

        attempt = 0
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
            except psycopg.OperationalError as exc:
                wait = RECONNECT_S[min(attempt, len(RECONNECT_S) - 1)]
                log.warning("live hub cannot connect (%s); again in %s s", exc, wait)
                attempt += 1
                await asyncio.sleep(wait)
                continue
            attempt = 0
            try:
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    while True:
                        async for note in conn.notifies(timeout=LISTEN_CHECK_S):
                            self._received(note.payload)
                        await conn.execute("SELECT 1")  # a dead connection fails here
            except psycopg.OperationalError as exc:
                self.ready.clear()
                log.warning("live hub lost its LISTEN connection (%s); reconnecting", exc)
                await asyncio.sleep(RECONNECT_S[0])

    def _received(self, payload: str) -> None:
        try:
            envelope = json.loads(payload)
        except ValueError:
            log.warning("live hub ignored a payload that is not JSON")
            return
        if not isinstance(envelope, dict) or envelope.get("origin") == self.origin:
            return
        self.received += 1
        self.fan_out([envelope])

    async def close(self) -> None:
        """Stop listening (the app is shutting down)."""
        if self.listening is not None:
            self.listening.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.listening
            self.listening = None


def listen_url(url: Any) -> str | None:
    """The libpq URL of a SQLAlchemy URL on PostgreSQL (None on any other database)."""
    if url.get_backend_name() != "postgresql":
        return None
    plain: str = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return plain


@BUS.on_commit
def _committed(events: list[DomainEvent]) -> None:
    """After each commit: the live envelopes of its events to every hub of this process."""
    envelopes = [e for e in map(envelope_of, events) if e is not None]
    if envelopes:
        for hub in list(_HUBS):
            hub.fan_out(envelopes)


@BUS.before_commit
def _notify(session: Session, events: list[DomainEvent]) -> None:
    """On PostgreSQL, a NOTIFY per live envelope of the transaction, all in one statement just
    before it commits (PostgreSQL sends them only if it does)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    payloads = []
    for event in events:
        envelope = envelope_of(event)
        if envelope is None:
            continue
        payload = json.dumps(envelope, separators=(",", ":"), default=str)
        if len(payload.encode()) > MAX_NOTIFY_BYTES:
            log.warning(
                "live envelope of %s too large to notify (%s bytes)", event.TYPE, len(payload)
            )
            continue
        payloads.append(payload)
    for first in range(0, len(payloads), NOTIFY_CHUNK):
        chunk = payloads[first : first + NOTIFY_CHUNK]
        calls = ", ".join(f"pg_notify(:channel, :p{i})" for i in range(len(chunk)))
        params = {"channel": CHANNEL} | {f"p{i}": p for i, p in enumerate(chunk)}
        session.execute(text(f"SELECT {calls}"), params)


async def sse(
    sub: Subscription,
    hub: Hub,
    *,
    heartbeat_s: float = HEARTBEAT_S,
    retry_ms: int = 3000,
    resume: bool = False,
) -> AsyncIterator[str]:
    """The text/event-stream of a subscription: `retry:`, heartbeats, one message per envelope.

    A reconnecting browser (Last-Event-ID, `resume`) or one that fell behind gets a `resync`
    event: it reloads what it shows rather than replaying what it missed.
    """
    try:
        yield f"retry: {retry_ms}\n\n"
        if resume:
            yield "event: resync\ndata: {}\n\n"
        while True:
            envelope = await sub.next(heartbeat_s)
            if sub.lagged:
                sub.lagged = False
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                yield "event: resync\ndata: {}\n\n"
                continue
            if envelope is None:
                yield BEAT
                continue
            data = json.dumps(envelope, separators=(",", ":"), default=str)
            yield f"id: {envelope['id']}\nevent: {envelope['type']}\ndata: {data}\n\n"
    finally:
        hub.unsubscribe(sub)
