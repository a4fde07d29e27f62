"""The screen's aggregator: the periodic read of the whole picture does not hold events back
nor lose those that came while it read, and screens asking together share one snapshot."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import make_district
from yiyang.config import Settings
from yiyang.console.screen.live import Aggregator
from yiyang.db import make_session_factory
from yiyang.events import live as events_live
from yiyang.events.live import Hub
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders import service
from yiyang.orders.schemas import OrderCreate
from yiyang.security.roles import Role

T = TypeVar("T")
SETTINGS = Settings(secret_key="x")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """On a loop of its own thread (a browser test may leave the main thread's loop running)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _place(engine: Engine, clock: FakeClock, elder_id: int) -> int:
    """An order of today for the elder, committed on a session of its own."""
    with Session(engine) as s:
        _, admin = make_user(s, Role.DISTRICT_ADMIN)
        start = datetime.combine(local_today(clock.now), datetime.min.time(), CHINA_TZ)
        start += timedelta(hours=15)
        data = OrderCreate(
            elder_id=elder_id, item_code="bath_home", window_start=start,
            window_end=start + timedelta(hours=2),
        )  # fmt: skip
        order, _ = service.create_order(s, admin, data, now=clock.now, settings=SETTINGS)
        s.commit()
        return order.id


def test_an_order_placed_while_the_picture_is_read_again_stays_on_the_screen(
    own_engine: Engine, clock: FakeClock
) -> None:
    with Session(own_engine) as s:
        d = make_district(s)
        elder_id = make_elder(s, d.tree.comm_a1).id
        s.commit()
    agg = Aggregator(make_session_factory(own_engine), SETTINGS, clock, Hub())

    async def scenario() -> tuple[bool, bool, int]:
        await asyncio.to_thread(agg._load_all)
        read, go_on = threading.Event(), threading.Event()
        plain = agg._read_picture

        def slowly() -> Any:  # the refresh has read the picture, and waits
            out = plain()
            read.set()
            go_on.wait(10)
            return out

        agg._read_picture = slowly  # type: ignore[method-assign]
        refresh = asyncio.get_running_loop().create_task(agg._refresh())
        await asyncio.to_thread(read.wait, 10)
        order_id = await asyncio.to_thread(_place, own_engine, clock, elder_id)
        await agg._apply([{"order": {"id": order_id}}])  # not held back by the refresh
        during = order_id in agg.orders
        go_on.set()
        await refresh
        return during, order_id in agg.orders, order_id

    during, after, _ = _run(scenario())
    assert during  # the event reached the picture while the refresh was reading
    assert after  # and the refreshed picture, read before the order, has it too


def test_screens_that_ask_together_share_one_encoded_snapshot(
    own_engine: Engine, clock: FakeClock
) -> None:
    agg = Aggregator(make_session_factory(own_engine), SETTINGS, clock, Hub())
    agg._load_all()
    first = agg._snapshot_event(None)
    assert agg._snapshot_event(None) is first
    assert first.startswith("event: snapshot\n")
    agg._encoded.clear()  # what a change of the picture does
    assert agg._snapshot_event(None) is not first


def test_a_quiet_stream_sends_a_beat_the_page_can_hear(
    own_engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_live, "HEARTBEAT_S", 0.05)
    agg = Aggregator(make_session_factory(own_engine), SETTINGS, clock, Hub())

    async def first_three() -> list[str]:
        stream = agg.watch(None)
        try:
            return [await anext(stream) for _ in range(3)]
        finally:
            await stream.aclose()
            await agg.close()

    retry, snapshot, quiet = _run(first_three())
    assert retry.startswith("retry: ") and snapshot.startswith("event: snapshot\n")
    assert quiet == "event: beat\ndata: {}\n\n"  # a named event: a comment never reaches the page
