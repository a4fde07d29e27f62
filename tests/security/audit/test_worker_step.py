"""The worker keeps the chain sealed every tick and arms the nightly archive at start-up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.security.audit.builders import add_events
from yiyang import worker
from yiyang.config import Settings
from yiyang.console import audit_tasks as tasks
from yiyang.db import make_session_factory
from yiyang.jobs import timers
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role

SETTINGS = Settings(secret_key="x")


def test_a_tick_seals_what_was_committed_before_the_grace_period(
    scratch: Engine, clock: FakeClock
) -> None:
    factory = make_session_factory(scratch)
    with factory() as s:
        _, admin = make_user(s, Role.DISTRICT_ADMIN)
        add_events(s, admin, 3, clock.now - timedelta(minutes=1))
        add_events(s, admin, 2, clock.now)
        s.commit()
    worker.tick(factory, clock, SETTINGS)
    with factory() as s:
        unsealed = s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.seq.is_(None)))
    assert unsealed == 2
    clock.advance(seconds=10)
    worker.tick(factory, clock, SETTINGS)
    with factory() as s:
        assert s.scalar(select(func.max(AuditEvent.seq))) == 5


def test_start_up_arms_one_archive_timer(scratch: Engine, clock: FakeClock) -> None:
    factory = make_session_factory(scratch)
    worker.ensure_standing_timers(factory, clock, SETTINGS)
    worker.ensure_standing_timers(factory, clock, SETTINGS)
    with factory() as s:
        pending = timers.pending(s, tasks.ARCHIVE)
    assert [t.due_at for t in pending] == [tasks.next_archive(clock.now)]
