"""GET /api/v1/audit and its exports: who may read, filters, masking, totals, refusals audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder, make_tree, make_user
from yiyang.security.audit import service as audit
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.service import subject_for


def bearer(client: TestClient, user: UserAccount) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


@pytest.fixture
def trail(db: Session) -> dict[str, object]:
    """An admin who changed two elders (one late in the evening, from another address)."""
    tree = make_tree(db)
    wang = make_elder(db, tree.comm_a1, name="王秀英", phone="13800001234")
    li = make_elder(db, tree.comm_b1, name="李桂兰")
    admin, admin_subject = make_user(db, Role.DISTRICT_ADMIN, username="zhang")
    admin.display_name = "张主任"
    audit.record(
        db, admin_subject, "update", "elder", wang.id,
        before={"phone": "13800001234", "id_number": wang.id_number, "living_situation": "alone"},
        after={"phone": "13900005678", "id_number": wang.id_number,
               "living_situation": "with_children"},
        at=datetime(2026, 11, 20, 15, 30, tzinfo=UTC),  # 23:30 on 20 November in Zhengzhou
    )  # fmt: skip
    elsewhere = subject_for(admin, ip="10.1.2.3")
    audit.record(db, elsewhere, "read_full", "elder", li.id,
                 at=datetime(2026, 11, 20, 16, 30, tzinfo=UTC))  # fmt: skip
    db.flush()
    return {"wang": wang, "li": li, "admin": admin}


def rows(client: TestClient, headers: dict[str, str], **params: object) -> dict[str, object]:
    resp = client.get("/api/v1/audit", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def elder_rows(body: dict[str, object]) -> list[dict[str, object]]:
    return [i for i in body["items"] if i["entity"] == "elder"]  # type: ignore[union-attr,index]


@pytest.mark.parametrize("role", [Role.DISTRICT_ADMIN, Role.AUDITOR])
def test_admins_and_auditors_read_the_trail_and_their_reading_is_audited(
    client: TestClient, db: Session, trail: dict[str, object], role: Role
) -> None:
    reader, _ = make_user(db, role)
    headers = bearer(client, reader)
    body = rows(client, headers, action="update")
    assert body["total"] == 1
    item = body["items"][0]  # type: ignore[index]
    assert item["actor_display_name"] == "张主任" and item["entity_name"] == "王秀英"
    assert item["action_label"] == "修改" or item["action_label"] == "Changed"
    read = db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "read_audit", AuditEvent.actor_id == reader.id
        )
    )
    assert read is not None and read.after == {
        "filter": {"action": "update"},
        "page": 1,
        "total": 1,
    }


def test_an_operator_is_refused_and_the_refusal_is_audited(
    client: TestClient, db: Session, trail: dict[str, object]
) -> None:
    operator, _ = make_user(db, Role.OPERATOR)
    resp = client.get("/api/v1/audit", headers=bearer(client, operator))
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"
    refusal = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "refused", AuditEvent.actor_id == operator.id)
    )
    assert refusal is not None
    assert refusal.after == {
        "code": "forbidden",
        "method": "GET",
        "path": "/api/v1/audit",
        "permission": "audit.read",
    }
    admin = trail["admin"]
    assert isinstance(admin, UserAccount)
    seen = rows(client, bearer(client, admin), action="refused")["items"]
    assert [i["actor_name"] for i in seen] == [operator.username]  # type: ignore[index]
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "read_audit",
                                              AuditEvent.actor_id == operator.id)) is None  # fmt: skip


def test_filters_by_person_elder_local_dates_and_address(
    client: TestClient, db: Session, trail: dict[str, object]
) -> None:
    auditor, _ = make_user(db, Role.AUDITOR)
    headers = bearer(client, auditor)
    li = trail["li"]
    assert len(elder_rows(rows(client, headers, person="张主任"))) == 2
    assert len(elder_rows(rows(client, headers, person="zha"))) == 2
    assert elder_rows(rows(client, headers, person="nobody")) == []
    only_li = elder_rows(rows(client, headers, elder="李桂兰"))
    assert [i["entity_id"] for i in only_li] == [li.id]  # type: ignore[attr-defined]
    assert elder_rows(rows(client, headers, elder="没有这个人")) == []
    by_id = rows(client, headers, entity="elder", entity_id=li.id)  # type: ignore[attr-defined]
    assert [i["action"] for i in by_id["items"]] == ["read_full"]  # type: ignore[index]
    # 23:30 and 00:30 local: the first is on the 20th, the second on the 21st.
    assert [i["action"] for i in elder_rows(rows(client, headers, date_from="2026-11-20",
                                                 date_to="2026-11-20"))] == ["update"]  # fmt: skip
    assert [i["action"] for i in elder_rows(rows(client, headers, date_from="2026-11-21",
                                                 date_to="2026-11-21"))] == ["read_full"]  # fmt: skip
    assert [i["action"] for i in rows(client, headers, ip="10.1.2.3")["items"]] == ["read_full"]  # type: ignore[index]
    assert rows(client, headers, role="district_admin", action="update")["total"] == 1
    assert rows(client, headers, role="caregiver", action="update")["total"] == 0


def test_before_and_after_are_masked_for_an_auditor_and_full_for_an_admin(
    client: TestClient, db: Session, trail: dict[str, object]
) -> None:
    wang = trail["wang"]
    auditor, _ = make_user(db, Role.AUDITOR)
    masked = rows(client, bearer(client, auditor), action="update")["items"][0]  # type: ignore[index]
    assert masked["before"]["phone"] == "138****1234"
    assert masked["after"]["id_number"] != wang.id_number  # type: ignore[attr-defined]
    assert masked["after"]["id_number"] == wang.id_number[:6] + "*" * 12  # type: ignore[attr-defined]
    admin = trail["admin"]
    assert isinstance(admin, UserAccount)
    full = rows(client, bearer(client, admin), action="update")["items"][0]  # type: ignore[index]
    assert full["before"]["phone"] == "13800001234"


@pytest.mark.parametrize(
    "params",
    [{"entity_id": "99999999999999999999"}, {"date_from": "0001-01-01"}, {"ip": "<script>"},
     {"action": "DROP TABLE"}, {"page": "0"}, {"size": "100000"}, {"role": "emperor"}],
)  # fmt: skip
def test_bad_filters_are_refused_not_500(
    client: TestClient, db: Session, params: dict[str, str]
) -> None:
    auditor, _ = make_user(db, Role.AUDITOR)
    resp = client.get("/api/v1/audit", params=params, headers=bearer(client, auditor))
    assert resp.status_code == 422, resp.text


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_exports_hold_as_many_rows_as_the_page_says_and_are_audited(
    client: TestClient, db: Session, trail: dict[str, object]
) -> None:
    auditor, _ = make_user(db, Role.AUDITOR)
    headers = bearer(client, auditor) | {"Accept-Language": "zh-CN"}
    query = {"entity": "elder"}
    total = rows(client, headers, **query)["total"]
    assert total == 2
    got = client.get("/api/v1/audit.csv", params=query, headers=headers)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    table = _csv_rows(got.content)
    assert table[0][:3] == ["时间", "人员", "用户名"]
    assert len(table) - 1 == total
    assert "138****1234" in got.text and "13800001234" not in got.text
    assert any("2026-11-20 23:30:00" in r[0] for r in table[1:])  # China time, not UTC
    book = client.get("/api/v1/audit.xlsx", params=query, headers=headers)
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None and sheet.max_row - 1 == total
    exports = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.entity == "audit_event")
    ).all()
    assert [(e.after or {}).get("format") for e in exports] == ["csv", "xlsx"]
    assert all((e.after or {}).get("count") == total for e in exports)


def test_an_operator_cannot_export(client: TestClient, db: Session) -> None:
    operator, _ = make_user(db, Role.OPERATOR)
    assert client.get("/api/v1/audit.csv", headers=bearer(client, operator)).status_code == 403
