"""Stopping the worker is bounded even while a tick is stuck (a slow timer, a lock wait, a
receiver that never answers): the loop's blocking steps run on threads that asyncio.run does
not wait for at shutdown. Before, they ran in the default executor, and asyncio.run (Python
3.11: without a timeout) joined it after SIGINT — the fault run's worker sometimes did not stop
within a minute."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import pytest

from yiyang import worker
from yiyang.config import Settings

GRACE_S = worker.STEP_GRACE_S


def _stuck_worker(monkeypatch: pytest.MonkeyPatch, release: threading.Event) -> threading.Event:
    entered = threading.Event()

    def stuck_tick(*args: object) -> int:
        entered.set()
        release.wait(120)  # a step that will not finish soon
        return 0

    monkeypatch.setattr(worker, "load_tasks", lambda: None)
    monkeypatch.setattr(worker, "ensure_standing_timers", lambda *a: None)
    monkeypatch.setattr(worker, "start_job_threads", lambda *a: [])
    monkeypatch.setattr(worker, "http_client", lambda s: contextlib.nullcontext())
    monkeypatch.setattr(worker, "deliverers", lambda *a: {})
    monkeypatch.setattr(worker, "tick", stuck_tick)
    return entered


@pytest.mark.parametrize("attempt", range(4))
def test_the_worker_stops_within_its_grace_while_a_tick_is_stuck(
    monkeypatch: pytest.MonkeyPatch, attempt: int
) -> None:
    release = threading.Event()
    entered = _stuck_worker(monkeypatch, release)
    stopped: list[float] = []

    async def main() -> None:
        task = asyncio.create_task(
            worker.run_forever(None, lambda: None, Settings(secret_key="x"), interval=0.01)  # type: ignore[arg-type]
        )
        await asyncio.to_thread(entered.wait, 10)
        task.cancel()  # what asyncio.run does on SIGINT
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def run() -> None:
        started = time.monotonic()
        asyncio.run(main())
        stopped.append(time.monotonic() - started)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(GRACE_S + 10)
    release.set()  # let the stuck step go, whatever happened
    runner.join(10)
    assert stopped, "asyncio.run did not return: it waited for the stuck step"
    assert stopped[0] < GRACE_S + 5


HELD_AT_EXIT = """
import asyncio, sys, threading, time
from yiyang import worker
worker.STOP_DEADLINE_S = 1.0
threading.Thread(target=time.sleep, args=(600,), name="holds-the-exit").start()  # not daemon

async def main() -> None:
    worker.arm_stop_deadline()
    print("ready", flush=True)
    await asyncio.sleep(600)

try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
"""


def test_a_process_held_at_exit_still_ends_after_sigint_and_says_what_held_it() -> None:
    """Whatever holds the exit (here a thread that is not a daemon), the worker process ends
    within its stop deadline after SIGINT, every thread's stack on stderr."""
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", HELD_AT_EXIT],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert time.monotonic() - started < 10
    assert proc.returncode == 1
    assert "in _shutdown" in err, err  # the stacks say what held it: the join at exit
