"""Two workers on PostgreSQL: a claimed job is skipped, not waited for; each job runs once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tests.builders import make_user
from tests.conftest import Live
from yiyang.errors import N_
from yiyang.jobs import runner, service
from yiyang.jobs.context import JobContext, JobOutcome
from yiyang.jobs.models import Job, JobState
from yiyang.security.roles import Role

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def pg(live: Live) -> Live:
    """The live app, on PostgreSQL only (SQLite serialises writers; SKIP LOCKED is the point)."""
    if live.factory.kw["bind"].dialect.name != "postgresql":
        pytest.skip("row locks across connections are tested on PostgreSQL only")
    return live


def _jobs(live: Live, count: int) -> list[int]:
    with live.factory() as s:
        _, owner = make_user(s, Role.DISTRICT_ADMIN)
        ids = [
            service.submit(s, owner, "t.job", {}, title=N_("Test job"), locale="en",
                           now=live.clock.now).id
            for _ in range(count)
        ]  # fmt: skip
        s.commit()
    return ids


def test_a_job_being_claimed_is_skipped_not_waited_for(pg: Live) -> None:
    first, second = _jobs(pg, 2)
    kinds = {"t.job": runner.JobKind(lambda ctx: JobOutcome(N_("Done.")), True)}
    with pg.factory() as holder:
        held = holder.scalar(select(Job).where(Job.id == first).with_for_update())
        assert held is not None  # another worker's claim, still open
        claimed: list[int] = []

        def claim() -> None:
            job = runner.claim(pg.factory, pg.clock, pg.settings, worker="b", kinds=kinds)
            claimed.append(job.id if job else 0)

        other = threading.Thread(target=claim)
        other.start()
        other.join(timeout=5)
        blocked = other.is_alive()
        holder.rollback()  # frees a claim that waited, so the test ends either way
        other.join(timeout=5)
    assert not blocked and claimed == [second]


def test_two_workers_run_every_job_exactly_once(pg: Live) -> None:
    ids = _jobs(pg, 8)
    together = threading.Barrier(2, timeout=20)
    ran: list[tuple[int, str]] = []
    lock = threading.Lock()

    def handler(ctx: JobContext) -> JobOutcome:
        if ctx.job_id in ids[:2]:
            together.wait()  # the first two jobs run at the same time, one on each worker
        with lock:
            ran.append((ctx.job_id, threading.current_thread().name))
        return JobOutcome(N_("Done."))

    kinds = {"t.job": runner.JobKind(handler, True)}

    def work(name: str) -> None:
        while runner.run_next(pg.factory, pg.clock, pg.settings, worker=name, kinds=kinds):
            pass

    threads = [threading.Thread(target=work, args=(n,), name=n) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(job_id for job_id, _ in ran) == ids  # each once
    assert {name for _, name in ran} == {"w1", "w2"}
    with pg.factory() as s:
        states = s.scalars(select(Job.state).where(Job.id.in_(ids))).all()
        attempts = s.scalars(select(Job.attempts).where(Job.id.in_(ids))).all()
    assert set(states) == {JobState.DONE} and set(attempts) == {1}
