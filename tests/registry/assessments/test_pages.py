"""Capability assessments through the pages: record (sets the level, audited), bad input,
scope, permission, the elder's history and the assessor's queue with its due reasons."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree, make_user
from tests.conftest import FakeClock
from tests.web.test_order_pages import login
from yiyang.alarms.models import Alarm
from yiyang.errors import Invalid
from yiyang.registry.assessments import rules
from yiyang.registry.assessments.models import Assessment
from yiyang.registry.elders import service as elder_service
from yiyang.registry.elders.models import Elder
from yiyang.registry.elders.schemas import ElderUpdate
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def full_marks() -> dict[str, str]:
    return {item.code: str(item.max_points) for item in rules.ITEMS}


def scores_for(total: int) -> dict[str, str]:
    scores, missing = {}, rules.MAX_TOTAL - total
    for item in rules.ITEMS:
        off = min(missing, item.max_points)
        scores[item.code] = str(item.max_points - off)
        missing -= off
    return scores


def post(client: TestClient, csrf: str, elder: Elder, data: dict[str, str]) -> Response:
    return client.post(
        f"/elders/{elder.id}/assess?lang=en", data=data | {"csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip


def test_an_assessor_records_an_assessment_and_the_elders_level_follows(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    assessor, _ = make_user(db, Role.ASSESSOR)
    csrf = login(client, assessor, f"/elders/{elder.id}/assess")
    resp = post(client, csrf, elder, scores_for(70) | {"mental_disorder": "1", "risk_fall": "2"})
    assert resp.status_code == 303, resp.text
    row = db.scalar(select(Assessment).where(Assessment.elder_id == elder.id))
    assert row is not None
    assert (row.total, row.score_level, row.level) == (70, 1, 3)
    assert row.adjustments == ["mental_disorder", "risk_events"]
    assert row.standard == "GB/T 42195-2022" and row.assessor_id == assessor.id
    assert row.facts["risk_events"] == {"fall": 2}
    db.refresh(elder)
    assert elder.capability_level == 3
    changed = db.scalar(
        select(AuditEvent).where(AuditEvent.entity == "elder", AuditEvent.action == "update")
    )
    assert changed is not None and changed.after == {"capability_level": 3}
    page = client.get(resp.headers["location"]).text
    assert 'data-testid="level">3<' in page
    read = db.scalar(
        select(AuditEvent).where(
            AuditEvent.entity == "assessment", AuditEvent.action == "read_full"
        )
    )
    assert read is not None and read.entity_id == row.id
    assert 'data-adjustment="mental_disorder"' in page and 'data-adjustment="risk_events"' in page


def test_a_missing_item_comes_back_422_naming_it_and_nothing_is_written(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    assessor, _ = make_user(db, Role.ASSESSOR)
    csrf = login(client, assessor, f"/elders/{elder.id}/assess")
    data = full_marks()
    del data["stairs"]
    resp = post(client, csrf, elder, data)
    assert resp.status_code == 422
    assert "Going up and down stairs" in resp.text
    assert re.search(r'data-field="stairs">.*?role="alert"', resp.text, re.S)
    assert 'value="4" selected' in resp.text  # the other choices are kept
    assert db.scalar(select(Assessment.id)) is None


def test_a_score_above_the_items_maximum_is_422_naming_the_item(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    assessor, _ = make_user(db, Role.ASSESSOR)
    csrf = login(client, assessor, f"/elders/{elder.id}/assess")
    resp = post(client, csrf, elder, full_marks() | {"vision": "4", "risk_fall": "two"})
    assert resp.status_code == 422
    assert "Item “Vision” has no valid score." in resp.text
    assert re.search(r'data-field="vision">.*?A score from 0 to 2 for this item', resp.text, re.S)
    assert re.search(r'data-field="risk_fall">.*?role="alert"', resp.text, re.S)
    assert db.scalar(select(Assessment.id)) is None


def test_a_bad_risk_count_is_422_on_its_field(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    assessor, _ = make_user(db, Role.ASSESSOR)
    csrf = login(client, assessor, f"/elders/{elder.id}/assess")
    resp = post(client, csrf, elder, full_marks() | {"risk_choking": "x"})
    assert resp.status_code == 422
    assert re.search(r'data-field="risk_choking">.*?role="alert"', resp.text, re.S)


def test_another_streets_elder_is_not_found_for_a_street_admin(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    tree = make_tree(db)
    mine, theirs = make_elder(db, tree.comm_a1), make_elder(db, tree.comm_b1)
    assessor, _ = make_user(db, Role.ASSESSOR)
    csrf = login(client, assessor, f"/elders/{theirs.id}/assess")
    assert post(client, csrf, theirs, full_marks()).status_code == 303
    their_row = db.scalar(select(Assessment).where(Assessment.elder_id == theirs.id))
    assert their_row is not None
    admin, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    login(client, admin)
    assert client.get(f"/elders/{theirs.id}/assessments").status_code == 404
    assert client.get(f"/assessments/{their_row.id}").status_code == 404
    assert client.get(f"/elders/{mine.id}/assessments").status_code == 200


def test_a_role_that_may_not_assess_is_refused_in_words(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    staff, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    csrf = login(client, staff)
    resp = client.get(f"/elders/{elder.id}/assess?lang=en")
    assert resp.status_code == 403
    assert "Only assessors record capability assessments." in resp.text
    assert post(client, csrf, elder, full_marks()).status_code == 403
    assert db.scalar(select(Assessment.id)) is None
    provider, _ = make_user(db, Role.CAREGIVER)
    login(client, provider)
    resp = client.get("/assessments/due?lang=en")
    assert resp.status_code == 403 and "capability assessments" in resp.text


def test_the_elder_page_shows_the_last_level_with_a_link(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    assessor, _ = make_user(db, Role.ASSESSOR)
    csrf = login(client, assessor, f"/elders/{elder.id}/assess")
    post(client, csrf, elder, scores_for(40))
    row = db.scalar(select(Assessment).where(Assessment.elder_id == elder.id))
    assert row is not None
    assert f'hx-get="/elders/{elder.id}/assessments"' in client.get(f"/elders/{elder.id}").text
    card = client.get(f"/elders/{elder.id}/assessments", params={"lang": "en"}).text
    assert "Level 3 · severe loss" in card and f'href="/assessments/{row.id}"' in card


def _queue(client: TestClient, **params: str) -> dict[int, list[str]]:
    html = client.get("/assessments/due", params=params | {"lang": "en"}).text
    rows = re.findall(r'data-testid="due-row" data-elder="(\d+)">(.*?)</tr>', html, re.S)
    return {int(e): re.findall(r'data-reason="(\w+)"', body) for e, body in rows}


def test_the_assessors_home_is_the_queue_with_why_each_elder_is_due(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    tree = make_tree(db)
    never = make_elder(db, tree.comm_a1, name="从未评")
    recent = make_elder(db, tree.comm_a1, name="刚评过")
    old = make_elder(db, tree.comm_a2, name="很久前")
    fell = make_elder(db, tree.comm_b1, name="摔倒了")
    hospital = make_elder(db, tree.comm_b1, name="住院回")
    now = clock.now
    for elder, days in ((recent, 30), (old, 400), (fell, 60), (hospital, 60)):
        db.add(
            Assessment(
                elder_id=elder.id, assessed_at=now - timedelta(days=days),
                standard=rules.STANDARD, scores={}, facts={}, total=90, score_level=0,
                level=0, adjustments=[],
            )
        )  # fmt: skip
    db.add(
        Alarm(
            type="fall", severity=1, originator=f"elder:{fell.id}", elder_id=fell.id,
            street_id=fell.street_id, community_id=fell.community_id,
            raised_at=now - timedelta(days=3), last_at=now - timedelta(days=3),
        )
    )  # fmt: skip
    hospital.away_reason, hospital.away_until = "hospital", now - timedelta(days=2)
    db.flush()
    assessor, _ = make_user(db, Role.ASSESSOR)
    login(client, assessor)
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/assessments/due"
    due = _queue(client)
    assert due == {
        fell.id: ["fall"],
        hospital.id: ["hospital"],
        never.id: ["never"],
        old.id: ["interval"],
    }
    assert list(due)[:2] == [fell.id, hospital.id]  # a change first
    assert set(_queue(client, street_code=tree.street_b.code)) == {fell.id, hospital.id}
    assert set(_queue(client, community_code=tree.comm_a2.code)) == {old.id}


def test_the_queue_is_paged(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    elders = [make_elder(db, tree.comm_a1) for _ in range(23)]
    assessor, _ = make_user(db, Role.ASSESSOR)
    login(client, assessor)
    first, second = _queue(client), _queue(client, page="2")
    assert len(first) == 20 and len(second) == 3
    assert set(first) | set(second) == {e.id for e in elders}


def test_once_assessed_the_level_is_not_typed_on_the_elders_form(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    admin, admin_subject = make_user(db, Role.DISTRICT_ADMIN)
    # before any assessment here, a level from an earlier paper assessment may be typed
    elder_service.update_elder(db, admin_subject, elder.id, ElderUpdate(capability_level=1),
                               now=clock.now, district_code="410105")  # fmt: skip
    assessor, _ = make_user(db, Role.ASSESSOR)
    csrf = login(client, assessor, f"/elders/{elder.id}/assess")
    post(client, csrf, elder, scores_for(40))  # level 3
    with pytest.raises(Invalid) as exc:
        elder_service.update_elder(db, admin_subject, elder.id, ElderUpdate(capability_level=0),
                                   now=clock.now, district_code="410105")  # fmt: skip
    assert [p.field for p in exc.value.problems] == ["capability_level"]
    db.refresh(elder)
    assert elder.capability_level == 3
    same = ElderUpdate(capability_level=3, notes="复评后")
    elder_service.update_elder(db, admin_subject, elder.id, same, now=clock.now,
                               district_code="410105")  # fmt: skip
    login(client, admin, f"/elders/{elder.id}/edit")
    form = client.get(f"/elders/{elder.id}/edit", params={"lang": "en"}).text
    assert 'data-testid="assessed-level">Level 3' in form
    assert '<select id="f-capability_level"' not in form
