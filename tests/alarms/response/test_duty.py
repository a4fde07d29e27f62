"""The duty roster: within the area, refused input changes nothing, and the hours decide who
is sent to an alarm."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.alarms.response.world import World, make_world
from tests.builders import make_user
from tests.conftest import FakeClock
from tests.web.test_order_pages import login
from yiyang.alarms.response import service
from yiyang.alarms.response.models import CommunityDuty
from yiyang.config import Settings
from yiyang.registry.staff.models import Staff
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role

NIGHTS = {f"{d}_{e}": t for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
          for e, t in (("start", "20:00"), ("end", "08:00"))}  # fmt: skip


@pytest.fixture
def world(db: Session, clock: FakeClock) -> World:
    clock.now = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 03:00 Tuesday in Zhengzhou
    return make_world(db, clock())


def test_a_street_admin_sees_and_sets_the_workers_of_their_street_only(
    client: TestClient, db: Session, world: World
) -> None:
    admin, _ = make_user(db, Role.STREET_ADMIN, area=world.tree.street_a)
    other, _ = make_user(db, Role.COMMUNITY_STAFF, area=world.tree.comm_b1)
    other.display_name = "周静"
    db.flush()
    csrf = login(client, admin, "/alarms/duty")
    page = client.get("/alarms/duty").text
    assert "李明" in page and "周静" not in page and "08:00–20:00" in page
    assert client.get(f"/alarms/duty/{other.id}").status_code == 404
    r = client.post(f"/alarms/duty/{other.id}", data={"csrf_token": csrf, **NIGHTS})
    assert r.status_code == 404
    r = client.post(f"/alarms/duty/{world.worker.id}", data={"csrf_token": csrf, **NIGHTS},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    duty = db.get_one(CommunityDuty, world.worker.id)
    assert duty.pattern["tue"] == ["20:00", "08:00"] and duty.updated_by_id == admin.id
    assert "每天</strong> 20:00–08:00 次日" in client.get("/alarms/duty").text
    audited = db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "community_duty"))
    assert list(audited) == ["set_duty_hours"]


@pytest.mark.parametrize(
    ("posted", "field_text"),
    [
        ({"mon_start": "08:00"}, "请同时填写开始和结束时间"),
        ({"mon_start": "8 am", "mon_end": "20:00"}, "时间格式为"),
        ({"note": "x" * 201}, "200"),
    ],
)
def test_bad_hours_are_refused_with_the_reason_and_nothing_written(
    client: TestClient, db: Session, world: World, posted: dict[str, str], field_text: str
) -> None:
    admin, _ = make_user(db, Role.STREET_ADMIN, area=world.tree.street_a)
    db.flush()
    csrf = login(client, admin, "/alarms/duty")
    r = client.post(f"/alarms/duty/{world.worker.id}", data={"csrf_token": csrf, **posted})
    assert r.status_code == 422 and field_text in r.text
    assert db.get(CommunityDuty, world.worker.id) is None


def test_a_caregiver_may_not_open_the_roster(client: TestClient, db: Session, world: World) -> None:
    login(client, world.near)
    r = client.get("/alarms/duty")
    assert r.status_code == 403 and "值班时间" in r.text


def test_a_worker_on_nights_is_sent_at_three_in_the_morning_and_not_after_going_back(
    client: TestClient, db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    for user in (world.near, world.far):  # the caregivers work days only
        db.get_one(Staff, user.staff_id).working_pattern = {"mon": ["08:00", "17:00"]}
    admin, _ = make_user(db, Role.STREET_ADMIN, area=world.tree.street_a)
    db.flush()
    csrf = login(client, admin, "/alarms/duty")
    client.post(f"/alarms/duty/{world.worker.id}", data={"csrf_token": csrf, **NIGHTS})
    choice = service.choice_for(db, world.alarm, now=clock(), settings=settings)
    assert [o.person.user_id for o in choice.offers] == [world.worker.id]
    client.post(f"/alarms/duty/{world.worker.id}/default", data={"csrf_token": csrf})
    assert db.get(CommunityDuty, world.worker.id) is None
    choice = service.choice_for(db, world.alarm, now=clock(), settings=settings)
    assert choice.offers == ()
