"""The /audit page: words not codes, local times, a readable diff, refusals audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder, make_tree, make_user
from yiyang.security.audit import service as audit
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.web.csrf import csrf_token
from yiyang.web.deps import SESSION_COOKIE


def login(client: TestClient, user: UserAccount) -> str:
    client.cookies.clear()
    resp = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text
    return csrf_token("test-secret", client.cookies[SESSION_COOKIE])


@pytest.fixture
def changed(db: Session) -> UserAccount:
    """An elder whose living situation and phone an admin changed; returns the admin."""
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1, name="王秀英")
    admin, subject = make_user(db, Role.DISTRICT_ADMIN, username="zhang")
    admin.display_name = "张主任"
    audit.record(
        db, subject, "update", "elder", elder.id,
        before={"living_situation": "alone", "phone": "13800001234", "consent_given": False,
                "community_id": tree.comm_a1.id},
        after={"living_situation": "with_children", "phone": "13900005678",
               "consent_given": True, "community_id": tree.comm_a2.id},
        at=datetime(2026, 11, 20, 15, 30, tzinfo=UTC),
    )  # fmt: skip
    db.flush()
    return admin


def test_the_auditor_reads_words_local_times_and_a_masked_diff(
    client: TestClient, db: Session, changed: UserAccount
) -> None:
    auditor, _ = make_user(db, Role.AUDITOR)
    login(client, auditor)
    html = client.get("/audit?action=update&lang=zh-CN").text
    assert "审计日志" in html
    assert "张主任" in html and "王秀英" in html
    assert "修改" in html and "居住状况" in html and "独居" in html and "与子女同住" in html
    assert "2026-11-20 23:30:00" in html and "15:30" not in html  # China time, never UTC
    assert "138****1234" in html and "13800001234" not in html
    assert "文雅社区" in html and "北林社区" in html  # areas by name, not by id
    assert "否" in html and "是" in html  # consent given: no, then yes
    assert "district_admin" not in html.split("<main")[1].split("</select>")[-1]
    english = client.get("/audit?action=update&lang=en").text
    assert "Living situation" in english and "Lives alone" in english
    again = client.get("/audit?action=read_audit&lang=zh-CN").text
    assert "查看审计日志" in again and "操作: 修改 · 条数：1" in again


def test_the_district_admin_sees_full_numbers(
    client: TestClient, db: Session, changed: UserAccount
) -> None:
    login(client, changed)
    html = client.get("/audit?action=update").text
    assert "13800001234" in html


def test_an_operator_is_refused_and_the_refusal_is_recorded(
    client: TestClient, db: Session
) -> None:
    operator, _ = make_user(db, Role.OPERATOR)
    login(client, operator)
    assert 'href="/audit"' not in client.get("/").text
    resp = client.get("/audit")
    assert resp.status_code == 403
    refusal = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "refused", AuditEvent.actor_id == operator.id)
    )
    assert refusal is not None and refusal.detail == "GET /audit"


def test_a_forged_form_is_refused_and_recorded(client: TestClient, db: Session) -> None:
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin)
    resp = client.post("/account/password", data={"csrf_token": "forged"})
    assert resp.status_code == 403
    refusal = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "refused", AuditEvent.actor_id == admin.id)
    )
    assert refusal is not None and (refusal.after or {}).get("code") == "csrf"
    auditor, _ = make_user(db, Role.AUDITOR)
    login(client, auditor)
    html = client.get("/audit?action=refused&lang=en").text
    assert "The form&#39;s security token was missing or wrong · POST /account/password" in html


def test_htmx_gets_the_results_and_odd_filters_are_dropped(
    client: TestClient, db: Session, changed: UserAccount
) -> None:
    auditor, _ = make_user(db, Role.AUDITOR)
    login(client, auditor)
    resp = client.get(
        "/audit?action=update&entity_id=99999999999999999999&date_from=0001-01-01&ip=x y",
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert resp.status_code == 200
    assert 'id="results"' in resp.text and "<html" not in resp.text
    assert resp.headers["HX-Push-Url"] == "/audit?action=update"
    assert 'data-total="1"' in resp.text


def test_the_page_links_exports_with_the_same_filters(
    client: TestClient, db: Session, changed: UserAccount
) -> None:
    auditor, _ = make_user(db, Role.AUDITOR)
    login(client, auditor)
    html = client.get("/audit?action=update&person=张").text
    assert 'href="/api/v1/audit.csv?person=%E5%BC%A0&amp;action=update"' in html
    assert 'href="/audit"' in html  # the navigation entry
    export = client.get("/api/v1/audit.csv?person=%E5%BC%A0&action=update")
    assert export.status_code == 200
    assert len(export.content.decode("utf-8-sig").strip().splitlines()) - 1 == 1
