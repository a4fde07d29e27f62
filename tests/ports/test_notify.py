"""The development notifier writes texts and calls to the port log, once per idempotency key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import FakeClock
from tests.events.helpers import committing_factory
from yiyang.ports.models import PortLog
from yiyang.ports.notify import LogNotifier


@pytest.fixture
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Committing sessions: the log adapter writes in its own transaction."""
    yield from committing_factory(engine)


def test_texts_and_calls_are_logged_once_per_key(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    notifier = LogNotifier(factory, clock)
    notifier.sms("13912345678", "护理员已出发", key="sms:1")
    notifier.sms("13912345678", "护理员已出发", key="sms:1")  # a retry after a lost answer
    notifier.call("13912345678", "您家人的紧急呼叫", key="voice:1")
    with factory() as s:
        rows = s.execute(select(PortLog.channel, PortLog.idempotency_key, PortLog.sent_at)).all()
    assert sorted(rows) == [("sms", "sms:1", clock.now), ("voice", "voice:1", clock.now)]
