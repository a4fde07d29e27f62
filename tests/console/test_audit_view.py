"""Audit rows in words, without a database: values, masking, diffs and refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from yiyang.console.audit_view import Words, local_text
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

AUDITOR = Subject(1, "auditor1", "周督查", Role.AUDITOR)
ADMIN = Subject(2, "admin", "张主任", Role.DISTRICT_ADMIN)


def event(**values: Any) -> AuditEvent:
    base: dict[str, Any] = {
        "id": 1, "at": datetime(2026, 11, 20, 16, 30, tzinfo=UTC), "actor_id": 2,
        "actor_name": "admin", "actor_role": "district_admin", "action": "update",
        "entity": "elder", "entity_id": 7, "before": None, "after": None, "ip": "10.0.0.1",
        "detail": None, "seq": None,
    }  # fmt: skip
    return AuditEvent(**(base | values))


@pytest.mark.parametrize(
    ("key", "value", "zh", "en"),
    [
        ("consent_given", True, "是", "Yes"),
        ("notes", None, "—", "—"),
        ("living_situation", "alone", "独居", "Lives alone"),
        ("planned_start_at", "2026-11-20T16:30:00+00:00", "2026-11-21 00:30", "2026-11-21 00:30"),
        ("price_fen", 12_50, "12.50", "12.50"),
        ("special_groups", ["living_alone", "empty_nest"], None, None),
        ("name", "2026-11-20T16:30:00", "2026-11-20T16:30:00", "2026-11-20T16:30:00"),
    ],
)
def test_values_read_as_words(key: str, value: Any, zh: str | None, en: str | None) -> None:
    chinese, english = (
        Words("zh_CN", AUDITOR).value(key, value),
        Words("en", AUDITOR).value(key, value),
    )
    if zh is None:
        assert "、" in chinese and "living_alone" not in english
    else:
        assert (chinese, english) == (zh, en)


def test_times_are_china_time() -> None:
    assert local_text(datetime(2026, 11, 20, 16, 30, 5, tzinfo=UTC)) == "2026-11-21 00:30:05"


def test_numbers_are_masked_for_an_auditor_wherever_they_sit() -> None:
    after = {"phone": "13800001234", "id_number": "410105194503081234",
             "contacts": [{"name": "张伟", "phone": "13611112222"}]}  # fmt: skip
    masked = Words("en", AUDITOR).masked("elder", after)
    assert masked["phone"] == "138****1234"
    assert masked["id_number"] != after["id_number"]
    assert masked["contacts"][0]["phone"] == "136****2222"
    assert Words("en", ADMIN).masked("elder", after) == after


def test_a_diff_lists_changed_fields_then_removed_ones() -> None:
    row = event(before={"phone": "13800001234", "notes": "x"}, after={"phone": "13900005678"})
    changes = Words("en", ADMIN).changes(row)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("Phone", "13800001234", "13900005678"), ("Notes", "x", ""),
    ]  # fmt: skip


def test_refusals_say_what_was_refused_in_the_readers_language() -> None:
    by_permission = event(action="refused", entity="request", entity_id=None,
                          after={"code": "forbidden", "permission": "audit.read",
                                 "method": "GET", "path": "/audit"})  # fmt: skip
    assert Words("zh_CN", AUDITOR).summary(by_permission) == "查看审计日志 · GET /audit"
    by_rule = event(action="refused", entity="request", entity_id=None, after={
        "code": "event_forbidden", "message": "Your role may not do “%(event)s” to an order.",
        "params": {"event": "cancel"}, "method": "POST", "path": "/orders/3/cancel",
    })  # fmt: skip
    assert Words("zh_CN", AUDITOR).summary(by_rule) == (
        "您的角色无权对订单执行“cancel”。 · POST /orders/3/cancel"
    )
    assert Words("zh_CN", AUDITOR).changes(by_rule) == []


def test_a_reading_of_the_trail_is_summarised_by_its_filter() -> None:
    read = event(action="read_audit", entity="audit_event", entity_id=None,
                 after={"filter": {"action": "login_failed", "role": "operator"}, "page": 1,
                        "total": 4})  # fmt: skip
    assert Words("en", ADMIN).summary(read) == (
        "Action: Failed login; Role: Call-centre operator · Rows: 4"
    )


@pytest.mark.parametrize(
    ("action", "detail", "zh", "en"),
    [
        ("login", "password", "密码", "Password"),
        ("login", "password+totp", "密码 + 验证器动态码", "Password + authenticator code"),
        ("login", "password+recovery", "密码 + 恢复码", "Password + recovery code"),
        ("login_failed", "bad_credentials", "用户名或密码错误", "Wrong user name or password"),
        ("login_failed", "bad_code", "验证码错误或已过期", "Wrong or expired code"),
        ("login_locked", "2026-11-20T16:30:00+00:00", "锁定至 2026-11-21 00:30",
         "Locked until 2026-11-21 00:30"),
    ],
)  # fmt: skip
def test_sign_in_details_read_as_words(action: str, detail: str, zh: str, en: str) -> None:
    row = event(action=action, entity="user", detail=detail)
    assert (Words("zh_CN", AUDITOR).summary(row), Words("en", AUDITOR).summary(row)) == (zh, en)


def _recorded_codes() -> set[tuple[str, str]]:
    """Every (action, kind of record) the product code writes to the trail with literal codes."""
    import re
    from pathlib import Path

    import yiyang

    call = re.compile(
        r"audit\.record(?:_detached)?\(\s*\w+,\s*\w+,\s*\"([\w.]+)\",\s*f?\"([\w{}.]+)\""
    )
    found: set[tuple[str, str]] = set()
    for path in Path(yiyang.__file__).parent.rglob("*.py"):
        found |= set(call.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_action_and_kind_of_record_the_code_writes_has_words() -> None:
    from yiyang.console.audit_labels import ACTION_LABELS, ENTITY_LABELS

    codes = _recorded_codes()
    assert len(codes) > 20  # the scan found the calls
    entities = {e.replace("{kind}", k) for _, e in codes for k in ("session", "api")}
    assert sorted({a for a, _ in codes} - set(ACTION_LABELS)) == []
    assert sorted({e for e in entities if "{" not in e} - set(ENTITY_LABELS)) == []
