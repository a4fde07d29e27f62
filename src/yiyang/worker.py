"""The worker loop: fire due timers every tick (standalone, or inside `serve` when embedded)."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging

from sqlalchemy.orm import Session, sessionmaker

from yiyang.kit.clock import Clock
from yiyang.timers import runner

log = logging.getLogger(__name__)

# Every domain's timer handlers; importing a module registers its handlers.
TASK_MODULES = ("yiyang.orders.tasks", "yiyang.dispatch.tasks", "yiyang.visits.tasks")


def load_tasks() -> list[str]:
    """Import the domains' task modules so their timer handlers are registered."""
    loaded = []
    for name in TASK_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
            loaded.append(name)
    return loaded


def tick(factory: sessionmaker[Session], clock: Clock) -> int:
    """Fire every timer due now; returns how many fired."""
    return runner.run_due(factory, clock())


async def run_forever(factory: sessionmaker[Session], clock: Clock, interval: float = 1.0) -> None:
    """Tick until cancelled; a failing tick is logged and the loop goes on."""
    load_tasks()
    while True:
        try:
            await asyncio.to_thread(tick, factory, clock)
        except Exception:
            log.exception("worker tick failed")
        await asyncio.sleep(interval)
