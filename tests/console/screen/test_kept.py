"""The kept picture: a web process just started shows the picture the last one kept today
without reading the register (and reads it again when its interval runs out), and reads the
register when the kept one is of another day."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from tests.builders import make_elder
from tests.conftest import FakeClock
from tests.orders.builders import make_district
from yiyang.config import Settings
from yiyang.console.screen import kept, picture
from yiyang.console.screen.kept_models import ScreenPicture
from yiyang.console.screen.live import Aggregator
from yiyang.db import make_session_factory
from yiyang.events.live import Hub
from yiyang.kit.localtime import local_today

SETTINGS = Settings(secret_key="x", screen_refresh_seconds=60)


@pytest.fixture(scope="module")
def seeded(own_engine: Engine) -> Engine:
    with Session(own_engine) as s:
        d = make_district(s)
        for community in (d.tree.comm_a1, d.tree.comm_a1, d.tree.comm_b1):
            make_elder(s, community)
        s.commit()
    return own_engine


@pytest.fixture
def district(seeded: Engine) -> Engine:
    """The seeded district with no picture kept yet."""
    with Session(seeded) as s:
        s.execute(delete(ScreenPicture))
        s.commit()
    return seeded


def _aggregator(engine: Engine, clock: FakeClock) -> Aggregator:
    return Aggregator(make_session_factory(engine), SETTINGS, clock, Hub())


def _register_read_counter(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    plain = picture.slow

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return plain(*args, **kwargs)

    monkeypatch.setattr(picture, "slow", counted)
    return reads


def test_the_kept_text_gives_back_the_picture_read(district: Engine, clock: FakeClock) -> None:
    with Session(district) as s:
        slow = picture.slow(s, SETTINGS, clock.now)
    assert slow["layers"] and slow["circle"] and isinstance(slow["circle_key"], tuple)
    assert kept.decode(kept.encode(slow)) == slow


def test_a_process_just_started_shows_the_picture_kept_without_reading_the_register(
    district: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _aggregator(district, clock)
    first._load_first()
    reads = _register_read_counter(monkeypatch)
    clock.advance(seconds=20)

    started = _aggregator(district, clock)
    started._load_first()

    assert reads == []
    assert started.snapshot(None) == first.snapshot(None)
    # it is read again when the kept picture's interval runs out, not a whole interval later
    assert time.monotonic() - started._slow_at >= 20


def test_a_picture_kept_long_ago_today_is_shown_and_read_again_at_the_first_tick(
    district: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _aggregator(district, clock)._load_first()
    reads = _register_read_counter(monkeypatch)
    clock.advance(hours=3)

    started = _aggregator(district, clock)
    started._load_first()

    assert reads == []
    assert time.monotonic() - started._slow_at >= 3 * 3600  # its refresh is due


def test_a_picture_kept_yesterday_is_not_shown(
    district: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _aggregator(district, clock)._load_first()
    reads = _register_read_counter(monkeypatch)
    clock.advance(days=1)

    started = _aggregator(district, clock)
    started._load_first()

    assert reads == [1]
    assert started.slow["today"] == local_today(clock.now).isoformat()


def test_each_read_of_the_register_is_kept_over_the_last(
    district: Engine, clock: FakeClock
) -> None:
    _aggregator(district, clock)._load_first()
    clock.advance(days=1)
    _aggregator(district, clock)._load_first()
    with Session(district) as s:
        slow, age = kept.of_today(s, clock.now)
    assert slow["today"] == local_today(clock.now).isoformat() and age == 0.0
