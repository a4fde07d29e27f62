"""Staff through the JSON API: provider, street and self scope; masking; validation; audit."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import (
    INSIDE_2,
    PASSWORD,
    make_facility,
    make_provider,
    make_staff,
    make_tree,
    make_user,
)
from yiyang.kit.idcard import make_id_number
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff, StaffCertificate, StaffSkill
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def count(db: Session) -> int:
    return db.scalar(select(func.count(Staff.id))) or 0


def staff_id_number(seq: int = 21, born: date = date(1985, 6, 1), sex: str = "F") -> str:
    return make_id_number("410105", born, seq, sex)


def payload(
    provider: Provider, facility: Facility | None, **overrides: object
) -> dict[str, object]:
    body: dict[str, object] = {
        "code": "JS-S9001",
        "name": "陈静",
        "phone": "13566667777",
        "id_number": staff_id_number(),
        "provider_id": provider.id,
        "facility_id": facility.id if facility else None,
        "roles": ["caregiver", "bath_aide"],
        "travel_mode": "ebike",
        "working_pattern": {"mon": ["08:00", "17:00"], "tue": ["08:00", "17:00"]},
        "hired_date": "2024-03-01",
        "skills": [{"skill": "bathing", "level": 3}, {"skill": "cleaning", "level": 2}],
        "certificates": [
            {
                "kind": "养老护理员四级",
                "number": "1234567",
                "issued_date": "2023-05-01",
                "expires_date": "2028-05-01",
            }
        ],
    }
    body.update(overrides)
    return body


def list_ids(client: TestClient, headers: dict[str, str], **params: object) -> set[int]:
    resp = client.get("/api/v1/staff", params=params | {"size": 500}, headers=headers)
    assert resp.status_code == 200, resp.text
    return {s["id"] for s in resp.json()["items"]}


def test_provider_admin_creates_reads_updates_own_staff_with_audit(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    provider = make_provider(db)
    centre = make_facility(db, tree.street_a, community=tree.comm_a1, provider=provider)
    admin, _ = make_user(db, Role.PROVIDER_ADMIN, provider=provider)
    headers = auth(client, admin.username)
    resp = client.post("/api/v1/staff", json=payload(provider, centre), headers=headers)
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["sex"] == "F"  # from the ID number
    assert data["id_number"] == staff_id_number()  # unmasked for the writer
    assert {s["skill"]: s["level"] for s in data["skills"]} == {"bathing": 3, "cleaning": 2}
    assert data["certificates"][0]["kind"] == "养老护理员四级"
    sid = data["id"]
    listing = client.get("/api/v1/staff", headers=headers).json()["items"]
    item = next(i for i in listing if i["id"] == sid)
    # Masking goes by permission and field, not by list or record: the writer sees it here too.
    assert item["id_number"] == staff_id_number() and item["phone"] == "13566667777"
    resp = client.patch(
        f"/api/v1/staff/{sid}",
        json={"skills": [{"skill": "bathing", "level": 4}, {"skill": "nursing", "level": 1}]},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    assert {s["skill"]: s["level"] for s in resp.json()["skills"]} == {"bathing": 4, "nursing": 1}
    rows = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "staff", AuditEvent.entity_id == sid)
        .order_by(AuditEvent.id)
    ).all()
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[0].after is not None and rows[0].after["provider_id"] == provider.id
    assert rows[1].before == {"skills": {"bathing": 3, "cleaning": 2}}
    assert rows[1].after == {"skills": {"bathing": 4, "nursing": 1}}
    assert db.scalar(select(func.count(StaffSkill.id)).where(StaffSkill.staff_id == sid)) == 2


def test_provider_admin_cannot_reach_other_providers_staff(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    mine, theirs = make_provider(db, "甲"), make_provider(db, "乙")
    their_centre = make_facility(db, tree.street_a, provider=theirs)
    my_centre = make_facility(db, tree.street_a, provider=mine)
    own = make_staff(db, mine, facility=my_centre)
    other = make_staff(db, theirs, facility=their_centre, name="别家员工")
    admin, _ = make_user(db, Role.PROVIDER_ADMIN, provider=mine)
    headers = auth(client, admin.username)
    assert list_ids(client, headers) == {own.id}
    assert list_ids(client, headers, provider_id=theirs.id) == set()
    assert list_ids(client, headers, q="别家员工") == set()
    assert client.get(f"/api/v1/staff/{other.id}", headers=headers).status_code == 404
    resp = client.patch(f"/api/v1/staff/{other.id}", json={"name": "改名"}, headers=headers)
    assert resp.status_code == 404
    db.refresh(other)
    assert other.name == "别家员工"
    before = count(db)
    resp = client.post("/api/v1/staff", json=payload(theirs, their_centre), headers=headers)
    assert resp.status_code in (404, 422)
    assert any(p["field"] == "provider_id" for p in resp.json()["error"]["problems"])
    # nor put its own staff in the other provider's facility, nor move them over
    resp = client.post("/api/v1/staff", json=payload(mine, their_centre), headers=headers)
    assert resp.status_code == 422
    assert resp.json()["error"]["problems"][0]["field"] == "facility_id"
    resp = client.patch(
        f"/api/v1/staff/{own.id}",
        json={"provider_id": theirs.id, "facility_id": their_centre.id},
        headers=headers,
    )
    assert resp.status_code == 422
    assert count(db) == before
    db.refresh(own)
    assert own.provider_id == mine.id


def test_street_admin_sees_staff_based_in_its_street(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    provider = make_provider(db)
    a = make_facility(db, tree.street_a, provider=provider)
    b = make_facility(db, tree.street_b, provider=provider, lat_lon=INSIDE_2)
    here = make_staff(db, provider, facility=a)
    there = make_staff(db, provider, facility=b)
    admin, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    headers = auth(client, admin.username)
    assert list_ids(client, headers) == {here.id}
    assert client.get(f"/api/v1/staff/{there.id}", headers=headers).status_code == 404
    read = client.get(f"/api/v1/staff/{here.id}", headers=headers)
    assert read.status_code == 200
    resp = client.patch(f"/api/v1/staff/{here.id}", json={"name": "x"}, headers=headers)
    assert resp.status_code == 403  # street admins read staff; providers manage them
    community, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    assert client.get("/api/v1/staff", headers=auth(client, community.username)).status_code == 403


def test_caregiver_sees_only_itself(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    provider = make_provider(db)
    centre = make_facility(db, tree.street_a, provider=provider)
    me = make_staff(db, provider, facility=centre, id_number=staff_id_number(31))
    colleague = make_staff(db, provider, facility=centre)
    user, _ = make_user(db, Role.CAREGIVER, provider=provider, staff_id=me.id)
    headers = auth(client, user.username)
    assert list_ids(client, headers) == {me.id}
    mine = client.get(f"/api/v1/staff/{me.id}", headers=headers)
    assert mine.status_code == 200 and mine.json()["id_number"] == me.id_number
    assert client.get(f"/api/v1/staff/{colleague.id}", headers=headers).status_code == 404
    resp = client.patch(f"/api/v1/staff/{me.id}", json={"name": "x"}, headers=headers)
    assert resp.status_code == 403


def test_filters_by_role_skill_status_and_phone(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    provider = make_provider(db)
    centre = make_facility(db, tree.street_a, provider=provider)
    nurse = make_staff(
        db,
        provider,
        facility=centre,
        roles=("nurse",),
        skills=(("nursing", 4),),
        phone="13911112222",
    )
    aide = make_staff(db, provider, roles=("bath_aide", "caregiver"), skills=(("bathing", 2),))
    aide.status = "on_leave"
    db.flush()
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    headers = auth(client, admin.username)
    scope = {nurse.id, aide.id}
    assert list_ids(client, headers, role="nurse") & scope == {nurse.id}
    assert list_ids(client, headers, role="caregiver") & scope == {aide.id}
    assert list_ids(client, headers, skill="bathing") & scope == {aide.id}
    assert list_ids(client, headers, status="on_leave") & scope == {aide.id}
    assert list_ids(client, headers, facility_id=centre.id) == {nurse.id}
    assert list_ids(client, headers, q="1391111") & scope == {nurse.id}
    bad = client.get("/api/v1/staff", params={"skill": "juggling"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "skill"


@pytest.mark.parametrize(
    ("override", "field", "code", "status"),
    [
        ({"id_number": "410105198506010010"}, "id_number", "id_checksum", 422),
        ({"id_number": "41010519850601"}, "id_number", "id_length", 422),
        (
            {"id_number": make_id_number("410105", date(2012, 1, 1), 41, "F")},
            "id_number",
            "too_young",
            422,
        ),
        ({"id_number": None}, "sex", "required", 422),
        ({"sex": "M"}, "sex", "sex_mismatch", 422),
        ({"phone": "12345"}, "phone", "phone", 422),
        ({"roles": ["astronaut"]}, "roles.0", None, 422),
        ({"roles": []}, "roles", None, 422),
        ({"travel_mode": "rocket"}, "travel_mode", None, 422),
        ({"skills": [{"skill": "juggling", "level": 2}]}, "skills.0.skill", None, 422),
        ({"skills": [{"skill": "bathing", "level": 6}]}, "skills.0.level", None, 422),
        ({"skills": [{"skill": "bathing", "level": 0}]}, "skills.0.level", None, 422),
        (
            {"skills": [{"skill": "bathing", "level": 2}, {"skill": "bathing", "level": 3}]},
            "skills.1.skill",
            "duplicate",
            422,
        ),
        (
            {
                "certificates": [
                    {"kind": "x", "issued_date": "2025-01-01", "expires_date": "2024-01-01"}
                ]
            },
            "certificates.0.expires_date",
            "date_order",
            422,
        ),
        (
            {"working_pattern": {"mon": ["17:00", "08:00"]}},
            "working_pattern.mon",
            "time_order",
            422,
        ),
        (
            {"working_pattern": {"funday": ["08:00", "17:00"]}},
            "working_pattern.funday",
            "weekday",
            422,
        ),
        ({"facility_id": "OTHER"}, "facility_id", "other_provider", 422),
        ({"provider_id": 987654}, "provider_id", "unknown", 422),
        ({"code": "DUPCODE"}, "code", "duplicate_code", 409),
        ({"id_number": "DUPID"}, "id_number", "duplicate_id_number", 409),
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
    provider, other = make_provider(db, "甲"), make_provider(db, "乙")
    centre = make_facility(db, tree.street_a, provider=provider)
    other_centre = make_facility(db, tree.street_a, provider=other)
    existing = make_staff(db, provider, facility=centre, id_number=staff_id_number(77))
    existing.code = "DUPCODE"
    db.flush()
    if override.get("facility_id") == "OTHER":
        override = {"facility_id": other_centre.id}
    if override.get("id_number") == "DUPID":
        override = {"id_number": existing.id_number}
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    before = count(db)
    resp = client.post(
        "/api/v1/staff",
        json=payload(provider, centre, **override),
        headers=auth(client, admin.username),
    )
    assert resp.status_code == status, resp.text
    found = [(p["field"], p["code"]) for p in resp.json()["error"]["problems"]]
    assert any(f == field and (code is None or c == code) for f, c in found), found
    assert count(db) == before


def test_bad_update_and_duplicate_id_change_nothing(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    provider = make_provider(db)
    centre = make_facility(db, tree.street_a, provider=provider)
    first = make_staff(db, provider, facility=centre, id_number=staff_id_number(51))
    second = make_staff(db, provider, facility=centre, name="周丽")
    admin, _ = make_user(db, Role.PROVIDER_ADMIN, provider=provider)
    headers = auth(client, admin.username)
    resp = client.patch(
        f"/api/v1/staff/{second.id}",
        json={"name": "新名", "id_number": first.id_number},
        headers=headers,
    )
    assert resp.status_code == 409 and resp.json()["error"]["field"] == "id_number"
    resp = client.patch(
        f"/api/v1/staff/{second.id}",
        json={"name": "新名", "phone": "999", "skills": [{"skill": "bathing", "level": 5}]},
        headers=headers,
    )
    assert resp.status_code == 422 and resp.json()["error"]["problems"][0]["field"] == "phone"
    db.expire_all()
    again = db.get(Staff, second.id)
    assert again is not None and again.name == "周丽" and again.id_number is None
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.entity == "staff")) == 0


def test_a_certificate_stored_before_the_input_rules_still_reads(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    provider = make_provider(db)
    centre = make_facility(db, tree.street_a, community=tree.comm_a1, provider=provider)
    staff = make_staff(db, provider, facility=centre)
    db.add(StaffCertificate(staff_id=staff.id, kind="护理员\x07三级", number="\x1b"))
    db.flush()
    admin, _ = make_user(db, Role.PROVIDER_ADMIN, provider=provider)
    resp = client.get(f"/api/v1/staff/{staff.id}", headers=auth(client, admin.username))
    assert resp.status_code == 200, resp.text
    assert resp.json()["certificates"][0]["kind"] == "护理员\x07三级"
