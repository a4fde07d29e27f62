"""A month of history written in bulk on a seeded district (bench/report.py, bench/screen.py).

`write_month` gives every day of a period `per_day` orders (items by the catalog, elders at
random, caregivers of the item's providers; 86% served, 5% cancelled, 4% no-show, 5% nobody
available), their check-in events and visits (5% checked in early, 5% short), a complaint on
1% and a return visit on 10% of the served, and `alarms` alarms over the period (answered
after 5-240 s, all closed). Core `insert()` executemany, one transaction a day.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from yiyang.alarms.models import Alarm
from yiyang.console.reports.period import Period
from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders.models import OrderEvent, ServiceOrder
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServicePrice
from yiyang.registry.elders.models import Elder
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount
from yiyang.visits.models import Complaint, ReturnVisit, Visit

ALARM_TYPES = ("sos", "fall", "bed_exit", "smoke", "offline", "low_battery")


def _pick(
    session: Session,
) -> tuple[list[int], list[tuple[int, int, int, int]], list[tuple[int, int]]]:
    """Elder ids, (item, price id, price, minutes) of every price, (staff, provider) at centres."""
    elders = list(session.scalars(select(Elder.id)))
    prices = [
        (p.item_id, p.id, p.price_fen, p.standard_minutes)
        for p in session.scalars(select(ServicePrice))
    ]
    staff = [
        (st.id, st.provider_id)
        for st in session.scalars(select(Staff).where(Staff.facility_id.is_not(None)))
    ]
    return elders, prices, staff


def write_month(
    engine: Engine, period: Period, per_day: int, alarms: int, seed: int
) -> dict[str, int]:
    """Last month's orders, timelines, visits, complaints, return visits and alarms."""
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    with Session(engine) as s:
        elders, prices, field = _pick(s)
        admin = s.scalar(select(UserAccount.id).where(UserAccount.username == "admin"))
        for n in range(period.days):
            day = period.first + timedelta(days=n)
            rows, fates = [], []
            for _ in range(per_day):
                item_id, price_id, price, minutes = rng.choice(prices)
                start = datetime.combine(day, clock_time(rng.randint(8, 16)), CHINA_TZ)
                fate = rng.choices(("served", "cancelled", "no_show", "queued"),
                                   (86, 5, 4, 5))[0]  # fmt: skip
                staff_id, provider_id = rng.choice(field) if fate != "queued" else (None, None)
                gov = price // 2 if rng.random() < 0.3 else 0
                status = {"served": "completed", "queued": "queued"}.get(fate, fate)
                rows.append({
                    "elder_id": rng.choice(elders), "item_id": item_id, "price_id": price_id,
                    "channel": rng.choice(("app", "phone", "phone", "api")),
                    "window_start_at": start, "window_end_at": start + timedelta(hours=2),
                    "service_date": day, "status": status, "provider_id": provider_id,
                    "staff_id": staff_id, "price_fen": price, "standard_minutes": minutes,
                    "government_fen": gov, "elder_fen": price - gov,
                    "government_purchase": gov > 0, "created_at": start - timedelta(days=1),
                })  # fmt: skip
                fates.append((fate, start, minutes, staff_id))
            ids = s.scalars(
                insert(ServiceOrder).returning(ServiceOrder.id, sort_by_parameter_order=True),
                rows,
            ).all()
            events, visits, complaints, calls = [], [], [], []
            for order_id, row, (fate, start, minutes, staff_id) in zip(
                ids, rows, fates, strict=True
            ):
                if fate != "served":
                    continue
                early = rng.random() < 0.05
                arrived = start + timedelta(minutes=-90 if early else rng.randint(-10, 40))
                took = rng.randint(10, 25) if rng.random() < 0.05 else minutes
                events.append({
                    "order_id": order_id, "at": arrived, "actor_role": "caregiver",
                    "actor_name": "bench", "event": "check_in", "from_status": "on_the_way",
                    "to_status": "checked_in",
                })  # fmt: skip
                visits.append({
                    "order_id": order_id, "elder_id": row["elder_id"], "staff_id": staff_id,
                    "check_in_at": arrived, "check_in_method": "gps", "check_in_distance_m": 20.0,
                    "check_out_at": arrived + timedelta(minutes=took), "check_out_method": "gps",
                    "check_out_distance_m": 25.0, "duration_min": took,
                    "short_reason": "elder_request" if took < minutes else None,
                })  # fmt: skip
                if rng.random() < 0.01:
                    complaints.append({
                        "order_id": order_id, "at": arrived + timedelta(hours=3),
                        "by_role": "family", "category": rng.choice(("lateness", "quality")),
                        "text": "bench", "status": rng.choice(("open", "closed")),
                    })  # fmt: skip
                if rng.random() < 0.10:
                    calls.append({
                        "order_id": order_id, "at": arrived + timedelta(days=1),
                        "operator_id": admin, "operator_name": "bench", "reached": True,
                        "satisfaction": rng.choice((3, 4, 5, 5, 5)), "result": "reached",
                    })  # fmt: skip
            for model, batch in ((OrderEvent, events), (Visit, visits), (Complaint, complaints),
                                 (ReturnVisit, calls)):  # fmt: skip
                if batch:
                    s.execute(insert(model), batch)
                    counts[model.__tablename__] += len(batch)
            counts["service_order"] += len(rows)
            s.commit()
        streets = [(a.id, a.code) for a in s.scalars(select(Area).where(Area.level == "street"))]
        made = []
        for _ in range(alarms):
            at = datetime.combine(period.first, clock_time(0), CHINA_TZ) + timedelta(
                seconds=rng.randint(0, period.days * 86_400 - 1)
            )
            answered = at + timedelta(seconds=rng.randint(5, 240))
            made.append({
                "type": rng.choice(ALARM_TYPES), "severity": 2, "status": "closed",
                "originator": "bench", "street_id": rng.choice(streets)[0], "raised_at": at,
                "last_at": at, "acknowledged_at": answered, "closed_at": answered,
            })  # fmt: skip
        s.execute(insert(Alarm), made)
        counts["alarm"] = len(made)
        s.commit()
    return dict(counts)


def month_options(parser: argparse.ArgumentParser) -> None:
    """The district and month options every bench on this history takes."""
    parser.add_argument("--elders", type=int, default=200_000)
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--alarms", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
