"""Every page for every role in a real browser, with no server error; screenshots to look at.

Screenshots go to YIYANG_SHOTS when set (e.g. /tmp/shots), else to the test's temp folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveApp, login

pytestmark = pytest.mark.browser


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where the screenshots go."""
    chosen = Path(os.environ.get("YIYANG_SHOTS") or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def test_every_page_renders(page: Any, live_app: LiveApp, folder: Path) -> None:
    server_errors: list[str] = []
    page.on("response", lambda r: server_errors.append(r.url) if r.status >= 500 else None)

    def shot(page: Any, name: str) -> None:
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    page.goto("/login")
    shot(page, "01-login")
    login(page, "admin", "nope")
    shot(page, "02-login-error")
    for who in ("admin", "street", "community", "provider", "caregiver"):
        page.context.clear_cookies()
        login(page, who)
        page.wait_for_url(live_app.url + "/")
        page.wait_for_timeout(400)  # the chart animates in
        shot(page, f"03-home-{who}")
    page.context.clear_cookies()
    login(page, "admin")
    page.wait_for_url(live_app.url + "/")
    page.goto("/elders")
    shot(page, "04-elders")
    page.goto(f"/elders/{live_app.elder_ids['王秀英']}")
    shot(page, "05-elder-view")
    page.goto("/elders/new")
    page.fill("#f-id_number", "410105194503081234")
    page.fill("#f-name", "测试老人")
    page.fill("#f-phone", "1371234")
    page.fill("#f-lat", "abc")
    page.fill("input[name='contacts.0.name']", "张伟")
    page.fill("input[name='contacts.0.phone']", "123")
    page.click("form.card button[type=submit]")
    shot(page, "06-elder-form-errors")
    for path, name in (
        ("/facilities", "07-facilities"),
        (f"/facilities/{live_app.facility_id}", "08-facility-view"),
        ("/facilities/new", "09-facility-form"),
        ("/staff", "10-staff"),
        (f"/staff/{live_app.staff_id}", "11-staff-view"),
        ("/providers", "12-providers"),
        ("/catalog", "13-catalog"),
        ("/elders/999999", "14-not-found"),
        ("/account/password", "15-password"),
    ):
        page.goto(path)
        shot(page, name)
    page.get_by_test_id("lang-en").click()
    page.goto("/elders")
    shot(page, "16-elders-en")
    page.goto("/")
    page.wait_for_timeout(400)
    shot(page, "17-home-en")
    page.goto(f"/elders/{live_app.elder_ids['王秀英']}/edit")
    shot(page, "18-elder-edit-en")
    assert server_errors == []
    assert len(list(folder.glob("*.png"))) >= 22
