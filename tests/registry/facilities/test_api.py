"""Facilities through the JSON API: scope by street, community and provider; validation; audit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import (
    INSIDE,
    INSIDE_2,
    OUTSIDE,
    PASSWORD,
    Tree,
    make_facility,
    make_provider,
    make_tree,
    make_user,
)
from yiyang.registry.facilities.models import Facility
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def count(db: Session) -> int:
    return db.scalar(select(func.count(Facility.id))) or 0


def payload(tree: Tree, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "code": "JS-DC-900",
        "name": "文雅社区日间照料中心",
        "kind": "day_care_centre",
        "street_code": tree.street_a.code,
        "community_code": tree.comm_a1.code,
        "address": "文化路 88 号",
        "lat": INSIDE[0],
        "lon": INSIDE[1],
        "phone": "0371-63330000",
        "day_places": 30,
        "meals_per_day": 60,
        "opening_hours": {"mon": ["08:00", "18:00"], "sat": ["09:00", "12:00"]},
    }
    body.update(overrides)
    return body


def ids(client: TestClient, headers: dict[str, str], **params: object) -> set[int]:
    resp = client.get("/api/v1/facilities", params=params | {"size": 500}, headers=headers)
    assert resp.status_code == 200, resp.text
    return {f["id"] for f in resp.json()["items"]}


def test_create_read_update_with_audit(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    provider = make_provider(db)
    admin, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    headers = auth(client, admin.username)
    resp = client.post(
        "/api/v1/facilities", json=payload(tree, provider_id=provider.id), headers=headers
    )
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["street"]["code"] == tree.street_a.code
    assert data["community"]["code"] == tree.comm_a1.code
    assert data["provider"]["id"] == provider.id
    fid = data["id"]
    assert client.get(f"/api/v1/facilities/{fid}", headers=headers).json()["day_places"] == 30
    resp = client.patch(
        f"/api/v1/facilities/{fid}",
        json={"day_places": 40, "opening_hours": {"mon": ["07:30", "18:00"]}},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["opening_hours"] == {"mon": ["07:30", "18:00"]}
    rows = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "facility", AuditEvent.entity_id == fid)
        .order_by(AuditEvent.id)
    ).all()
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[0].after is not None and rows[0].after["code"] == "JS-DC-900"
    assert rows[1].before == {
        "day_places": 30,
        "opening_hours": {"mon": ["08:00", "18:00"], "sat": ["09:00", "12:00"]},
    }
    assert rows[1].after == {"day_places": 40, "opening_hours": {"mon": ["07:30", "18:00"]}}


def test_street_admin_cannot_see_or_touch_other_street(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    mine = make_facility(db, tree.street_a, community=tree.comm_a1)
    other = make_facility(db, tree.street_b, community=tree.comm_b1, lat_lon=INSIDE_2)
    admin, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    headers = auth(client, admin.username)
    seen = ids(client, headers)
    assert mine.id in seen and other.id not in seen
    assert other.id not in ids(client, headers, q=other.name)
    assert client.get(f"/api/v1/facilities/{other.id}", headers=headers).status_code == 404
    resp = client.patch(f"/api/v1/facilities/{other.id}", json={"name": "x"}, headers=headers)
    assert resp.status_code == 404
    before = count(db)
    resp = client.post(
        "/api/v1/facilities",
        json=payload(tree, street_code=tree.street_b.code, community_code=tree.comm_b1.code),
        headers=headers,
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["problems"][0]["field"] == "street_code"
    # nor move its own facility into the other street
    resp = client.patch(
        f"/api/v1/facilities/{mine.id}",
        json={"street_code": tree.street_b.code, "community_code": None},
        headers=headers,
    )
    assert resp.status_code == 422
    db.refresh(mine)
    assert mine.street_id == tree.street_a.id and count(db) == before


def test_community_and_provider_scopes(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    p1, p2 = make_provider(db, "甲"), make_provider(db, "乙")
    a1 = make_facility(db, tree.street_a, community=tree.comm_a1, provider=p1)
    a2 = make_facility(db, tree.street_a, community=tree.comm_a2, provider=p2)
    centre = make_facility(db, tree.street_a, provider=p1, kind="street_centre")
    staff, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    assert ids(client, auth(client, staff.username)) == {a1.id}
    padmin, _ = make_user(db, Role.PROVIDER_ADMIN, provider=p1)
    headers = auth(client, padmin.username)
    assert ids(client, headers) == {a1.id, centre.id}
    assert client.get(f"/api/v1/facilities/{a2.id}", headers=headers).status_code == 404
    resp = client.patch(f"/api/v1/facilities/{a1.id}", json={"name": "x"}, headers=headers)
    assert resp.status_code == 403  # providers read their facilities; the street manages them


def test_filters(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    p1 = make_provider(db)
    a = make_facility(db, tree.street_a, community=tree.comm_a1, provider=p1, name="文雅助餐点")
    a.kind = "meal_point"
    b = make_facility(db, tree.street_b, community=tree.comm_b1, name="四月天照料中心")
    db.flush()
    admin, _ = make_user(db, Role.OPERATOR)
    headers = auth(client, admin.username)
    assert ids(client, headers, kind="meal_point") & {a.id, b.id} == {a.id}
    assert ids(client, headers, street_code=tree.street_b.code) & {a.id, b.id} == {b.id}
    assert ids(client, headers, community_code=tree.comm_a1.code) & {a.id, b.id} == {a.id}
    assert ids(client, headers, provider_id=p1.id) == {a.id}
    assert ids(client, headers, q="四月天") == {b.id}
    assert ids(client, headers, q="文化路 2") >= {a.id, b.id}  # address search


@pytest.mark.parametrize(
    ("override", "field", "code", "status"),
    [
        ({"kind": "spaceport"}, "kind", None, 422),
        ({"community_code": "410105019001"}, "community_code", "community_street", 422),
        ({"community_code": "410105099999"}, "community_code", "invalid", 422),
        ({"street_code": "410105099"}, "street_code", "invalid", 422),
        ({"lat": OUTSIDE[0], "lon": OUTSIDE[1]}, "lat", "outside_district", 422),
        ({"lon": 200.0}, "lon", "range", 422),
        ({"day_places": -1}, "day_places", None, 422),
        ({"beds_long_stay": -5}, "beds_long_stay", None, 422),
        ({"opening_hours": {"mon": ["18:00", "08:00"]}}, "opening_hours.mon", "time_order", 422),
        ({"opening_hours": {"xyz": ["08:00", "18:00"]}}, "opening_hours.xyz", "weekday", 422),
        ({"opening_hours": {"tue": ["8am", "6pm"]}}, "opening_hours.tue", "time_format", 422),
        ({"phone": "555"}, "phone", "phone", 422),
        ({"provider_id": 987654}, "provider_id", "unknown", 422),
        ({"code": "DUPLICATE"}, "code", "duplicate_code", 409),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    client: TestClient,
    db: Session,
    override: dict[str, object],
    field: str,
    code: str | None,
    status: int,
) -> None:
    tree = make_tree(db)
    existing = make_facility(db, tree.street_a)
    existing.code = "DUPLICATE"
    db.flush()
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    before = count(db)
    resp = client.post(
        "/api/v1/facilities", json=payload(tree, **override), headers=auth(client, admin.username)
    )
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    found = [(p["field"], p["code"]) for p in err["problems"]]
    assert any(f == field and (code is None or c == code) for f, c in found), found
    assert count(db) == before


def test_bad_update_changes_nothing(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    facility = make_facility(db, tree.street_a, community=tree.comm_a1)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    resp = client.patch(
        f"/api/v1/facilities/{facility.id}",
        json={"name": "新名字", "lat": OUTSIDE[0], "lon": OUTSIDE[1]},
        headers=auth(client, admin.username),
    )
    assert resp.status_code == 422
    db.expire_all()
    assert db.get(Facility, facility.id).name == "文雅社区日间照料中心"  # type: ignore[union-attr]
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.entity == "facility")) == 0
