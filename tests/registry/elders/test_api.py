"""Elders through the JSON API: create, read, update, search, scope, masking, bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import (
    INSIDE_2,
    OUTSIDE,
    PASSWORD,
    elder_payload,
    make_elder,
    make_provider,
    make_tree,
    make_user,
    new_id_number,
)
from yiyang.registry.elders.models import Elder
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def elder_count(db: Session) -> int:
    return db.scalar(select(func.count(Elder.id))) or 0


def test_create_derives_birth_and_sex_and_audits(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    user, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    body = elder_payload(tree.comm_a1)
    resp = client.post("/api/v1/elders", json=body, headers=auth(client, user.username))
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["birth_date"] == "1945-03-08"
    assert data["sex"] == "F"
    assert data["street"]["code"] == tree.street_a.code
    assert data["contacts"][0]["priority"] == 1 and data["contacts"][0]["has_key"] is True
    assert data["risk_tier"] == "high"  # 81, lives alone
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "create"))
    assert audit is not None and audit.after is not None
    assert audit.after["id_number"] == body["id_number"]


def test_full_read_is_audited_list_masks_for_operator(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    operator, _ = make_user(db, Role.OPERATOR)
    headers = auth(client, operator.username)
    listing = client.get("/api/v1/elders", params={"q": elder.name}, headers=headers).json()
    item = next(i for i in listing["items"] if i["id"] == elder.id)
    assert item["id_number"] != elder.id_number and "*" in item["id_number"]
    assert item["phone"] == elder.phone  # operators call elders: phone unmasked
    auditor, _ = make_user(db, Role.AUDITOR)
    masked = client.get(
        "/api/v1/elders", params={"q": elder.name}, headers=auth(client, auditor.username)
    )
    assert "*" in next(i for i in masked.json()["items"] if i["id"] == elder.id)["phone"]
    assert client.get(f"/api/v1/elders/{elder.id}", headers=headers).status_code == 200
    reads = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "read_full", AuditEvent.entity_id == elder.id)
    ).all()
    assert len(reads) == 1 and reads[0].actor_name == operator.username


def test_street_admin_cannot_see_other_street(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    mine = make_elder(db, tree.comm_a1, name="北林老人")
    other = make_elder(db, tree.comm_b1, name="丰庆老人")
    admin, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    headers = auth(client, admin.username)
    ids = {
        i["id"]
        for i in client.get("/api/v1/elders", params={"size": 500}, headers=headers).json()["items"]
    }
    assert mine.id in ids and other.id not in ids
    # search by name, ID number and phone finds nothing across the border
    for q in (other.name, other.id_number):
        found = client.get("/api/v1/elders", params={"q": q}, headers=headers).json()
        assert other.id not in {i["id"] for i in found["items"]}
    assert client.get(f"/api/v1/elders/{other.id}", headers=headers).status_code == 404
    resp = client.patch(f"/api/v1/elders/{other.id}", json={"name": "改名"}, headers=headers)
    assert resp.status_code == 404
    db.refresh(other)
    assert other.name == "丰庆老人"
    # nor register someone into the other street
    resp = client.post("/api/v1/elders", json=elder_payload(tree.comm_b1), headers=headers)
    assert (
        resp.status_code == 422 and resp.json()["error"]["problems"][0]["field"] == "community_code"
    )


def test_community_staff_sees_only_own_community(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    mine = make_elder(db, tree.comm_a1)
    neighbour = make_elder(db, tree.comm_a2)
    user, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    headers = auth(client, user.username)
    ids = {
        i["id"]
        for i in client.get("/api/v1/elders", params={"size": 500}, headers=headers).json()["items"]
    }
    assert mine.id in ids and neighbour.id not in ids


def test_roles_without_elder_access_get_403(client: TestClient, db: Session) -> None:
    provider = make_provider(db)
    user, _ = make_user(db, Role.PROVIDER_ADMIN, provider=provider)
    assert client.get("/api/v1/elders", headers=auth(client, user.username)).status_code == 403


def test_family_sees_only_their_elder(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    mum = make_elder(db, tree.comm_a1)
    other = make_elder(db, tree.comm_a1)
    fam, _ = make_user(db, Role.FAMILY, elder=mum)
    headers = auth(client, fam.username)
    assert client.get(f"/api/v1/elders/{other.id}", headers=headers).status_code in (403, 404)


def test_update_records_before_and_after(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1, living_situation="with_spouse")
    admin, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    resp = client.patch(
        f"/api/v1/elders/{elder.id}",
        json={"living_situation": "alone", "version": elder.version},
        headers=auth(client, admin.username),
    )
    assert resp.status_code == 200, resp.text
    row = db.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert row is not None
    assert row.before == {"living_situation": "with_spouse"}
    assert row.after == {"living_situation": "alone"}


def test_stale_version_is_409(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    resp = client.patch(
        f"/api/v1/elders/{elder.id}",
        json={"name": "新名", "version": elder.version + 5},
        headers=auth(client, admin.username),
    )
    assert resp.status_code == 409


@pytest.mark.parametrize(
    ("override", "field", "code"),
    [
        ({"id_number": "4101051945030800"}, "id_number", "id_length"),
        ({"id_number": "41010519450308001A"}, "id_number", "id_characters"),
        ({"id_number": "410105194502300013"}, "id_number", "id_birth_date"),
        ({"id_number": "410105194503080010"}, "id_number", "id_checksum"),
        ({"lat": OUTSIDE[0], "lon": OUTSIDE[1]}, "lat", "outside_district"),
        ({"lat": 134.0}, "lat", "range"),
        ({"community_code": "410105099999"}, "community_code", "invalid"),
        ({"phone": "12345"}, "phone", "phone"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    client: TestClient, db: Session, override: dict[str, object], field: str, code: str
) -> None:
    tree = make_tree(db)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    before = elder_count(db)
    resp = client.post(
        "/api/v1/elders",
        json=elder_payload(tree.comm_a1, **override),
        headers=auth(client, admin.username),
    )
    assert resp.status_code == 422, resp.text
    problems = resp.json()["error"]["problems"]
    assert any(p["field"] == field and p["code"] == code for p in problems), problems
    assert elder_count(db) == before


def test_checksum_error_message_is_translated(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    headers = auth(client, admin.username) | {"Accept-Language": "en"}
    resp = client.post(
        "/api/v1/elders",
        json=elder_payload(tree.comm_a1, id_number="410105194503080010"),
        headers=headers,
    )
    assert "checksum" in resp.json()["error"]["problems"][0]["message"]


def test_duplicate_id_number_is_409(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    existing = make_elder(db, tree.comm_b1)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    before = elder_count(db)
    resp = client.post(
        "/api/v1/elders",
        json=elder_payload(tree.comm_a1, id_number=existing.id_number),
        headers=auth(client, admin.username),
    )
    assert resp.status_code == 409
    assert resp.json()["error"]["field"] == "id_number"
    assert elder_count(db) == before


def test_under_sixty_and_missing_fields(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    headers = auth(client, admin.username)
    from datetime import date

    young = elder_payload(tree.comm_a1, id_number=new_id_number(date(1990, 1, 1)))
    resp = client.post("/api/v1/elders", json=young, headers=headers)
    assert resp.status_code == 422 and resp.json()["error"]["problems"][0]["code"] == "too_young"
    body = elder_payload(tree.comm_a1)
    del body["name"]
    resp = client.post("/api/v1/elders", json=body, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["error"]["problems"][0]["field"] == "name"


def test_search_and_filters(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    a = make_elder(db, tree.comm_a1, name="赵淑珍", phone="13911119999", groups=("disabled",))
    b = make_elder(
        db, tree.comm_b1, name="钱国强", lat_lon=INSIDE_2, living_situation="with_children"
    )
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    headers = auth(client, admin.username)

    def ids(**params: object) -> set[int]:
        resp = client.get("/api/v1/elders", params=params | {"size": 500}, headers=headers)
        assert resp.status_code == 200, resp.text
        return {i["id"] for i in resp.json()["items"]}

    assert ids(q="赵淑") == {a.id}
    assert a.id in ids(q="13911119999")
    assert ids(q=b.id_number) == {b.id}
    assert a.id in ids(special_group="disabled") and b.id not in ids(special_group="disabled")
    assert b.id in ids(street_code=tree.street_b.code) and a.id not in ids(
        street_code=tree.street_b.code
    )
    assert a.id in ids(age_min=80, age_max=85)
    assert a.id not in ids(age_max=70)
    bad = client.get("/api/v1/elders", params={"living_situation": "on_the_moon"}, headers=headers)
    assert (
        bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "living_situation"
    )
