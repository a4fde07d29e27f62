"""Elder import and export through the JSON API: all or nothing, per-row report, scope, masks."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from tests.builders import OUTSIDE, PASSWORD, make_elder, make_tree, make_user, new_id_number
from tests.registry.elders.io_files import csv_bytes, read_csv, read_xlsx, row, xlsx_bytes
from yiyang.registry.elders.models import Elder, ElderContact, ElderGroup
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def admin_headers(
    client: TestClient, db: Session, role: Role = Role.DISTRICT_ADMIN
) -> dict[str, str]:
    user, _ = make_user(db, role)
    return auth(client, user.username)


def upload(
    client: TestClient,
    headers: dict[str, str],
    content: bytes,
    name: str = "elders.xlsx",
    **params: Any,
) -> Any:
    return client.post(
        "/api/v1/elders/import",
        files={"file": (name, content, "application/octet-stream")},
        headers=headers,
        params=params,
    )


def elder_count(db: Session) -> int:
    return db.scalar(select(func.count(Elder.id))) or 0


def problems_of(resp: Any) -> list[dict[str, Any]]:
    assert resp.status_code == 422, resp.text
    rows: list[dict[str, Any]] = resp.json()["rows"]
    return rows


def test_valid_xlsx_import_writes_all_with_audit(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    headers = admin_headers(client, db)
    rows = [row(tree.comm_a1), row(tree.comm_b2, living_situation="with_spouse", special_groups="")]
    content = xlsx_bytes(rows)
    before = elder_count(db)
    resp = upload(client, headers, content, "老人名单.xlsx")
    assert resp.status_code == 201, resp.text
    assert resp.json()["imported"] == 2 and resp.json()["format"] == "xlsx"
    assert elder_count(db) == before + 2
    elder = db.scalar(
        select(Elder)
        .where(Elder.id_number == rows[0]["id_number"])
        .options(selectinload(Elder.groups), selectinload(Elder.contacts))
    )
    assert elder is not None
    assert elder.sex == "M" and elder.birth_date == date(1944, 6, 2)
    assert elder.living_situation == "alone" and elder.economic_status == "minimum_living"
    assert sorted(g.code for g in elder.groups) == ["disabled", "living_alone"]
    assert elder.street_id == tree.street_a.id and elder.capability_level == 2
    assert [(c.name, c.relationship, c.has_key) for c in elder.contacts] == [("刘伟", "儿子", True)]
    assert elder.consent_given and elder.consent_date == date(2026, 11, 23)
    batch = db.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    assert batch is not None and batch.after is not None
    assert batch.after["count"] == 2 and batch.after["file_name"] == "老人名单.xlsx"
    assert batch.after["sha256"] == hashlib.sha256(content).hexdigest()
    created = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "create", AuditEvent.entity_id == elder.id)
    ).all()
    assert len(created) == 1 and created[0].after is not None
    assert created[0].after["id_number"] == elder.id_number
    assert created[0].after["special_groups"] == ["living_alone", "disabled"]


@pytest.mark.parametrize(
    ("encoding", "headers"), [("utf-8-sig", "zh"), ("utf-8", "en"), ("gb18030", "zh")]
)
def test_valid_csv_import_in_each_encoding(
    client: TestClient, db: Session, encoding: str, headers: str
) -> None:
    tree = make_tree(db)
    auth_headers = admin_headers(client, db)
    rows = [row(tree.comm_a1, name="陈淑芬", address="丰产路 7 号"), row(tree.comm_a2)]
    resp = upload(client, auth_headers, csv_bytes(rows, headers, encoding), "elders.csv")
    assert resp.status_code == 201, resp.text
    assert resp.json()["format"] == "csv"
    names = set(
        db.scalars(select(Elder.name).where(Elder.id_number.in_([r["id_number"] for r in rows])))
    )
    assert names == {"陈淑芬", "刘建国"}


def test_one_bad_row_imports_nothing_and_is_reported(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    headers = admin_headers(client, db)
    good = [row(tree.comm_a1) for _ in range(3)]
    bad = row(tree.comm_a1, id_number="410105194503080010")  # wrong checksum
    content = xlsx_bytes([good[0], good[1], bad, good[2]])
    before = elder_count(db)
    resp = upload(client, headers, content)
    problems = problems_of(resp)
    assert problems == [
        {
            "row": 4,  # header is row 1
            "column": "身份证号",
            "field": "id_number",
            "code": "id_checksum",
            "message": problems[0]["message"],
        }
    ]
    assert resp.json()["error"]["code"] == "import_rejected"
    assert elder_count(db) == before
    assert db.scalar(select(func.count()).where(AuditEvent.action == "import")) == 0
    report = upload(client, headers, content, report="csv")
    assert report.status_code == 422 and report.headers["content-type"].startswith("text/csv")
    lines = read_csv(report.content)
    assert lines[1][:3] == ["4", "身份证号", "id_checksum"]


def test_english_messages_are_translated_per_locale(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    headers = admin_headers(client, db) | {"Accept-Language": "en"}
    bad = row(tree.comm_a1, id_number="410105194503080010")
    problems = problems_of(upload(client, headers, csv_bytes([bad], "en"), "x.csv"))
    assert problems[0]["column"] == "id_number" and "checksum" in problems[0]["message"]


def test_duplicates_within_file_and_against_database(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    existing = make_elder(db, tree.comm_b1)
    headers = admin_headers(client, db)
    twin = new_id_number(date(1950, 1, 1), "F")
    rows = [
        row(tree.comm_a1, id_number=twin),
        row(tree.comm_a1),
        row(tree.comm_a1, id_number=twin.lower() if twin.endswith("X") else twin),
        row(tree.comm_a1, id_number=existing.id_number),
    ]
    before = elder_count(db)
    problems = problems_of(upload(client, headers, xlsx_bytes(rows)))
    assert {(p["row"], p["code"]) for p in problems} == {
        (4, "duplicate_in_file"),
        (5, "duplicate_id_number"),
    }
    assert "2" in next(p["message"] for p in problems if p["row"] == 4)  # names the first row
    assert elder_count(db) == before


@pytest.mark.parametrize(
    ("override", "column", "code"),
    [
        ({"id_number": "4101051945030800"}, "身份证号", "id_length"),
        ({"id_number": "41010519450308001A"}, "身份证号", "id_characters"),
        ({"id_number": "410105194502300013"}, "身份证号", "id_birth_date"),
        ({"id_number": "410105194503080010"}, "身份证号", "id_checksum"),
        ({"lat": OUTSIDE[0], "lon": OUTSIDE[1]}, "纬度", "outside_district"),
        ({"lat": "北纬34度"}, "纬度", "number"),
        ({"community_code": "410105099999"}, "社区编码", "invalid"),
        ({"phone": "12345"}, "电话", "phone"),
        ({"contact1_phone": "999999"}, "联系人1电话", "phone"),
        ({"contact1_phone": "999"}, "联系人1电话", "too_short"),
        ({"contact1_relationship": None}, "联系人1关系", "required"),
        ({"living_situation": "住在月球"}, "居住状况", "vocabulary"),
        ({"special_groups": "独居、外星人"}, "特殊群体", "vocabulary"),
        ({"consent_given": "也许"}, "知情同意", "boolean"),
        ({"capability_level": 7}, "能力等级", "range"),
        ({"name": ""}, "姓名", "required"),
        ({"id_number": new_id_number(date(1990, 1, 1))}, "身份证号", "too_young"),
    ],
)
def test_each_bad_value_is_reported_on_its_row(
    client: TestClient, db: Session, override: dict[str, Any], column: str, code: str
) -> None:
    tree = make_tree(db)
    headers = admin_headers(client, db)
    rows = [row(tree.comm_a1), row(tree.comm_a1, **override), row(tree.comm_a1)]
    before = elder_count(db)
    problems = problems_of(upload(client, headers, xlsx_bytes(rows)))
    assert [(p["row"], p["column"], p["code"]) for p in problems] == [(3, column, code)], problems
    assert elder_count(db) == before


def test_several_problems_of_one_row_are_all_reported(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    headers = admin_headers(client, db)
    bad = row(tree.comm_a1, id_number="410105194503080010", lat="x", phone="1")
    problems = problems_of(upload(client, headers, xlsx_bytes([bad])))
    assert {p["code"] for p in problems} == {"id_checksum", "number"}
    bad = row(tree.comm_a1, id_number="410105194503080010", phone="1")
    problems = problems_of(upload(client, headers, xlsx_bytes([bad])))
    assert {p["code"] for p in problems} == {"id_checksum", "phone"}


def test_oversized_file_and_too_many_rows_are_413(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    headers = admin_headers(client, db)
    settings = client.app.state.settings  # type: ignore[attr-defined]
    content = xlsx_bytes([row(tree.comm_a1) for _ in range(3)])
    settings.max_import_bytes = len(content) - 1
    resp = upload(client, headers, content)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"
    settings.max_import_bytes = 10 * 1024 * 1024
    settings.max_import_rows = 2
    resp = upload(client, headers, content)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_many_rows"
    assert "2" in resp.json()["error"]["message"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not_spreadsheet"),
        (b"%PDF-1.7\n1 0 obj", "not_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "not_spreadsheet"),
        (b"PK\x03\x04" + b"\x00garbage" * 20, "corrupt"),
        (b"\x00\x01\x02binary", "not_spreadsheet"),
    ],
)
def test_files_that_are_not_spreadsheets_are_422(
    client: TestClient, db: Session, content: bytes, code: str
) -> None:
    make_tree(db)
    resp = upload(client, admin_headers(client, db), content, "elders.xlsx")
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == code


def test_zip_that_is_not_a_workbook_is_422(client: TestClient, db: Session) -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    resp = upload(client, admin_headers(client, db), out.getvalue(), "elders.xlsx")
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "not_spreadsheet"


def test_missing_unknown_and_header_only_columns_are_422(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    headers = admin_headers(client, db)
    partial = [{k: v for k, v in row(tree.comm_a1).items() if k not in ("name", "lat")}]
    resp = upload(client, headers, xlsx_bytes(partial))
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "missing_columns"
    assert "姓名" in error["message"] and "纬度" in error["message"]
    extra = [row(tree.comm_a1) | {"血型": "A"}]
    resp = upload(client, headers, xlsx_bytes(extra))
    assert (
        resp.json()["error"]["code"] == "unknown_columns"
        and "血型" in resp.json()["error"]["message"]
    )
    header_only = csv_bytes([row(tree.comm_a1)]).splitlines()[0]
    resp = upload(client, headers, header_only, "x.csv")
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "no_rows"


def test_street_admin_imports_only_into_own_street(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    admin, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    headers = auth(client, admin.username)
    rows = [row(tree.comm_a1), row(tree.comm_b1), row(tree.comm_a2)]
    before = elder_count(db)
    problems = problems_of(upload(client, headers, xlsx_bytes(rows)))
    assert [(p["row"], p["column"]) for p in problems] == [(3, "社区编码")]
    assert elder_count(db) == before
    resp = upload(client, headers, xlsx_bytes([rows[0], rows[2]]))
    assert resp.status_code == 201 and resp.json()["imported"] == 2


def test_roles_without_import_permission_get_403(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    staff, _ = make_user(db, Role.OPERATOR)
    resp = upload(client, auth(client, staff.username), xlsx_bytes([row(tree.comm_a1)]))
    assert resp.status_code == 403


def export(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    resp = client.get("/api/v1/elders/export", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp


def test_export_masks_for_auditor_but_not_for_district_admin(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1, name="周玉兰")
    auditor, _ = make_user(db, Role.AUDITOR)
    resp = export(client, auth(client, auditor.username), format="csv", q="周玉兰")
    lines = read_csv(resp.content)
    assert lines[0][:2] == ["身份证号", "姓名"]
    assert len(lines) == 2
    assert lines[1][0] != elder.id_number and lines[1][0].startswith(elder.id_number[:6])
    assert "*" in lines[1][0] and "*" in lines[1][2]
    contact_phone = lines[0].index("联系人1电话")
    assert "*" in lines[1][contact_phone]
    admin = admin_headers(client, db)
    rows = read_xlsx(export(client, admin, format="xlsx", q="周玉兰").content)
    assert rows[1][0] == elder.id_number and rows[1][2] == elder.phone
    operator, _ = make_user(db, Role.OPERATOR)
    resp = client.get("/api/v1/elders/export", headers=auth(client, operator.username))
    assert resp.status_code == 403


def test_export_is_audited_dated_and_english_headers(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    make_elder(db, tree.comm_a1, groups=("living_alone", "disabled"))
    make_elder(db, tree.comm_b1)
    headers = admin_headers(client, db) | {"Accept-Language": "en"}
    resp = export(client, headers, format="xlsx", street_code=tree.street_a.code)
    assert resp.headers["content-type"] == XLSX
    assert "elders-20261123.xlsx" in resp.headers["content-disposition"]
    rows = read_xlsx(resp.content)
    assert rows[0][:3] == ["id_number", "name", "phone"]
    assert len(rows) == 2 and rows[1][rows[0].index("special_groups")] == "disabled;living_alone"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event is not None and event.after is not None
    assert event.after["count"] == 1 and event.after["filter"] == {
        "street_code": tree.street_a.code
    }


def test_street_admin_exports_only_own_street(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    mine = make_elder(db, tree.comm_a1)
    other = make_elder(db, tree.comm_b1)
    admin, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    headers = auth(client, admin.username)
    ids = {r[0] for r in read_csv(export(client, headers, format="csv").content)[1:]}
    assert mine.id_number in ids and other.id_number not in ids
    asked = read_csv(export(client, headers, format="csv", street_code=tree.street_b.code).content)
    assert asked[1:] == []


@pytest.mark.parametrize(("fmt", "lang"), [("xlsx", "zh_CN"), ("csv", "en")])
def test_export_then_import_round_trip(
    client: TestClient, db: Session, fmt: str, lang: str
) -> None:
    tree = make_tree(db)
    a = make_elder(db, tree.comm_a1, name="=SUM(A1)", groups=("living_alone", "lost_only_child"))
    b = make_elder(db, tree.comm_b2, phone=None, living_situation="with_children")
    db.execute(
        Elder.__table__.update()
        .where(Elder.id == a.id)
        .values(capability_level=3, household_registration="-河南", notes="备注, 含逗号\n换行")
    )
    headers = admin_headers(client, db) | {"Accept-Language": lang}

    def state() -> dict[str, tuple[Any, ...]]:
        elders = db.scalars(
            select(Elder).options(selectinload(Elder.groups), selectinload(Elder.contacts))
        ).all()
        return {
            e.id_number: (
                e.name,
                e.sex,
                e.birth_date,
                e.phone,
                e.household_registration,
                e.address,
                e.community_id,
                e.lat,
                e.lon,
                e.geofence_m,
                e.living_situation,
                e.economic_status,
                e.capability_level,
                e.consent_given,
                e.notes,
                tuple(g.code for g in e.groups),
                tuple((c.priority, c.name, c.relationship, c.phone, c.has_key) for c in e.contacts),
            )
            for e in elders
        }

    db.expire_all()
    expected = state()
    assert {a.id_number, b.id_number} <= set(expected)
    content = export(client, headers, format=fmt).content
    for model in (ElderContact, ElderGroup, Elder):
        db.execute(delete(model))
    assert elder_count(db) == 0
    resp = upload(client, headers, content, f"export.{fmt}")
    assert resp.status_code == 201, resp.text
    assert resp.json()["imported"] == len(expected)
    db.expire_all()
    assert state() == expected


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_template_has_header_and_an_example_that_imports(
    client: TestClient, db: Session, fmt: str
) -> None:
    make_tree(db)
    headers = admin_headers(client, db)
    resp = client.get("/api/v1/elders/import-template", params={"format": fmt}, headers=headers)
    assert resp.status_code == 200
    assert f"elder-import-template.{fmt}" in resp.headers["content-disposition"]
    rows = read_xlsx(resp.content) if fmt == "xlsx" else read_csv(resp.content)
    assert rows[0][0] == "身份证号" and len(rows) == 2
    imported = upload(client, headers, resp.content, f"t.{fmt}")
    assert imported.status_code == 201, imported.text
