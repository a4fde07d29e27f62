"""The big screen's one aggregator: fed by domain events, it keeps the district picture and
fans deltas out to every open screen, so nothing queries the database per viewer.

The aggregator is one subscriber of the app's live hub (events/live.py: in-process on
SQLite, LISTEN/NOTIFY across processes on PostgreSQL). An order or alarm envelope carries
ids only; the aggregator reads the changed rows once (for all viewers), updates its picture
and offers each viewer its cut of the change. The whole picture is read again every
`screen_refresh_seconds` while events go on being applied (those that came meanwhile are read
again into the new picture), and every screen is sent the new snapshot, encoded once per
cut. A viewer that falls behind, or a browser that reconnects, gets the whole snapshot
again; browsers retry after a jittered delay so a restart brings no storm. A process just
started begins from the picture the last one kept in the database (kept.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from yiyang.alarms.handling.rules import day_start
from yiyang.config import Settings
from yiyang.console.screen import kept, picture, view
from yiyang.db import unit_of_work
from yiyang.events import live
from yiyang.events.live import Envelope, Hub, Subscription
from yiyang.kit.localtime import local_today

log = logging.getLogger(__name__)

VIEWER_QUEUE = 50  # deltas waiting per screen before it is sent the snapshot again
BATCH_S = 0.15  # events arriving this close together are read in one go
TICK_S = 5.0  # answer-time shares move with the clock: KPIs are sent again this often
RETRY_MS = (2000, 6000)  # a browser reconnects after a random delay in this range
SNAPSHOT_REUSE_S = 1.0  # an encoded snapshot serves the screens asking this soon after


def _wanted(envelope: Envelope) -> bool:
    return isinstance(envelope.get("order"), dict) or isinstance(envelope.get("alarm"), dict)


@dataclass(eq=False)
class Viewer:
    """One open screen: its streets and a bounded queue of deltas."""

    streets: view.Streets
    queue: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(VIEWER_QUEUE)
    )
    behind: bool = False

    def offer(self, message: dict[str, Any]) -> None:
        """Queue a delta; a full queue means the screen reloads the snapshot instead."""
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.behind = True


@dataclass(eq=False)
class Aggregator:
    """The district picture of one web app and the screens watching it."""

    factory: sessionmaker[Session]
    settings: Settings
    clock: Callable[[], datetime]
    hub: Hub
    viewers: set[Viewer] = field(default_factory=set)
    slow: dict[str, Any] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    alarms: dict[int, dict[str, Any]] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    loaded: asyncio.Event = field(default_factory=asyncio.Event)
    reads: int = 0  # database reads made (one per batch of events, whatever the viewers)
    _slow_at: float = 0.0
    _sub: Subscription | None = None
    _refreshing: asyncio.Task[None] | None = None
    _touched: tuple[set[int], set[int]] | None = None  # read while a refresh reads
    _encoded: dict[frozenset[int] | None, tuple[float, str]] = field(default_factory=dict)

    def start(self) -> None:
        """Subscribe to the hub and run the loop (once, on the first screen)."""
        if self.task is None or self.task.done():
            self._sub = self.hub.subscribe(_wanted)
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """Stop (the app is shutting down)."""
        for task in (self.task, self._refreshing):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._sub is not None:
            self.hub.unsubscribe(self._sub)

    def _read(self, fn: Callable[[Session], Any]) -> Any:
        self.reads += 1
        with self.factory() as session:
            return fn(session)

    def _read_picture(
        self, slow: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[int, Any], dict[int, Any]]:
        """Today's orders and alarms, and the slow part read again and kept (unless given)."""
        now = self.clock()
        if slow is None:
            kept_slow = self.slow or None
            slow = self._read(lambda s: picture.slow(s, self.settings, now, kept_slow))
            self._keep(slow, now)
        orders = self._read(lambda s: picture.orders_today(s, local_today(now)))
        alarms = self._read(lambda s: picture.alarms_since(s, day_start(now)))
        return slow, orders, alarms

    def _keep(self, slow: dict[str, Any], now: datetime) -> None:
        """Keep the slow part for the next process; a failure costs the next one a read."""
        try:
            with unit_of_work(self.factory) as session:
                kept.keep(session, slow, now)
        except Exception:
            log.exception("big screen: keeping the district picture failed")

    def _kept(self) -> tuple[dict[str, Any], float]:
        """The picture an earlier process kept today, and its age in seconds."""
        now = self.clock()
        try:
            return self._read(lambda s: kept.of_today(s, now))
        except Exception:
            log.exception("big screen: reading the kept district picture failed")
            return {}, 0.0

    def _load_all(self, slow: dict[str, Any] | None = None, age: float = 0.0) -> None:
        self.slow, self.orders, self.alarms = self._read_picture(slow)
        self._slow_at = time.monotonic() - age
        self._encoded.clear()

    def _load_first(self) -> None:
        """This process's first picture: the one kept today (read again when its interval
        runs out, at the first tick if it ran out already), otherwise read from the register."""
        slow, age = self._kept()
        self._load_all(slow or None, age)

    async def _run(self) -> None:
        assert self._sub is not None
        await asyncio.to_thread(self._load_first)
        self.loaded.set()
        next_tick = time.monotonic() + TICK_S
        while True:
            envelope = await self._sub.next(max(0.05, next_tick - time.monotonic()))
            if self._sub.lagged:
                self._sub.lagged = False
                await self._reload()
                continue
            if envelope is not None:
                await asyncio.sleep(BATCH_S)
                batch = [envelope]
                while not self._sub.queue.empty():
                    batch.append(self._sub.queue.get_nowait())
                try:
                    await self._apply(batch)
                except Exception:  # a failed read must not end every screen's stream
                    log.exception("big screen: applying %s events failed", len(batch))
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + TICK_S
                due = time.monotonic() - self._slow_at >= self.settings.screen_refresh_seconds
                if due and (self._refreshing is None or self._refreshing.done()):
                    self._refreshing = asyncio.get_running_loop().create_task(self._refresh())
                else:
                    self._send([], [], [])

    async def _reload(self) -> None:
        """Read the whole picture again, events waiting (a lag, a new day)."""
        try:
            await asyncio.to_thread(self._load_all)
        except Exception:
            log.exception("big screen: reading the district picture failed")
            return
        self._resync()

    async def _refresh(self) -> None:
        """The periodic read of the whole picture, while events go on being applied: the
        orders and alarms they touched meanwhile are read again into the new picture."""
        self._touched = (set(), set())
        try:
            slow, orders, alarms = await asyncio.to_thread(self._read_picture)
        except Exception:
            log.exception("big screen: reading the district picture failed")
            return
        finally:
            touched, self._touched = self._touched, None
        self.slow, self.orders, self.alarms = slow, orders, alarms
        self._slow_at = time.monotonic()
        self._encoded.clear()
        if touched is not None and (touched[0] or touched[1]):
            try:
                await self._update(sorted(touched[0]), sorted(touched[1]))
            except Exception:
                log.exception("big screen: reading %s changes again failed", len(touched))
        self._resync()

    def _resync(self) -> None:
        for v in list(self.viewers):
            v.behind = True
            v.offer({})

    async def _apply(self, batch: list[Envelope]) -> None:
        order_ids = sorted(
            {int(e["order"]["id"]) for e in batch if isinstance(e.get("order"), dict)}
        )
        alarm_ids = sorted(
            {int(e["alarm"]["id"]) for e in batch if isinstance(e.get("alarm"), dict)}
        )
        if local_today(self.clock()).isoformat() != self.slow.get("today"):
            await self._reload()
            return
        if self._touched is not None:  # a refresh is reading: read these again after it
            self._touched[0].update(order_ids)
            self._touched[1].update(alarm_ids)
        await self._update(order_ids, alarm_ids)

    async def _update(self, order_ids: list[int], alarm_ids: list[int]) -> None:
        """Read these orders and alarms, put them in the picture and offer every screen."""
        today = self.slow.get("today")
        orders = (
            await asyncio.to_thread(self._read, lambda s: picture.orders_by_id(s, order_ids))
            if order_ids
            else {}
        )
        alarms = (
            await asyncio.to_thread(self._read, lambda s: picture.alarms_by_id(s, alarm_ids))
            if alarm_ids
            else {}
        )
        gone = []
        for oid, o in orders.items():
            if o.pop("service_date") == today:
                self.orders[oid] = o
            elif self.orders.pop(oid, None) is not None:
                gone.append(oid)
        self.alarms.update(alarms)
        self._encoded.clear()
        self._send(list(orders.values()), list(alarms.values()), gone)

    def _send(
        self, orders: list[dict[str, Any]], alarms: list[dict[str, Any]], gone: list[int]
    ) -> None:
        now = self.clock()
        shown = [o for o in orders if o["id"] in self.orders]
        counters = view.counted(self.orders, self.alarms, day_start(now), now)
        kpis: dict[frozenset[int] | None, dict[str, Any]] = {}  # one strip per cut, not viewer
        for v in list(self.viewers):
            cut = None if v.streets is None else frozenset(v.streets)
            if cut not in kpis:
                kpis[cut] = view.kpis_of(self.slow, counters, v.streets)
            v.offer(view.delta(shown, alarms, kpis[cut], v.streets, gone))

    def snapshot(self, streets: view.Streets) -> dict[str, Any]:
        """A viewer's whole picture now."""
        now = self.clock()
        return view.snapshot(self.slow, self.orders, self.alarms, streets, day_start(now), now)

    def _snapshot_event(self, streets: view.Streets) -> str:
        """The snapshot event of a cut, encoded once for the screens that ask within a
        second while the picture stays the same (after a refresh every screen asks)."""
        cut = None if streets is None else frozenset(streets)
        at, text = self._encoded.get(cut, (0.0, ""))
        if time.monotonic() - at > SNAPSHOT_REUSE_S:
            text = _event("snapshot", self.snapshot(streets))
            self._encoded[cut] = (time.monotonic(), text)
        return text

    async def watch(self, streets: view.Streets) -> AsyncIterator[str]:
        """One screen's text/event-stream: a jittered `retry:`, the snapshot, then deltas."""
        self.start()
        await self.loaded.wait()
        viewer = Viewer(streets)
        self.viewers.add(viewer)
        try:
            yield f"retry: {random.randint(*RETRY_MS)}\n\n"
            yield self._snapshot_event(streets)
            while True:
                try:
                    message = await asyncio.wait_for(viewer.queue.get(), live.HEARTBEAT_S)
                except TimeoutError:
                    yield live.BEAT
                    continue
                if viewer.behind:
                    viewer.behind = False
                    while not viewer.queue.empty():
                        viewer.queue.get_nowait()
                    yield self._snapshot_event(streets)
                    continue
                yield _event("delta", message)
        finally:
            self.viewers.discard(viewer)


def _event(name: str, data: dict[str, Any]) -> str:
    """One server-sent event, its data as compact JSON."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"
