"""Demo orders: tomorrow's visits, taken from every channel and dispatched as they arrive.

Most offers are then accepted, as providers and caregivers would have done by the evening;
the rest wait, and expire in the running demo as unanswered offers do.

Without orders the demo's order list, dispatcher queue, day plan and home charts are empty;
this places a realistic day through the real path (`submit_order`: pricing, subsidy,
automatic dispatch), so every page has something true to show.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.dispatch.service import act, submit_order
from yiyang.errors import DomainError
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders.rules import Channel, Event, Status
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.security.subject import system_subject

# How often each home-visit service is asked for in a day (codes of the demo catalog).
MIX = {
    "meal_delivery": 12, "cleaning": 14, "home_personal_care": 12, "proactive_visit": 10,
    "health_check": 7, "bath_home": 6, "shopping_errand": 3, "medical_escort": 3,
    "mobility_help": 3, "companionship": 2, "rehab_exercise": 2, "pressure_sore_care": 2,
}  # fmt: skip
ANSWERED = 0.7  # share of offers the provider and then the caregiver have already accepted
CHANNELS = {Channel.APP: 5, Channel.PHONE: 4, Channel.API: 1}
MORNING = ("08:00", "08:30", "09:00", "09:30", "10:00")
AFTERNOON = ("14:00", "14:30", "15:00", "15:30")


def _start(rng: random.Random, code: str) -> time:
    if code == "meal_delivery":
        return time(11, rng.choice((0, 15, 30)))
    hours, minutes = rng.choice(MORNING if rng.random() < 0.6 else AFTERNOON).split(":")
    return time(int(hours), int(minutes))


def seed_orders(
    session: Session, *, now: datetime, settings: Settings, count: int = 300, seed: int = 2026
) -> int:
    """Place `count` orders for tomorrow for elders who need care most; returns how many took."""
    rng = random.Random(seed)
    items = session.scalars(
        select(ServiceItem.code).where(
            ServiceItem.code.in_(MIX), ServiceItem.home_visit.is_(True), ServiceItem.active
        )
    ).all()
    if not items:
        return 0
    elders = session.execute(
        select(Elder.id, Elder.capability_level).where(Elder.status == "active")
    ).all()
    if not elders:
        return 0
    chosen = rng.choices(
        [e for e, _ in elders], weights=[1 + 2 * (level or 0) for _, level in elders], k=count
    )
    subject = system_subject("demo")
    day = local_today(now) + timedelta(days=1)
    made = 0
    for n, elder_id in enumerate(chosen):
        code = rng.choices(items, weights=[MIX[c] for c in items])[0]
        start = datetime.combine(day, _start(rng, code), CHINA_TZ)
        data = OrderCreate(
            elder_id=elder_id,
            item_code=code,
            window_start=start,
            window_end=start + timedelta(hours=rng.choice((1, 2))),
            channel=rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0],
        )
        # Drawn before the order is placed, so that the draws never depend on what happened
        # and a second run sends the very same bodies under the same keys.
        answered = rng.random() < ANSWERED
        try:
            with session.begin_nested():
                order = submit_order(
                    session, subject, data, now=now, idempotency_key=f"demo:{day}:{n}",
                    settings=settings,
                )  # fmt: skip
                if order.status == Status.OFFERED and answered:
                    for event in (Event.ORG_ACCEPT, Event.CAREGIVER_ACCEPT):
                        act(
                            session, subject, order.id, event, now=now, reason="demo",
                            settings=settings,
                        )  # fmt: skip
        except DomainError:
            continue  # e.g. the service needs more time than the window leaves
        made += 1
    return made
