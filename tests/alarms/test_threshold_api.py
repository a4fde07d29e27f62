"""An elder's own alarm thresholds over the JSON API: defaults shown, set, refused when
nonsense, removed; audited; out of scope is 404; who may change them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder, make_tree, make_user
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_an_operator_sets_and_removes_an_elders_own_heart_rate_limits(
    client: TestClient, db: Session
) -> None:
    elder = make_elder(db, make_tree(db).comm_a1)
    user, _ = make_user(db, Role.OPERATOR)
    h = auth(client, user.username)
    url = f"/api/v1/elders/{elder.id}/alarm-thresholds"
    listed = client.get(url, headers=h)
    assert listed.status_code == 200, listed.text
    pulse = next(t for t in listed.json() if t["metric"] == "heart_rate")
    assert (pulse["own"], pulse["major_high"], pulse["critical_low"], pulse["unit"]) == (
        False,
        120,
        50,
        "bpm",
    )
    body = {"major_high": 110, "critical_high": 130, "major_low": 55, "critical_low": 45,
            "window_start": "22:00", "window_end": "06:00", "note": "beta blockers"}  # fmt: skip
    put = client.put(f"{url}/heart_rate", json=body, headers=h)
    assert put.status_code == 200, put.text
    assert put.json()["own"] is True and put.json()["set_by"] == user.display_name
    assert (
        next(t for t in client.get(url, headers=h).json() if t["metric"] == "heart_rate")[
            "major_high"
        ]
        == 110
    )
    gone = client.delete(f"{url}/heart_rate", headers=h)
    assert gone.status_code == 200 and gone.json()["own"] is False
    actions = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity == "alarm_threshold")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "delete"]


def test_nonsense_limits_are_422_and_nothing_is_written(client: TestClient, db: Session) -> None:
    elder = make_elder(db, make_tree(db).comm_a1)
    user, _ = make_user(db, Role.OPERATOR)
    h = auth(client, user.username)
    url = f"/api/v1/elders/{elder.id}/alarm-thresholds"
    for body, code in [
        ({"major_high": 80, "major_low": 90}, "low_not_below_high"),
        ({"major_high": 100, "major_low": 100}, "low_not_below_high"),
        ({"major_high": 120, "critical_high": 110}, "critical_high_below_major"),
        ({}, "no_limit"),
        ({"major_high": 120, "window_start": "22:00"}, "half_window"),
    ]:
        r = client.put(f"{url}/heart_rate", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == code
    bad_time = client.put(
        f"{url}/heart_rate",
        json={"major_high": 120, "window_start": "25:00", "window_end": "06:00"},
        headers=h,
    )
    assert bad_time.status_code == 422
    unknown = client.put(f"{url}/spo2", json={"major_low": 92}, headers=h)
    assert unknown.status_code == 404
    assert all(not t["own"] for t in client.get(url, headers=h).json())


def test_out_of_scope_is_404_and_a_caregiver_may_not_change_limits(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_b1)
    staff, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    url = f"/api/v1/elders/{elder.id}/alarm-thresholds"
    r = client.put(
        f"{url}/temperature", json={"major_high": 37.8}, headers=auth(client, staff.username)
    )
    assert r.status_code == 404
    family, _ = make_user(db, Role.FAMILY, elder=elder)
    r = client.put(
        f"{url}/temperature", json={"major_high": 37.8}, headers=auth(client, family.username)
    )
    assert r.status_code == 403
