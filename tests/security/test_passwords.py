"""The password policy: length by role, common passwords, names, and no reuse of the last five."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from yiyang.config import Settings
from yiyang.demo import DEMO_PASSWORD
from yiyang.errors import Invalid
from yiyang.security import service
from yiyang.security.models import PasswordHistory
from yiyang.security.passwords import PasswordPolicy, check_policy, is_common, policy_problems
from yiyang.security.roles import Role
from yiyang.security.subject import system_subject
from yiyang.web.i18n import translate

POLICY = PasswordPolicy.of(Settings(secret_key="x"))


def _codes(
    password: str, username: str = "zhangsan", name: str = "张三", min_length: int = 12
) -> list[str]:
    problems = policy_problems(
        password, username=username, display_name=name, min_length=min_length, field="p"
    )
    return [p.code for p in problems]


def test_defaults_are_twelve_for_staff_ten_for_elders_and_families() -> None:
    assert POLICY.min_length_for(Role.DISTRICT_ADMIN) == 12
    assert POLICY.min_length_for(Role.CAREGIVER) == 12
    assert POLICY.min_length_for(Role.ELDER) == 10
    assert POLICY.min_length_for(Role.FAMILY) == 10
    assert POLICY.history == 5


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short-1", ["too_short"]),
        ("iloveyou", ["too_short", "common", "one_kind"]),
        ("password2026!", ["common"]),  # a listed word with digits and symbols around it
        ("2026qwertyuiop!!", ["common"]),
        ("zhangsan-spring-7", ["has_username"]),
        ("ZhangSan-Spring-7", ["has_username"]),
        ("张三的家在北林路十八号院2026", ["has_name"]),
        ("averylongpasswordwithoutdigits", ["one_kind"]),
        ("blue-kettle-river-42", []),
    ],
)
def test_each_rule_is_named(password: str, expected: list[str]) -> None:
    assert _codes(password) == expected


def test_the_list_is_zxcvbns() -> None:
    for listed in ("123456", "qwerty", "woaini", "5201314", "a123456", "1qaz2wsx"):
        assert is_common(listed)
    assert not is_common("blue-kettle-river-42")


def test_the_error_names_every_broken_rule_in_the_readers_language() -> None:
    with pytest.raises(Invalid) as caught:
        check_policy(
            "iloveyou", username="zhangsan", display_name="张三", role=Role.OPERATOR, policy=POLICY
        )
    error = caught.value
    assert error.field == "new_password" and error.status_code == 422
    assert [p.code for p in error.problems] == ["too_short", "common", "one_kind"]
    first = error.problems[0]
    assert translate("en", first.message, first.params) == (
        "The password must be at least 12 characters long."
    )
    assert translate("zh_CN", first.message, first.params) != first.message % first.params


@pytest.mark.parametrize(
    ("username", "name", "role"),
    [
        ("admin", "张主任", Role.DISTRICT_ADMIN),
        ("beilin", "北林路街道管理员", Role.STREET_ADMIN),
        ("wenya", "文雅社区", Role.COMMUNITY_STAFF),
        ("provider1", "服务商", Role.PROVIDER_ADMIN),
        ("caregiver1", "刘芳", Role.CAREGIVER),
        ("operator1", "客服专员", Role.OPERATOR),
        ("supervisor1", "班长坐席", Role.SUPERVISOR),
        ("assessor1", "能力评估员", Role.ASSESSOR),
        ("elder1", "王秀英", Role.ELDER),
        ("family1", "王建国", Role.FAMILY),
        ("auditor1", "民政监督审计员", Role.AUDITOR),
    ],
)
def test_the_demo_password_meets_the_policy(username: str, name: str, role: Role) -> None:
    check_policy(DEMO_PASSWORD, username=username, display_name=name, role=role, policy=POLICY)
    check_policy(PASSWORD, username=username, display_name=name, role=role, policy=POLICY)


def test_none_of_the_last_five_passwords_comes_back(db: Session, clock: FakeClock) -> None:
    user, subject = make_user(db, Role.OPERATOR)
    passwords = [PASSWORD] + [f"blue-kettle-river-{i}x" for i in range(1, 7)]
    for old, new in itertools.pairwise(passwords):
        clock.advance(minutes=1)
        service.change_password(db, subject, old, new, now=clock.now, policy=POLICY)
    current = passwords[-1]
    for recent in passwords[-5:]:
        with pytest.raises(Invalid) as caught:
            service.change_password(db, subject, current, recent, now=clock.now, policy=POLICY)
        assert caught.value.code == "reused" and caught.value.field == "new_password"
    # The sixth one back may be used again, and only five hashes are kept.
    service.change_password(db, subject, current, passwords[-6], now=clock.now, policy=POLICY)
    kept = db.scalar(
        select(func.count(PasswordHistory.id)).where(PasswordHistory.user_id == user.id)
    )
    assert kept == 5
    stored = db.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
    ).all()
    assert all(h.startswith("$argon2id$") for h in stored)  # hashes only


def test_new_accounts_meet_the_policy_and_start_their_history(db: Session) -> None:
    with pytest.raises(Invalid) as caught:
        service.create_user(
            db, system_subject("test"), username="newadmin", password="newadmin2026",
            display_name="新管理员", role=Role.DISTRICT_ADMIN, policy=POLICY,
        )  # fmt: skip
    assert caught.value.field == "password"
    assert {p.code for p in caught.value.problems} == {"has_username"}
    user = service.create_user(
        db, system_subject("test"), username="newadmin", password="blue-kettle-river-42",
        display_name="新管理员", role=Role.DISTRICT_ADMIN, policy=POLICY,
    )  # fmt: skip
    history = db.scalars(select(PasswordHistory).where(PasswordHistory.user_id == user.id)).all()
    assert [h.password_hash for h in history] == [user.password_hash]
