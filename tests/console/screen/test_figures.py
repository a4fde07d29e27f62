"""The big screen's figures against a small seeded district (SQLite and PostgreSQL), and its
pure counting rules."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from tests.builders import make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import make_caregiver, make_district
from yiyang.alarms.handling.rules import day_start
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.config import Settings
from yiyang.console.screen import figures, picture, view
from yiyang.kit.geo import haversine_m
from yiyang.kit.idcard import age_on
from yiyang.kit.localtime import local_today
from yiyang.orders import service
from yiyang.orders.schemas import OrderCreate
from yiyang.planner.travel import StraightLineTravel
from yiyang.registry.elders.rules import risk_tier
from yiyang.security.roles import Role

SETTINGS = Settings(secret_key="x", screen_budget_month_yuan=1000)


def _order(db: Session, elder_id: int, start: datetime) -> int:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    data = OrderCreate(
        elder_id=elder_id, item_code="bath_home", window_start=start,
        window_end=start + timedelta(hours=2),
    )  # fmt: skip
    order, _ = service.create_order(
        db, admin, data, now=start - timedelta(hours=3), settings=SETTINGS
    )
    return order.id


def test_the_district_picture_counts_the_seed(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    make_caregiver(db, d.f_a1, skills={"bathing": 3})
    old = make_elder(db, d.tree.comm_a1, born=date(1935, 5, 1), groups=("living_alone",))
    make_elder(db, d.tree.comm_b1, born=date(1960, 5, 1), living_situation="with_spouse")
    now = clock.now
    today = local_today(now)
    start = datetime.combine(today, datetime.min.time()).replace(tzinfo=now.tzinfo) + timedelta(
        hours=3
    )
    order_id = _order(db, old.id, start)
    alarm, _ = raise_or_repeat(
        db, AlarmType.SOS,
        Origin(originator=f"elder:{old.id}", elder_id=old.id, street_id=old.street_id,
               community_id=old.community_id),
        now=now,
    )  # fmt: skip
    db.flush()

    slow = picture.slow(db, SETTINGS, now)
    orders = picture.orders_today(db, today)
    alarms = picture.alarms_since(db, day_start(now))
    a, b = d.tree.street_a.id, d.tree.street_b.id
    assert slow["layers"][a]["all"] == 2 and slow["layers"][b]["all"] == 1
    assert slow["layers"][a]["age80"] == 2  # the district's elder (1940) and the 1935 one
    assert slow["layers"][a]["group:living_alone"] == 1
    assert slow["layers"][a]["risk:high"] == 2  # over 80 and living alone (the builder default)
    assert slow["programme"]["budget_fen"] == 100_000
    assert order_id in orders and orders[order_id]["street_id"] == a
    assert alarms[alarm.id]["flash"] is True

    district = view.snapshot(slow, orders, alarms, None, day_start(now), now)
    street_b = view.snapshot(slow, orders, alarms, {b}, day_start(now), now)
    assert district["kpi"]["placed"] == 1 and district["kpi"]["alarms_today"] == 1
    assert district["kpi"]["alarms_flashing"] == 1
    assert street_b["kpi"]["placed"] == 0 and street_b["kpi"]["alarms_today"] == 0
    assert [s["id"] for s in street_b["streets"]] == [b]
    assert all(f["street_id"] == b for f in street_b["facilities"])
    assert street_b["orders"] == [] and street_b["alarms"] == []
    week = {s["id"]: s["supply"]["7"] for s in district["streets"]}
    assert week[a]["bathing"]["demand"] > 0  # the order's standard minutes, in hours
    assert week[a]["bathing"]["supply"] == 50.0  # five 10-hour weekdays (08:00–18:00) in any 7 days
    circle = {s["id"]: s["circle"] for s in district["streets"]}
    assert circle[a]["elders"] == 2 and circle[a]["day_care"] == 2  # day-care centres nearby


def test_order_counters_follow_the_strip() -> None:
    rows = [
        {
            "street_id": 1,
            "phase": "done",
            "on_time": True,
            "centre": [0, 0],
            "cross": True,
            "gov_fen": 8000,
        },
        {"street_id": 1, "phase": "unplaceable", "on_time": None, "centre": None, "cross": False},
        {"street_id": 2, "phase": "checked_in", "on_time": False, "centre": [0, 0], "cross": False},
        {"street_id": 2, "phase": "cancelled", "on_time": None, "centre": None, "cross": False},
    ]
    c = figures.order_counters(rows)
    assert (c[1]["placed"], c[1]["served"], c[1]["waiting"], c[1]["unplaceable"]) == (2, 1, 1, 1)
    both = figures.summed(c, None)
    assert both["placed"] == 3 and both["cancelled"] == 1
    assert figures.share(both["on_time"], both["timed"]) == 0.5
    assert figures.share(both["cross"], both["with_centre"]) == 0.5
    assert figures.summed(c, {2})["placed"] == 1
    assert c[1]["gov_fen"] == 8000  # government purchase of what was served


def _homes(rows: list[tuple[int, float, float]]) -> figures.Homes:
    return figures.Homes.of([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def test_the_fifteen_minute_circle_uses_the_walking_model() -> None:
    travel = StraightLineTravel()
    centre = (34.80, 113.67)
    # 15 min walking at 4.5 km/h is 1125 m of road, 865 m straight at a road factor of 1.3
    near = (1, 34.80 + 800 / 111_195, 113.67)
    far = (1, 34.80 + 950 / 111_195, 113.67)
    other = (2, 34.80, 113.67)
    assert figures.within_minutes(_homes([near, far, other]), [centre], travel) == {
        1: (1, 2),
        2: (1, 1),
    }
    assert figures.within_minutes(_homes([near]), [], travel) == {1: (0, 1)}


def test_supply_and_demand_rank_the_streets_short_of_a_skill() -> None:
    day = date(2026, 12, 1)
    orders = [
        {"service_date": day, "status": "queued", "street_id": 1, "skills": ["bathing"], "minutes": 120},
        {"service_date": day, "status": "cancelled", "street_id": 1, "skills": ["bathing"], "minutes": 600},
        {"service_date": day, "status": "completed", "street_id": 2, "skills": ["bathing"], "minutes": 60},
    ]  # fmt: skip
    members = [figures.Member(2, frozenset({"bathing"}), {day: 8.0})]
    table = figures.supply_demand(orders, members, day, day)
    assert table[1]["bathing"] == {"demand": 2.0, "supply": 0.0, "orders": 1.0}
    assert table[2]["bathing"]["supply"] == 8.0
    assert figures.shortages(table, None) == {"bathing": [(1, 2.0)]}


def test_a_street_total_counts_an_order_of_two_skills_and_a_caregiver_of_two_once() -> None:
    day = date(2026, 12, 1)
    orders = [
        {"service_date": day, "status": "queued", "street_id": 1, "skills": ["bathing", "nursing"], "minutes": 60},
        {"service_date": day, "status": "queued", "street_id": 1, "skills": [], "minutes": 30},
    ]  # fmt: skip
    members = [figures.Member(1, frozenset({"bathing", "nursing"}), {day: 8.0})]
    table = figures.supply_demand(orders, members, day, day)
    assert table[1]["bathing"]["demand"] == table[1]["nursing"]["demand"] == 1.0
    assert table[1][figures.ALL_SKILLS] == {"demand": 1.5, "supply": 8.0, "orders": 2.0}
    assert figures.ALL_SKILLS not in figures.shortages(table, None)


def test_an_elders_home_is_shown_to_about_a_hundred_metres_not_to_the_door() -> None:
    assert figures.home_point(34.801234, 113.673456) == [113.673, 34.801]


def test_the_risk_tier_reads_an_age_only_against_eighty() -> None:
    # elder_layers counts elders alike by "80 or over", not by age: that holds while
    # risk_tier gives every age on one side of OLD_AGE the same tier
    groups = [(), ("living_alone",), ("disabled",), ("no_family", "severe_disability")]
    for living in ("alone", "empty_nest", "with_spouse", "with_children"):
        for economic in ("none", "low_income", "extreme_poverty"):
            for capability in (None, 0, 2, 3, 4):
                for mine in groups:
                    young = {risk_tier(a, living, mine, economic, capability) for a in range(0, 80)}
                    old = {risk_tier(a, living, mine, economic, capability) for a in range(80, 121)}
                    assert len(young) == 1 and len(old) == 1
    assert figures.OLD_AGE == 80


def test_born_by_follows_the_birthday_rule() -> None:
    assert figures.born_by(date(2026, 12, 2), 80) == date(1946, 12, 2)
    assert figures.born_by(date(2028, 2, 29), 80) == date(1948, 2, 29)
    assert figures.born_by(date(2028, 2, 29), 81) == date(1947, 2, 28)
    for birth in (date(1947, 2, 28), date(1947, 3, 1)):  # age_on agrees on 29 February
        assert (age_on(birth, date(2028, 2, 29)) >= 81) == (birth <= date(1947, 2, 28))


def test_the_layers_count_elders_alike_once() -> None:
    living_alone = 1 << figures.GROUP_BITS.index("living_alone")
    disabled = 1 << figures.GROUP_BITS.index("disabled")
    counts = [
        (1, True, "with_spouse", "none", None, living_alone, 5),  # 80+ and alone: high
        (1, False, "with_spouse", "none", None, disabled | living_alone, 2),  # key
        (2, False, "with_children", "none", None, 0, 7),
    ]
    layers = figures.elder_layers(counts)
    assert layers[1]["all"] == 7 and layers[1]["age80"] == 5
    assert layers[1]["group:living_alone"] == 7 and layers[1]["group:disabled"] == 2
    assert (layers[1]["risk:high"], layers[1]["risk:key"]) == (5, 2)
    assert layers[2] == dict.fromkeys(figures.LAYERS, 0) | {"all": 7}


def test_the_fifteen_minute_circle_equals_every_home_against_every_place() -> None:
    travel = StraightLineTravel()
    rng = random.Random(7)
    for lat, lon, spread in ((34.8, 113.7, 0.05), (-60.0, 179.99, 0.05), (0.0, 0.0, 20.0)):
        homes = [(rng.randint(1, 3), lat + rng.uniform(-spread, spread),
                  (lon + rng.uniform(-spread, spread) + 180) % 360 - 180) for _ in range(400)]  # fmt: skip
        places = [(lat + rng.uniform(-spread, spread),
                   (lon + rng.uniform(-spread, spread) + 180) % 360 - 180) for _ in range(8)]  # fmt: skip
        reach = 15 * travel.speed_kmh["walk"] * 1000 / 60 / travel.road_factor
        every: dict[int, list[int]] = {}
        for street, hlat, hlon in homes:
            near = any(haversine_m(hlat, hlon, plat, plon) <= reach for plat, plon in places)
            counts = every.setdefault(street, [0, 0])
            counts[0] += near
            counts[1] += 1
        assert figures.within_minutes(_homes(homes), places, travel) == {
            s: (c[0], c[1]) for s, c in every.items()
        }


def test_demand_rows_may_stand_for_several_orders() -> None:
    day = date(2026, 12, 1)
    rows = [{"service_date": day, "street_id": 1, "skills": [], "orders": 3, "minutes": 270}]
    table = figures.supply_demand(rows, [], day, day)
    assert table[1]["general"] == {"demand": 4.5, "supply": 0.0, "orders": 3.0}


def test_the_circle_is_kept_until_a_home_moves(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    elder = make_elder(db, d.tree.comm_a1)
    db.flush()
    now = clock.now
    first = picture.slow(db, SETTINGS, now)
    a = d.tree.street_a.id
    assert first["circle"][a] == {"elders": 2, "day_care": 2, "meal": 0}  # with the district's
    first["circle"][a]["day_care"] = 99  # as if kept from before: nothing moved, so kept
    assert picture.slow(db, SETTINGS, now, first)["circle"][a]["day_care"] == 99
    elder.lat += 0.05  # about 5.5 km north: no centre within a 15-minute walk
    db.flush()
    moved = picture.slow(db, SETTINGS, now, first)
    assert moved["circle"][a] == {"elders": 2, "day_care": 1, "meal": 0}
