"""The worker's job threads: they run queued jobs beside the timer loop, at a lower priority."""

from __future__ import annotations

import os
import threading
import time

from tests.builders import make_user
from tests.conftest import Live
from yiyang import worker
from yiyang.errors import N_
from yiyang.jobs import service
from yiyang.jobs.context import JobContext, JobOutcome
from yiyang.jobs.models import Job, JobState
from yiyang.jobs.runner import job_handler
from yiyang.security.roles import Role

seen: list[tuple[str, int]] = []


@job_handler("t.worker_thread", restart=True)
def _record(ctx: JobContext) -> JobOutcome:
    thread = threading.get_native_id()
    seen.append((threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, thread)))
    return JobOutcome(N_("Done."))


def test_job_threads_run_queued_jobs_at_a_lower_priority(live: Live) -> None:
    with live.factory() as s:
        _, owner = make_user(s, Role.OPERATOR)
        job_id = service.submit(
            s, owner, "t.worker_thread", {}, title=N_("Test job"), locale="en",
            now=live.clock.now,
        ).id  # fmt: skip
        s.commit()
    stopping = threading.Event()
    threads = worker.start_job_threads(live.factory, live.clock, live.settings, stopping, 0.05)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with live.factory() as s:
                if s.get_one(Job, job_id).state == JobState.DONE:
                    break
            time.sleep(0.05)
    finally:
        stopping.set()
        for t in threads:
            t.join(timeout=5)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen == [("yiyang-job-0", min(19, base + live.settings.worker_job_nice))]
    assert not any(t.is_alive() for t in threads)  # they stop when asked
