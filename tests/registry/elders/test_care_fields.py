"""Mobility, health conditions and time away from home: API, service, audit, pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, Tree, elder_payload, make_elder, make_tree, make_user
from tests.conftest import FakeClock
from yiyang.errors import Conflict, Invalid
from yiyang.registry.elders import away as away_service
from yiyang.registry.elders.models import Elder
from yiyang.registry.elders.schemas import AwayIn
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has a form with its CSRF token"
    return found.group(1)


def audits(db: Session, elder_id: int, action: str) -> list[AuditEvent]:
    return list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_id == elder_id, AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def tree(db: Session) -> Tree:
    return make_tree(db)


@pytest.fixture
def staff(client: TestClient, db: Session, tree: Tree) -> dict[str, str]:
    user, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    return auth(client, user.username)


# ------------------------------------------------------------------ mobility and conditions


def test_create_and_change_mobility_and_conditions_are_audited(
    client: TestClient, db: Session, tree: Tree, staff: dict[str, str]
) -> None:
    body = elder_payload(
        tree.comm_a1, mobility="wheelchair", conditions="  diabetes; hard of hearing "
    )
    resp = client.post("/api/v1/elders", json=body, headers=staff)
    assert resp.status_code == 201, resp.text
    elder_id = resp.json()["id"]
    assert resp.json()["mobility"] == "wheelchair"
    assert resp.json()["conditions"] == "diabetes; hard of hearing"
    (created,) = audits(db, elder_id, "create")
    assert created.after is not None and created.after["mobility"] == "wheelchair"
    assert created.after["conditions"] == "diabetes; hard of hearing"

    resp = client.patch(
        f"/api/v1/elders/{elder_id}",
        json={"mobility": "bedridden", "conditions": "diabetes; stroke 2026"},
        headers=staff,
    )
    assert resp.status_code == 200, resp.text
    (changed,) = audits(db, elder_id, "update")
    assert changed.before == {"mobility": "wheelchair", "conditions": "diabetes; hard of hearing"}
    assert changed.after == {"mobility": "bedridden", "conditions": "diabetes; stroke 2026"}

    resp = client.patch(f"/api/v1/elders/{elder_id}", json={"conditions": "  "}, headers=staff)
    assert resp.status_code == 200 and resp.json()["conditions"] is None  # blank: none recorded


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mobility": "crawling"}, "mobility"),
        ({"conditions": "x" * 501}, "conditions"),
        ({"conditions": "diabetes\x00"}, "conditions"),
    ],
)
def test_bad_values_are_422_naming_the_field(
    client: TestClient, db: Session, tree: Tree, staff: dict[str, str], change: Any, field: str
) -> None:
    elder = make_elder(db, tree.comm_a1)
    resp = client.patch(f"/api/v1/elders/{elder.id}", json=change, headers=staff)
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert [p["field"] for p in error["problems"]] == [field]
    assert error["problems"][0]["message"]
    db.refresh(elder)
    assert elder.mobility is None and elder.conditions is None


def test_elder_form_saves_mobility_and_conditions(
    client: TestClient, db: Session, tree: Tree
) -> None:
    user, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    elder = make_elder(db, tree.comm_a1)
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    form = client.get(f"/elders/{elder.id}/edit?lang=en")
    assert 'name="mobility"' in form.text and 'name="conditions"' in form.text
    assert "Uses a wheelchair" in form.text
    data = {
        "csrf_token": csrf_of(form.text),
        "id_number": elder.id_number, "name": elder.name, "address": elder.address,
        "community_code": tree.comm_a1.code, "lat": str(elder.lat), "lon": str(elder.lon),
        "living_situation": elder.living_situation, "economic_status": elder.economic_status,
        "geofence_m": "150", "status": "active", "version": str(elder.version),
        "mobility": "walking_aid", "conditions": "hip replacement 2024",
    }  # fmt: skip
    resp = client.post(f"/elders/{elder.id}/edit", data=data, follow_redirects=False)
    assert resp.status_code == 303, resp.text[:2000]
    db.refresh(elder)
    assert (elder.mobility, elder.conditions) == ("walking_aid", "hip replacement 2024")
    page = client.get(f"/elders/{elder.id}?lang=en")
    assert "Walks with a stick or frame" in page.text and "hip replacement 2024" in page.text
    bad = client.post(
        f"/elders/{elder.id}/edit", data=data | {"mobility": "flying"}, follow_redirects=False
    )
    assert bad.status_code == 422 and 'data-field="mobility"' in bad.text


# ------------------------------------------------------------------ away from home


def test_mark_away_show_and_end_early(
    client: TestClient, db: Session, tree: Tree, staff: dict[str, str], clock: FakeClock
) -> None:
    elder = make_elder(db, tree.comm_a1)
    until = clock.now + timedelta(days=10)
    body = {"until": until.isoformat(), "reason": "hospital", "note": "Ward 5"}
    resp = client.post(f"/api/v1/elders/{elder.id}/away", json=body, headers=staff)
    assert resp.status_code == 200, resp.text
    assert resp.json()["away"]["reason"] == "hospital"
    db.refresh(elder)
    assert elder.away_until == until
    (marked,) = audits(db, elder.id, "elder.away")
    assert marked.after is not None and marked.after["away_reason"] == "hospital"
    assert marked.after["away_note"] == "Ward 5"

    record = client.get(f"/api/v1/elders/{elder.id}", headers=staff).json()
    assert record["away"]["reason"] == "hospital"
    assert datetime.fromisoformat(record["away"]["until"]) == until

    clock.advance(days=3)
    resp = client.delete(f"/api/v1/elders/{elder.id}/away", headers=staff)
    assert resp.status_code == 200 and resp.json()["away"] is None
    db.refresh(elder)
    assert elder.away_until is None
    assert len(audits(db, elder.id, "elder.back")) == 1
    assert client.get(f"/api/v1/elders/{elder.id}", headers=staff).json()["away"] is None
    # Ending again changes nothing and records nothing.
    assert client.delete(f"/api/v1/elders/{elder.id}/away", headers=staff).status_code == 200
    assert len(audits(db, elder.id, "elder.back")) == 1


def test_a_stay_that_is_over_is_not_shown(
    client: TestClient, db: Session, tree: Tree, staff: dict[str, str], clock: FakeClock
) -> None:
    elder = make_elder(db, tree.comm_a1)
    body = {"until": (clock.now + timedelta(hours=2)).isoformat(), "reason": "travel"}
    assert client.post(f"/api/v1/elders/{elder.id}/away", json=body, headers=staff).is_success
    clock.advance(hours=3)
    assert client.get(f"/api/v1/elders/{elder.id}", headers=staff).json()["away"] is None


def test_a_time_without_zone_is_beijing_time(
    client: TestClient, db: Session, tree: Tree, staff: dict[str, str], clock: FakeClock
) -> None:
    elder = make_elder(db, tree.comm_a1)
    local = (clock.now + timedelta(days=2)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    body = {"until": (local + timedelta(hours=8)).isoformat(), "reason": "visiting_family"}
    resp = client.post(f"/api/v1/elders/{elder.id}/away", json=body, headers=staff)
    assert resp.status_code == 200, resp.text
    db.refresh(elder)
    assert elder.away_until == local.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("until", "code"),
    [
        (timedelta(minutes=-1), "past"),
        (timedelta(0), "past"),
        (timedelta(days=180, minutes=1), "too_far"),
    ],
)
def test_bad_end_times_are_422_and_write_nothing(
    client: TestClient,
    db: Session,
    tree: Tree,
    staff: dict[str, str],
    clock: FakeClock,
    until: timedelta,
    code: str,
) -> None:
    elder = make_elder(db, tree.comm_a1)
    body = {"until": (clock.now + until).isoformat(), "reason": "hospital"}
    resp = client.post(f"/api/v1/elders/{elder.id}/away", json=body, headers=staff)
    assert resp.status_code == 422, resp.text
    (problem,) = resp.json()["error"]["problems"]
    assert (problem["field"], problem["code"]) == ("until", code)
    assert resp.json()["error"]["message"] == problem["message"]  # the headline says why
    db.refresh(elder)
    assert elder.away_until is None and not audits(db, elder.id, "elder.away")


@pytest.mark.parametrize(
    "body",
    [{"until": "next tuesday", "reason": "hospital"}, {"until": "2030-01-01T08:00", "reason": "x"}],
)
def test_unreadable_away_is_422(
    client: TestClient, db: Session, tree: Tree, staff: dict[str, str], body: Any
) -> None:
    elder = make_elder(db, tree.comm_a1)
    resp = client.post(f"/api/v1/elders/{elder.id}/away", json=body, headers=staff)
    assert resp.status_code == 422, resp.text


def test_who_may_mark_an_elder_away(
    client: TestClient, db: Session, tree: Tree, clock: FakeClock
) -> None:
    elder = make_elder(db, tree.comm_a1)
    other = make_elder(db, tree.comm_b1, name="李桂芝")
    body = {"until": (clock.now + timedelta(days=1)).isoformat(), "reason": "visiting_family"}
    cases = [
        (Role.STREET_ADMIN, {"area": tree.street_a}, elder, 200),
        (Role.STREET_ADMIN, {"area": tree.street_b}, elder, 404),  # not their street
        (Role.COMMUNITY_STAFF, {"area": tree.comm_a1}, elder, 200),
        (Role.OPERATOR, {}, elder, 200),
        (Role.FAMILY, {"elder": elder}, elder, 200),
        (Role.FAMILY, {"elder": other}, elder, 404),  # another family's elder
        (Role.ELDER, {"elder": elder}, elder, 403),
        (Role.AUDITOR, {}, elder, 403),
        (Role.ASSESSOR, {}, elder, 403),
        (Role.CAREGIVER, {}, elder, 403),
    ]
    for role, binding, target, status in cases:
        user, _ = make_user(db, role, **binding)  # type: ignore[arg-type]
        resp = client.post(
            f"/api/v1/elders/{target.id}/away", json=body, headers=auth(client, user.username)
        )
        assert resp.status_code == status, (role, binding, resp.text)
        if status == 403:
            refused = client.post(
                f"/api/v1/elders/{target.id}/away?lang=en", json=body,
                headers=auth(client, user.username),
            )  # fmt: skip
            assert "may not mark an elder away" in refused.json()["error"]["message"], role


def test_only_an_active_elder_is_marked_away(db: Session, tree: Tree, clock: FakeClock) -> None:
    elder = make_elder(db, tree.comm_a1)
    elder.status = "deceased"
    db.flush()
    _, subject = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    data = AwayIn(until=clock.now + timedelta(days=1), reason="hospital")  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        away_service.mark_away(db, subject, elder.id, data, now=clock.now)
    data = AwayIn(until=clock.now - timedelta(days=1), reason="hospital")  # type: ignore[arg-type]
    elder.status = "active"
    with pytest.raises(Invalid) as err:
        away_service.mark_away(db, subject, elder.id, data, now=clock.now)
    assert [p.field for p in err.value.problems] == ["until"]


def test_away_page_form_shows_problems_in_words_and_saves(
    client: TestClient, db: Session, tree: Tree, clock: FakeClock
) -> None:
    user, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    elder = make_elder(db, tree.comm_a1)
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    page = client.get(f"/elders/{elder.id}/away?lang=en")
    assert page.status_code == 200 and "In hospital" in page.text
    csrf = csrf_of(page.text)
    past = (clock.now - timedelta(days=1)).astimezone(UTC) + timedelta(hours=8)
    resp = client.post(
        f"/elders/{elder.id}/away?lang=en",
        data={"csrf_token": csrf, "until": past.strftime("%Y-%m-%dT%H:%M"), "reason": "hospital"},
    )
    assert resp.status_code == 422
    assert "must lie in the future" in resp.text
    ahead = (clock.now + timedelta(days=4)).astimezone(UTC) + timedelta(hours=8)
    resp = client.post(
        f"/elders/{elder.id}/away",
        data={"csrf_token": csrf, "until": ahead.strftime("%Y-%m-%dT%H:%M"), "reason": "travel"},
        follow_redirects=False,
    )
    assert resp.status_code == 303 and resp.headers["location"] == f"/elders/{elder.id}?away=1"
    view = client.get(f"/elders/{elder.id}?lang=en")
    assert 'data-testid="away-badge"' in view.text and "Travelling" in view.text
    resp = client.post(
        f"/elders/{elder.id}/away/end", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert resp.status_code == 303
    db.refresh(elder)
    assert elder.away_until is None


def test_family_home_shows_the_stay_away(
    client: TestClient, db: Session, tree: Tree, clock: FakeClock
) -> None:
    elder = make_elder(db, tree.comm_a1)
    user, _ = make_user(db, Role.FAMILY, elder=elder)
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    home = client.get("/m/home?lang=en")
    assert home.status_code == 200 and 'data-testid="away-mark"' in home.text
    ahead = (clock.now + timedelta(days=7)).astimezone(UTC) + timedelta(hours=8)
    resp = client.post(
        f"/elders/{elder.id}/away",
        data={
            "csrf_token": csrf_of(home.text),
            "until": ahead.strftime("%Y-%m-%dT%H:%M"),
            "reason": "visiting_family",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/m/home?away=1"
    home = client.get("/m/home?lang=en")
    assert 'data-testid="family-away"' in home.text and "Staying with family" in home.text
    assert db.get(Elder, elder.id) is not None
