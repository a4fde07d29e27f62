"""Durable timers: fire when due, once; cancelled ones never fire; failures back off then park."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import FakeClock
from yiyang.config import Settings
from yiyang.db import make_session_factory
from yiyang.jobs import timer_runner as runner
from yiyang.jobs import timers as service
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer

SETTINGS = Settings(secret_key="x")


@pytest.fixture
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Real committing sessions (the runner commits per timer); the table is emptied after."""
    f = make_session_factory(engine)
    yield f
    with f() as s:
        s.execute(delete(Timer))
        s.commit()


def test_due_timer_fires_once(factory: sessionmaker[Session], clock: FakeClock) -> None:
    seen: list[int] = []
    with factory() as s:
        service.schedule(s, "t.test", 7, clock.now + timedelta(minutes=10))
        s.commit()
    handlers = {"t.test": lambda ctx, timer: seen.append(timer.ref_id)}
    assert runner.run_due(factory, clock.now, SETTINGS, handlers=handlers) == 0
    clock.advance(minutes=10)
    assert runner.run_due(factory, clock.now, SETTINGS, handlers=handlers) == 1
    assert runner.run_due(factory, clock.now, SETTINGS, handlers=handlers) == 0
    assert seen == [7]


def test_cancelled_timer_never_fires(factory: sessionmaker[Session], clock: FakeClock) -> None:
    with factory() as s:
        service.schedule(s, "t.test", 8, clock.now)
        assert service.cancel(s, "t.test", 8, now=clock.now) == 1
        s.commit()
    assert runner.run_due(factory, clock.now, SETTINGS, handlers={"t.test": lambda *a: None}) == 0


def test_failing_handler_backs_off_then_parks(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    with factory() as s:
        timer = service.schedule(s, "t.boom", 9, clock.now)
        s.commit()
        timer_id = timer.id

    def boom(ctx: TimerContext, timer: Timer) -> None:
        ctx.session.add(Timer(kind="t.side-effect", ref_id=1, due_at=clock.now))
        raise RuntimeError("handler failed")

    for _ in range(runner.MAX_ATTEMPTS):
        runner.run_due(factory, clock.now, SETTINGS, handlers={"t.boom": boom})
        clock.advance(hours=1)
    with factory() as s:
        parked = s.get(Timer, timer_id)
        assert parked is not None and parked.failed_at is not None
        assert parked.attempts == runner.MAX_ATTEMPTS
        assert "handler failed" in (parked.last_error or "")
        # the failed handler's writes were rolled back every time
        assert service.pending(s, "t.side-effect") == []
