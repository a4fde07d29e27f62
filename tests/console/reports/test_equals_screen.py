"""A report of today counts what the big screen shows today, for the district and for a
street: the screen's figures come from its own picture (console/screen/picture.py, the
queries the live aggregator runs), the report's from its own queries over the same day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.conftest import FakeClock
from tests.console.reports.world import ReportWorld, make_world
from yiyang.alarms.handling.rules import day_start
from yiyang.config import Settings
from yiyang.console.reports import report as reports
from yiyang.console.reports.period import month_period
from yiyang.console.screen import picture, view
from yiyang.devices.models import Device
from yiyang.kit.localtime import local_today
from yiyang.security.service import subject_for

SETTINGS = Settings(secret_key="test-secret", alarm_low_battery_pct=20)
# report figure -> the screen's KPI (shares are computed by each from its own counts)
SAME = {
    "placed": "placed", "served": "served", "unplaceable": "unplaceable", "on_time": "on_time",
    "cross": "cross", "alarms": "alarms_today", "within_60": "within_60",
    "within_180": "within_180",
}  # fmt: skip


@pytest.fixture
def world(db: Session, clock: FakeClock) -> ReportWorld:
    w = make_world(db, clock)
    street_a = w.two.scene.d.tree.street_a.id
    for online, battery in ((True, 80), (False, 10), (True, 15)):
        db.add(Device(kind="pull_cord", vendor="Acme", model="PC-1", status="installed",
                      street_id=street_a, online=online, battery_pct=battery,
                      last_seen_at=clock.now - timedelta(minutes=5)))  # fmt: skip
    order = w.two.scene.order  # the government bought half of the served bath
    order.government_fen = order.price_fen // 2
    order.elder_fen = order.price_fen - order.government_fen
    db.flush()
    return w


def _screen(db: Session, clock: FakeClock, streets: set[int] | None) -> dict[str, object]:
    now = clock.now
    slow = picture.slow(db, SETTINGS, now)
    orders = picture.orders_today(db, local_today(now))
    alarms = picture.alarms_since(db, day_start(now))
    return view.kpis(slow, orders, alarms, streets, day_start(now), now)


def _report(db: Session, world: ReportWorld, clock: FakeClock, streets: set[int] | None,
            month: bool = False) -> dict[str, object]:  # fmt: skip
    period = month_period(world.today.strftime("%Y-%m")) if month else world.day
    report = reports.build(
        db, subject_for(world.admin), reports.Scope(streets), period, now=clock.now,
        settings=SETTINGS, locale="en",
    )  # fmt: skip
    return {f.key: f.value for f in report.figures}


@pytest.mark.parametrize("which", ["district", "street a", "street b"])
def test_a_report_of_today_equals_the_screen(
    db: Session, world: ReportWorld, clock: FakeClock, which: str
) -> None:
    tree = world.two.scene.d.tree
    streets = {"district": None, "street a": {tree.street_a.id}, "street b": {tree.street_b.id}}[
        which
    ]
    screen = _screen(db, clock, streets)
    report = _report(db, world, clock, streets)
    assert {k: report[k] for k in SAME} == {k: screen[v] for k, v in SAME.items()}
    assert screen["placed"] == (2 if streets is None else 1)  # the world is not empty
    online = screen["online"] / screen["devices"] if screen["devices"] else None  # type: ignore[operator]
    assert report["online"] == online
    month = _report(db, world, clock, streets, month=True)
    assert month["spent"] == screen["spent_fen"]  # the screen's money is this month's
    if which != "street b":
        assert screen["spent_fen"] == world.two.scene.order.price_fen // 2 > 0
