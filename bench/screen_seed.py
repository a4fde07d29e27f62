"""The big screen's district for bench/screen.py: the seed, a month ending today, a live day.

`seed_screen` seeds the demo district (`seed_demo`: elders, facilities, caregivers, devices)
and writes the 30 days ending today with bench/history.py (orders, check-ins, visits,
complaints, return visits, alarms). Today is then made a day in progress: its orders get a
mix of live phases (placed, offered, dispatched, on the way, checked in, done, unplaceable,
cancelled) with the timeline rows that go with them; today's alarms are moved before now and
given an elder of their street (a point on the map), and a few are left open (flashing), some
with a responder on site.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, insert, make_url, select, text, update
from sqlalchemy.orm import Session

from history import write_month
from seed import fresh_database
from yiyang.alarms.handling.rules import day_start
from yiyang.alarms.models import Alarm
from yiyang.alarms.response.models import AlarmResponder
from yiyang.console.reports.period import Period
from yiyang.console.screen import rollup
from yiyang.db import make_engine
from yiyang.demo import seed_demo
from yiyang.kit.localtime import local_today
from yiyang.migrate import upgrade
from yiyang.orders.models import OrderEvent, ServiceOrder
from yiyang.orders.rules import HOLDS_CAREGIVER
from yiyang.registry.elders.models import Elder
from yiyang.registry.staff.models import Staff
from yiyang.visits.models import Complaint, ReturnVisit, Visit

DAYS = 30
# Today's orders by the status they have reached (weights): a day in progress.
TODAY_MIX = {
    "completed": 40, "checked_in": 8, "on_the_way": 7, "caregiver_accepted": 12,
    "assigned": 8, "offered": 10, "queued": 5, "cancelled": 5, "no_show": 2, "created": 3,
}  # fmt: skip
OPEN_ALARMS = 12  # of today's, left open (6 flashing, 6 taken), 3 with a responder arrived


def month_of(now: datetime) -> Period:
    """The 30 days ending today (China calendar)."""
    today = local_today(now)
    return Period(today - timedelta(days=DAYS - 1), today)


@contextmanager
def database(url: str, keep: bool) -> Iterator[tuple[Engine, bool]]:
    """A scratch database dropped after the run, or (`keep`) one named after the bench kept for
    the next run; says whether it is already seeded for today."""
    if not keep:
        with fresh_database(url, "scratch") as engine:
            yield engine, False
        return
    kept = make_url(url).set(database=f"{make_url(url).database}_screen")
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": kept.database}
        )
        if not found:
            conn.execute(text(f'CREATE DATABASE "{kept.database}"'))
    admin.dispose()
    engine = make_engine(kept.render_as_string(hide_password=False))
    upgrade(engine)
    try:
        yield engine, bool(found)
    finally:
        engine.dispose()


def seeded_for(engine: Engine, now: datetime) -> int:
    """Elders of a kept database whose month ends today (0: seed again)."""
    with Session(engine) as s:
        elders = s.scalar(select(func.count(Elder.id))) or 0
        today = s.scalar(
            select(func.count(ServiceOrder.id)).where(ServiceOrder.service_date == local_today(now))
        )
        return elders if today else 0


def tally_closed_days(engine: Engine, now: datetime) -> int:
    """The nights of the month as they went: each closed day's orders last touched by the
    end of their window, the register before the month, then the screen's nightly tally."""
    today = local_today(now)
    with Session(engine) as s:
        s.execute(
            update(ServiceOrder)
            .where(ServiceOrder.service_date < today)
            .values(updated_at=ServiceOrder.window_end_at)
        )
        s.execute(update(Elder).values(updated_at=now - timedelta(days=DAYS + 1)))
        days = rollup.tally(s, today)
        s.commit()
    return days


def seed_screen(
    engine: Engine, elders: int, per_day: int, alarms: int, seed: int, now: datetime
) -> dict[str, Any]:
    """The district, its month and today in progress; rows written per table."""
    seed_demo(engine, elders=elders, seed=seed)
    rows = write_month(engine, month_of(now), per_day, alarms, seed)
    rows |= live_day(engine, now, seed)
    rows["tallied_days"] = tally_closed_days(engine, now)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return rows


