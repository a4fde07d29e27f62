"""The hourly device-availability sample: a durable timer that counts each street's devices at
the top of the hour, samples an hour once however often it runs, and re-arms itself; the
report of a period that is over says how available the devices were over it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker

from tests.builders import make_tree, make_user
from yiyang.config import Settings
from yiyang.console.reports import report as reports
from yiyang.console.reports.period import Period
from yiyang.devices import availability
from yiyang.devices.availability_models import DeviceAvailability
from yiyang.devices.models import Device
from yiyang.jobs import timer_runner as runner
from yiyang.jobs import timers
from yiyang.security.roles import Role
from yiyang.security.service import subject_for

SETTINGS = Settings(secret_key="test-secret", alarm_low_battery_pct=20)
START = datetime(2026, 11, 2, 0, 20, tzinfo=UTC)  # 08:20 in China, a Monday


@pytest.fixture
def factory(db: Session) -> sessionmaker[Session]:
    """Worker sessions on the test's connection whose commits are savepoints."""
    conn: Connection = db.connection()
    return sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)


def _fit(db: Session, street_id: int, *, online: bool, battery: int = 80) -> Device:
    device = Device(kind="pull_cord", vendor="Acme", model="PC-1", status="installed",
                    street_id=street_id, online=online, battery_pct=battery)  # fmt: skip
    db.add(device)
    db.flush()
    return device


def _samples(db: Session) -> list[tuple[datetime, int, int, int, int]]:
    rows = db.scalars(select(DeviceAvailability).order_by(DeviceAvailability.sampled_at)).all()
    return [(r.sampled_at, r.street_id, r.installed, r.online, r.low_battery) for r in rows]


def test_the_timer_samples_each_hour_once_and_arms_the_next(
    db: Session, factory: sessionmaker[Session]
) -> None:
    tree = make_tree(db)
    _fit(db, tree.street_a.id, online=True)
    _fit(db, tree.street_a.id, online=False, battery=10)
    _fit(db, tree.street_b.id, online=True)
    availability.ensure_timer(db, START)
    availability.ensure_timer(db, START)  # start-up again: still one timer
    [first] = timers.pending(db, availability.SAMPLE)
    assert first.due_at.replace(tzinfo=UTC) == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    at = datetime(2026, 11, 2, 1, 0, 5, tzinfo=UTC)
    assert runner.run_due(factory, at, SETTINGS) == 1
    hour = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    assert sorted(_samples(db), key=lambda r: r[1]) == [
        (hour, tree.street_a.id, 2, 1, 1), (hour, tree.street_b.id, 1, 1, 0),
    ]  # fmt: skip
    [following] = timers.pending(db, availability.SAMPLE)
    assert following.due_at.replace(tzinfo=UTC) == datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    availability.sample(db, at + timedelta(minutes=10), 20)  # the same hour again: kept once
    assert len(_samples(db)) == 2


def test_a_worker_that_was_down_samples_once_when_it_is_back(
    db: Session, factory: sessionmaker[Session]
) -> None:
    tree = make_tree(db)
    _fit(db, tree.street_a.id, online=True)
    availability.ensure_timer(db, START)
    back = START + timedelta(hours=5, minutes=7)
    assert runner.run_due(factory, back, SETTINGS) == 1
    assert [r[0] for r in _samples(db)] == [datetime(2026, 11, 2, 5, 0, tzinfo=UTC)]
    [following] = timers.pending(db, availability.SAMPLE)
    assert following.due_at.replace(tzinfo=UTC) == datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def test_a_period_that_is_over_reports_availability_over_it(db: Session) -> None:
    tree = make_tree(db)
    device = _fit(db, tree.street_a.id, online=True)
    _fit(db, tree.street_a.id, online=True)
    for hour in range(10):  # ten hours: both online for six, one of them for the other four
        device.online = hour < 6
        db.flush()
        availability.sample(db, START + timedelta(hours=hour), 20)
    device.online = True  # both online now
    db.flush()
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    day = Period(START.date(), START.date())

    def built(now: datetime) -> reports.Report:
        return reports.build(
            db, subject_for(admin), reports.Scope(None), day, now=now, settings=SETTINGS,
            locale="en",
        )  # fmt: skip

    later = built(START + timedelta(days=3))
    assert later.figure("online").value == pytest.approx(16 / 20)
    row = next(r for r in later.table("devices").rows if r[0] == tree.street_a.name)
    assert row[1:4] == [2, 2, 1.0] and row[4] == pytest.approx(0.8)
    running = built(START + timedelta(hours=11))  # the day still runs: as they stand now
    assert running.figure("online").value == 1.0
