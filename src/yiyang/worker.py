"""The worker loop: fire due timers, then deliver due outbox messages, every tick (standalone,
or inside `serve` when embedded)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import Session, sessionmaker

from yiyang.config import Settings
from yiyang.dispatch import day_plan
from yiyang.events import delivery
from yiyang.kit.clock import Clock
from yiyang.orders import recurring
from yiyang.ports.delivery import deliverers, http_client
from yiyang.timers import runner

log = logging.getLogger(__name__)


def load_tasks() -> None:
    """Import every domain's task module and the event subscribers: importing registers them."""
    import yiyang.console.notifications
    import yiyang.dispatch.tasks
    import yiyang.visits.tasks  # noqa: F401


def ensure_standing_timers(factory: sessionmaker[Session], clock: Clock) -> None:
    """Re-arm the daily timers at start-up, in case one was parked after repeated failures."""
    with factory() as session, session.begin():
        recurring.ensure_timer(session, clock())
        day_plan.ensure_nightly(session, clock())


def tick(factory: sessionmaker[Session], clock: Clock) -> int:
    """Fire every timer due now; returns how many fired."""
    return runner.run_due(factory, clock())


async def run_forever(
    factory: sessionmaker[Session], clock: Clock, settings: Settings, interval: float = 1.0
) -> None:
    """Tick until cancelled; a failing step is logged and the loop goes on."""
    load_tasks()
    await asyncio.to_thread(ensure_standing_timers, factory, clock)
    policy = delivery.policy_of(settings)
    with http_client(settings) as http:
        channels = deliverers(settings, factory, clock, http)
        while True:
            try:
                await asyncio.to_thread(tick, factory, clock)
            except Exception:
                log.exception("worker tick failed")
            try:
                sent = await asyncio.to_thread(
                    delivery.deliver_due,
                    factory,
                    clock,
                    channels,
                    policy,
                    limit=settings.outbox_batch,
                )
            except Exception:
                log.exception("outbox delivery failed")
                sent = 0
            if sent < settings.outbox_batch:
                await asyncio.sleep(interval)