def live_day(engine: Engine, now: datetime, seed: int) -> dict[str, int]:
    """Today's orders and alarms as the middle of a working day would have them."""
    rng = random.Random(seed + 1)
    today = local_today(now)
    with Session(engine) as s:
        rows = s.execute(
            select(ServiceOrder.id, ServiceOrder.window_start_at, ServiceOrder.standard_minutes)
            .where(ServiceOrder.service_date == today)
            .order_by(ServiceOrder.window_start_at, ServiceOrder.id)
        ).all()
        ids = [r[0] for r in rows]
        statuses, weights = list(TODAY_MIX), list(TODAY_MIX.values())
        fate = {i: rng.choices(statuses, weights)[0] for i in ids}
        for status in statuses:
            mine = [i for i, f in fate.items() if f == status]
            if not mine or status in HOLDS_CAREGIVER:  # booked below
                continue
            values: dict[str, Any] = {"status": status}
            if status in ("queued", "created"):
                values |= {"staff_id": None, "provider_id": None}
            s.execute(update(ServiceOrder).where(ServiceOrder.id.in_(mine)).values(**values))
        _book(s, [r for r in rows if fate[r[0]] in HOLDS_CAREGIVER], fate)
        not_in = [i for i, f in fate.items() if f not in ("checked_in", "completed")]
        not_done = [i for i, f in fate.items() if f != "completed"]
        for model, keep_out in ((OrderEvent, not_in), (Visit, not_done),
                                (Complaint, not_done), (ReturnVisit, not_done)):  # fmt: skip
            s.execute(delete(model).where(model.order_id.in_(keep_out)))
        moved = _alarms_today(s, rng, now)
        s.commit()
    return {"today_orders": len(ids), "today_alarms": moved}


def _book(s: Session, held: list[Any], fate: dict[int, str]) -> None:
    """Orders that hold a caregiver's time get one free then (the database refuses overlaps);
    those nobody is free for become unplaceable."""
    staff = list(
        s.execute(select(Staff.id, Staff.provider_id).where(Staff.facility_id.is_not(None)))
    )
    free_at: dict[int, datetime] = {}
    values = []
    for order_id, start, minutes in held:
        end = start + timedelta(minutes=minutes)
        who = next((st for st in staff if free_at.get(st[0], start) <= start), None)
        if who is None:
            fate[order_id] = "queued"
            values.append({"i": order_id, "st": None, "pr": None, "ps": None, "pe": None,
                           "status": "queued"})  # fmt: skip
            continue
        free_at[who[0]] = end
        values.append({"i": order_id, "st": who[0], "pr": who[1], "ps": start, "pe": end,
                       "status": fate[order_id]})  # fmt: skip
    if values:
        s.connection().execute(
            update(ServiceOrder.__table__)
            .where(ServiceOrder.__table__.c.id == bindparam("i"))
            .values(staff_id=bindparam("st"), provider_id=bindparam("pr"),
                    planned_start_at=bindparam("ps"), planned_end_at=bindparam("pe"),
                    status=bindparam("status")),
            values,
        )  # fmt: skip


def _alarms_today(s: Session, rng: random.Random, now: datetime) -> int:
    """Today's alarms before now, at an elder's home in their street; a few left open."""
    start = day_start(now)
    elders: dict[int, list[int]] = {}
    for elder_id, street_id in s.execute(
        select(Elder.id, Elder.street_id).where(Elder.status == "active")
    ):
        elders.setdefault(street_id, []).append(elder_id)
    today = list(s.scalars(select(Alarm).where(Alarm.raised_at >= start)))
    span = max(60, int((now - start).total_seconds()) - 60)
    for n, alarm in enumerate(sorted(today, key=lambda a: a.id)):
        at = start + timedelta(seconds=rng.randint(0, span))
        alarm.raised_at = alarm.last_at = at
        alarm.elder_id = rng.choice(elders[alarm.street_id]) if alarm.street_id else None
        alarm.originator = f"elder:{alarm.elder_id}"
        answered = at + timedelta(seconds=rng.randint(5, 240))
        alarm.acknowledged_at = alarm.closed_at = min(answered, now)
        if n < OPEN_ALARMS:
            alarm.closed_at = None
            alarm.status = "queued" if n % 2 == 0 else "responding"
            alarm.acknowledged_at = None if n % 2 == 0 else alarm.acknowledged_at
    s.flush()
    taken = [a for a in sorted(today, key=lambda a: a.id)[:OPEN_ALARMS] if a.status != "queued"]
    if taken:
        s.execute(
            insert(AlarmResponder),
            [
                {"alarm_id": a.id, "name": "bench", "role": "caregiver", "rank": 1,
                 "state": "arrived", "travel_mode": "walk", "travel_minutes": 8,
                 "sent_at": a.raised_at, "arrived_at": min(now, a.raised_at + timedelta(minutes=9))}
                for a in taken[:3]
            ],
        )  # fmt: skip
    return len(today)
