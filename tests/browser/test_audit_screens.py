"""The audit page in a real browser as an auditor: zh-CN and en, desktop and phone; screenshots.

Screenshots go to YIYANG_SHOTS when set (e.g. /tmp/shots), else to the test's temp folder.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, login
from yiyang.db import make_session_factory
from yiyang.kit.clock import utcnow
from yiyang.registry.elders import service as elder_service
from yiyang.registry.elders.schemas import ElderUpdate
from yiyang.security.audit import sealer
from yiyang.security.models import UserAccount
from yiyang.security.service import subject_for

pytestmark = pytest.mark.browser


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    chosen = Path(os.environ.get("YIYANG_SHOTS") or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def _history(live: LiveApp, tab: Any) -> None:
    """A change, full-record reads, a failed login and a refusal, then sealed by the sealer."""
    assert live.engine is not None
    with Session(live.engine) as s:
        admin = s.scalar(select(UserAccount).where(UserAccount.username == "admin"))
        assert admin is not None
        elder_service.update_elder(
            s, subject_for(admin, "192.168.10.21"), live.elder_ids["王秀英"],
            ElderUpdate(phone="13900005678", living_situation="with_children",
                        notes="女儿已搬回同住"),
            now=utcnow(), district_code="410105",
        )  # fmt: skip
        s.commit()
    login(tab, "admin")
    tab.wait_for_url(live.url + "/")
    tab.goto(f"/elders/{live.elder_ids['李桂兰']}")
    tab.context.clear_cookies()
    login(tab, "street", "wrong password")
    login(tab, "caregiver")
    tab.wait_for_url(live.url + "/m/today")
    assert tab.goto("/audit").status == 403
    tab.context.clear_cookies()
    sealer.seal_new(make_session_factory(live.engine), utcnow() + timedelta(seconds=10))


def test_the_auditor_reads_the_trail(
    page: Any, browser: Any, live_app: LiveApp, folder: Path
) -> None:
    from playwright.sync_api import expect

    _history(live_app, page)  # the failed login and the refusal answer 401 and 403 on purpose
    problems: list[str] = []
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    login(page, "auditor")
    page.wait_for_url(live_app.url + "/audit")  # the auditor's home page is the trail
    page.get_by_role("link", name="审计日志").click()
    expect(page.get_by_test_id("audit-results")).to_be_visible()
    expect(page.locator("h1")).to_have_text("审计日志")
    changed = page.locator("[data-testid=audit-row].action-update").filter(has_text="王秀英").first
    changed.get_by_test_id("changes").locator("summary").click()
    expect(changed.locator("table.diff")).to_contain_text("居住状况")
    expect(changed.locator("table.diff")).to_contain_text("139****5678")
    expect(page.locator(".action-refused").first).to_contain_text("拒绝：无权限")
    expect(page.locator(".action-login_failed").first).to_contain_text("登录失败")
    page.mouse.wheel(0, -10_000)  # back to the top: the sticky bar stays out of the middle
    page.screenshot(path=str(folder / "audit-auditor-zh.png"), full_page=True)
    page.get_by_test_id("filter-action").select_option("refused")
    expect(page).to_have_url(re.compile(r"/audit\?action=refused$"))
    expect(page.locator("[data-testid=audit-row]:not(.action-refused)")).to_have_count(0)
    expect(page.get_by_test_id("audit-row").filter(has_text="刘芳").first).to_be_visible()
    page.screenshot(path=str(folder / "audit-auditor-refused-zh.png"), full_page=True)
    page.goto("/audit?lang=en")
    changed = page.locator("[data-testid=audit-row].action-update").filter(has_text="王秀英").first
    changed.get_by_test_id("changes").locator("summary").click()
    expect(changed.locator("table.diff")).to_contain_text("Living situation")
    expect(page.locator(".action-read_audit").last).to_contain_text("No filter · Rows: ")
    page.mouse.wheel(0, -10_000)
    page.screenshot(path=str(folder / "audit-auditor-en.png"), full_page=True)
    cookies = page.context.cookies()
    for lang in ("zh_CN", "en"):
        phone = browser.new_context(
            locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2,
            is_mobile=True, has_touch=True, base_url=live_app.url,
        )  # fmt: skip
        try:
            phone.add_cookies(cookies)
            tab = phone.new_page()
            tab.goto(f"/audit?lang={lang}")
            expect(tab.get_by_test_id("audit-results")).to_be_visible()
            tab.screenshot(path=str(folder / f"audit-auditor-phone-{lang}-top.png"))
            tab.get_by_test_id("audit-results").scroll_into_view_if_needed()
            tab.screenshot(path=str(folder / f"audit-auditor-phone-{lang}-rows.png"))
            row = (
                tab.locator("[data-testid=audit-row].action-update").filter(has_text="王秀英").first
            )
            row.get_by_test_id("changes").locator("summary").click()
            row.scroll_into_view_if_needed()
            tab.screenshot(path=str(folder / f"audit-auditor-phone-{lang}-diff.png"))
        finally:
            phone.close()
    assert problems == []
