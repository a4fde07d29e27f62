"""The worker loop: fire due timers and deliver due outbox messages every tick, and run long
jobs on threads of their own (standalone, or inside `serve` when embedded, where the threads
keep requests responsive)."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from yiyang.alarms import tasks as alarm_tasks
from yiyang.config import Settings
from yiyang.console import audit_tasks, security_tasks
from yiyang.console.screen import rollup as screen_rollup
from yiyang.devices import availability as device_availability
from yiyang.devices import ingest_tasks
from yiyang.dispatch import day_plan
from yiyang.events import delivery
from yiyang.jobs import runner as job_runner
from yiyang.jobs import tasks as job_tasks
from yiyang.jobs import timer_runner
from yiyang.kit.clock import Clock
from yiyang.orders import recurring
from yiyang.ports.delivery import deliverers, http_client
from yiyang.visits import care_tasks
from yiyang.visits.payment import rejudge
from yiyang.visits.policy import policy_from

log = logging.getLogger(__name__)
T = TypeVar("T")
STEP_GRACE_S = 5.0  # on stop, how long the step under way may take to finish
STOP_DEADLINE_S = STEP_GRACE_S + 10.0  # past this after SIGINT, the process is ended


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one blocking step (a tick, a delivery batch) on a daemon thread of its own.

    Not `asyncio.to_thread`: its default executor is joined by `asyncio.run` at shutdown
    (Python 3.11, without a timeout) and again at interpreter exit, so a step stuck in a lock
    wait or a slow receiver held the stop after SIGINT for as long as it lasted. A daemon
    thread is not waited for: `run_forever` gives the step under way `STEP_GRACE_S`, then the
    process ends and its open transaction is rolled back (leases make that safe).
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the awaiting side
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="yiyang-worker-step", daemon=True).start()
    return await done


def load_tasks() -> None:
    """Import every task module and the event subscribers: importing one registers them."""
    import yiyang.alarms.handling.tasks
    import yiyang.alarms.handling.visit_bridge
    import yiyang.alarms.response.tasks
    import yiyang.alarms.tasks
    import yiyang.console.alarm_notifications
    import yiyang.console.care_notifications
    import yiyang.console.notifications
    import yiyang.console.screen.rollup
    import yiyang.devices.availability
    import yiyang.devices.io_jobs
    import yiyang.dispatch.tasks
    import yiyang.registry.elders.io_jobs
    import yiyang.visits.care_tasks
    import yiyang.visits.export_jobs
    import yiyang.visits.payment.jobs
    import yiyang.visits.tasks  # noqa: F401


def ensure_standing_timers(
    factory: sessionmaker[Session], clock: Clock, settings: Settings
) -> None:
    """Re-arm the daily timers at start-up, in case one was parked after repeated failures."""
    with factory() as session, session.begin():
        recurring.ensure_timer(session, clock())
        day_plan.ensure_nightly(session, clock(), settings)
        job_tasks.ensure_cleanup(session, clock())
        audit_tasks.ensure_timer(session, clock())
        security_tasks.ensure_timer(session, clock())
        care_tasks.ensure_timer(session, clock())
        alarm_tasks.ensure_timer(session, clock())
        ingest_tasks.ensure_timer(session, clock())
        device_availability.ensure_timer(session, clock())
        rejudge.ensure_timer(session, clock(), policy_from(settings))
        screen_rollup.ensure_timer(session, clock())


def tick(factory: sessionmaker[Session], clock: Clock, settings: Settings) -> int:
    """Fire every timer due now, then seal the new audit rows; returns how many timers fired."""
    fired = timer_runner.run_due(factory, clock(), settings)
    audit_tasks.upkeep(factory, clock())
    return fired


def job_loop(
    factory: sessionmaker[Session],
    clock: Clock,
    settings: Settings,
    stopping: threading.Event,
    name: str,
    interval: float,
) -> None:
    """Run jobs one after another on this thread until `stopping` is set."""
    lower_priority(settings.worker_job_nice)
    while not stopping.is_set():
        try:
            ran = job_runner.run_next(factory, clock, settings, worker=name, stopping=stopping)
        except Exception:
            log.exception("job loop failed")
            ran = None
        if ran is None:
            stopping.wait(interval)


def lower_priority(nice: int) -> None:
    """Let requests and timers have the CPU first: a job thread runs `nice` steps lower."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    try:  # on Linux a thread id names the thread alone
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
    except OSError:
        log.warning("could not lower the priority of job thread %s", threading.current_thread())


def start_job_threads(
    factory: sessionmaker[Session],
    clock: Clock,
    settings: Settings,
    stopping: threading.Event,
    interval: float,
) -> list[threading.Thread]:
    """Start `worker_job_threads` job loops (daemon threads: a hard stop leaves their jobs to
    the lease, which hands them to the next worker)."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    threads = [
        threading.Thread(
            target=job_loop,
            args=(factory, clock, settings, stopping, f"{base}:{n}", interval),
            name=f"yiyang-job-{n}",
            daemon=True,
        )
        for n in range(settings.worker_job_threads)
    ]
    for thread in threads:
        thread.start()
    return threads


async def run_forever(
    factory: sessionmaker[Session], clock: Clock, settings: Settings, interval: float = 1.0
) -> None:
    """Tick until cancelled, jobs running alongside; a failing step is logged and goes on."""
    load_tasks()
    await off_loop(ensure_standing_timers, factory, clock, settings)
    policy = delivery.policy_of(settings)
    stopping = threading.Event()
    start_job_threads(factory, clock, settings, stopping, interval)
    step: asyncio.Future[Any] | None = None
    arm_stop_deadline()
    try:
        with http_client(settings) as http:
            channels = deliverers(settings, factory, clock, http)
            try:
                while True:
                    try:
                        step = asyncio.ensure_future(off_loop(tick, factory, clock, settings))
                        await asyncio.shield(step)
                    except Exception:
                        log.exception("worker tick failed")
                    try:
                        step = asyncio.ensure_future(
                            off_loop(
                                delivery.deliver_due, factory, clock, channels, policy,
                                limit=settings.outbox_batch,
                            )
                        )  # fmt: skip
                        sent = await asyncio.shield(step)
                    except Exception:
                        log.exception("outbox delivery failed")
                        sent = 0
                    step = None
                    if sent < settings.outbox_batch:
                        await asyncio.sleep(interval)
            finally:  # the step under way may finish, briefly, before its HTTP client closes
                stopping.set()  # running jobs stop at their next step and go back to the queue
                if step is not None and not step.done():
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        await asyncio.wait_for(step, STEP_GRACE_S)
    finally:
        stopping.set()


def arm_stop_deadline() -> None:
    """From the first SIGINT on, the process ends within STOP_DEADLINE_S whatever still holds
    it (a thread in a C call, a join at interpreter exit): faulthandler then writes every
    thread's stack to stderr, so the log says what held it, and exits with status 1.

    Chained before asyncio.run's own handler, which cancels the loop; main thread only."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        faulthandler.dump_traceback_later(STOP_DEADLINE_S, exit=True)
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
