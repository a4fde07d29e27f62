"""The account pages in chromium: two-factor set-up and sign-in, sessions and API tokens.

Screenshots go to YIYANG_SHOTS when set (e.g. /tmp/shots), else to the test's temp folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, login
from tests.builders import make_user
from yiyang.security.roles import Role

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = Path(os.environ.get("YIYANG_SHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def _account(live_app: LiveApp, role: Role, name: str) -> str:
    assert live_app.engine is not None
    with Session(live_app.engine) as session:
        user, _ = make_user(session, role)
        user.display_name = name
        username = user.username
        session.commit()
    return username


@pytest.mark.parametrize(
    ("role", "name", "locale", "viewport"),
    [
        (Role.DISTRICT_ADMIN, "张主任", "zh-CN", DESKTOP),
        (Role.DISTRICT_ADMIN, "张主任", "en", DESKTOP),
        (Role.CAREGIVER, "刘芳", "zh-CN", PHONE),
        (Role.CAREGIVER, "刘芳", "en", PHONE),
    ],
)
def test_set_up_two_factor_sign_in_with_it_and_manage_tokens(
    browser: Any,
    live_app: LiveApp,
    folder: Path,
    role: Role,
    name: str,
    locale: str,
    viewport: dict[str, int],
) -> None:
    from playwright.sync_api import expect

    username = _account(live_app, role, name)
    context = browser.new_context(
        locale=locale, viewport=viewport, base_url=live_app.url,
        is_mobile=viewport is PHONE, has_touch=viewport is PHONE,
    )  # fmt: skip
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(  # CSP refusals and script errors; the 401 and 422 answers are meant
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("response", lambda r: problems.append(r.url) if r.status >= 500 else None)
    page.on("dialog", lambda d: d.accept())  # the revoke confirmation
    tag = f"{role.value}-{locale}-{'phone' if viewport is PHONE else 'desktop'}"
    shot = lambda n: page.screenshot(path=str(folder / f"acct-{tag}-{n}.png"), full_page=True)  # noqa: E731
    lang = "zh_CN" if locale == "zh-CN" else "en"
    home = live_app.url + ("/m/today" if role == Role.CAREGIVER else "/")  # where sign-in lands
    try:
        login(page, username)
        page.wait_for_url(home)
        page.goto(f"/account/two-factor?lang={lang}")
        expect(page.get_by_test_id("two-factor-off")).to_be_visible()
        shot("1-two-factor-off")
        page.get_by_test_id("start-setup").click()
        expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
        shot("2-setup")
        secret = page.get_by_test_id("totp-key").inner_text().replace(" ", "")
        page.fill("#confirm-code", pyotp.TOTP(secret).now())
        page.get_by_test_id("confirm").click()
        expect(page.get_by_test_id("recovery-code")).to_have_count(10)
        recovery = page.get_by_test_id("recovery-code").first.inner_text()
        shot("3-recovery-codes")
        page.get_by_test_id("continue").click()

        page.goto("/account/tokens")
        page.fill("#token-name", "月报脚本" if lang == "zh_CN" else "monthly report")
        page.get_by_test_id("token-create").click()
        expect(page.get_by_test_id("token-created")).to_be_visible()
        shot("4-token-created")

        context.clear_cookies()
        login(page, username)
        expect(page.get_by_test_id("code-step")).to_be_visible()
        page.fill("#code", "000000")
        page.click("button[type=submit]")
        expect(page.get_by_test_id("login-error")).to_be_visible()
        shot("5-code-step-error")
        page.fill("#code", recovery)
        page.click("button[type=submit]")
        page.wait_for_url(home)
        page.goto("/account/tokens")
        expect(page.get_by_test_id("session-row")).to_have_count(2)
        shot("6-sessions-and-tokens")
        page.get_by_test_id("token-revoke").first.click()
        expect(page.get_by_test_id("token-row")).to_have_count(0)
        page.goto("/account/two-factor")
        expect(page.get_by_test_id("recovery-left")).to_contain_text("9")
        shot("7-two-factor-on")
        page.goto("/account/password")
        page.fill("#current_password", "test-pass-2026")
        page.fill("#new_password", "password2026!")
        page.click("form[action='/account/password'] button[type=submit]")
        expect(page.get_by_test_id("password-error")).to_be_visible()
        shot("8-password-rules")
    finally:
        context.close()
    assert problems == []
