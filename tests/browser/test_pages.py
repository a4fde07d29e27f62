"""The pages in a real browser: login, elder search, a refused registration, language switch."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, login
from yiyang.registry.elders.models import Elder

pytestmark = pytest.mark.browser


def elder_count(live: LiveApp) -> int:
    assert live.engine is not None
    with Session(live.engine) as session:
        return session.scalar(select(func.count(Elder.id))) or 0


def test_login_bad_password_then_good(page: Any, live_app: LiveApp) -> None:
    login(page, "admin", "wrong-password")
    error = page.get_by_test_id("login-error")
    error.wait_for()
    assert error.inner_text().strip()
    assert page.url.endswith("/login")
    login(page, "admin")
    page.wait_for_url(live_app.url + "/")
    assert page.locator(".welcome h1").inner_text().startswith("欢迎")
    assert page.get_by_test_id("figures").is_visible()
    # The district admin sees the whole registry in the navigation.
    nav = page.locator("nav.nav").inner_text()
    for word in ("老人", "设施", "服务人员", "服务机构"):
        assert word in nav


def test_elder_search_narrows_the_list(page: Any, live_app: LiveApp) -> None:
    from playwright.sync_api import expect

    login(page, "admin")
    page.wait_for_url(live_app.url + "/")
    page.goto("/elders")
    results = page.get_by_test_id("results")
    before = int(results.get_attribute("data-total"))
    assert before >= 20
    page.fill("#q", "王秀英")
    expect(results).to_have_attribute("data-total", "1")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1
    assert "王秀英" in rows.first.inner_text()
    assert "q=" in page.url  # the URL keeps the query
    # ID numbers are shown as the service returns them (unmasked for this role).
    assert "*" not in rows.first.locator("td.mono").first.inner_text()
    # A street narrows the list and the community choices; the URL keeps both filters.
    page.fill("#q", "")
    expect(results).to_have_attribute("data-total", str(before))
    page.select_option("select[name=street_code]", "410105019")
    expect(results).to_have_attribute("data-total", "8")
    assert "street_code=410105019" in page.url
    assert page.locator("select[name=community_code] optgroup").count() == 3
    assert page.eval_on_selector_all(
        "select[name=community_code] optgroup",
        "groups => groups.filter(g => g.style.display !== 'none').map(g => g.label)",
    ) == ["丰庆路街道"]


def test_bad_id_number_is_shown_on_its_field_and_nothing_saved(
    page: Any, live_app: LiveApp
) -> None:
    login(page, "community")
    page.wait_for_url(live_app.url + "/")
    before = elder_count(live_app)
    page.goto("/elders/new")
    page.fill("#f-id_number", "410105194503081234")  # wrong checksum
    page.fill("#f-name", "测试老人")
    page.fill("#f-phone", "13712345678")
    page.select_option("#f-community_code", index=1)
    page.fill("#f-address", "文化路 8 号")
    page.fill("#f-lat", "34.8005")
    page.fill("#f-lon", "113.6720")
    page.click("form.card button[type=submit]")
    page.get_by_test_id("form-error").wait_for()
    field = page.locator('.field[data-field="id_number"]')
    assert "invalid" in (field.get_attribute("class") or "")
    assert "校验" in field.locator(".error").inner_text()
    # What the user typed is kept.
    assert page.input_value("#f-name") == "测试老人"
    assert page.input_value("#f-id_number") == "410105194503081234"
    assert elder_count(live_app) == before


def test_language_switch_keeps_the_page(page: Any, live_app: LiveApp) -> None:
    login(page, "admin")
    page.wait_for_url(live_app.url + "/")
    page.goto("/elders?status=active")
    assert page.locator("h1").first.inner_text() == "老人"
    page.get_by_test_id("lang-en").click()
    page.wait_for_url("**/elders?status=active")
    assert page.locator("h1").first.inner_text() == "Elders"
    assert "Register an elder" in page.locator(".page-head").inner_text()
    page.get_by_test_id("lang-zh").click()
    page.wait_for_url("**/elders?status=active")
    assert page.locator("h1").first.inner_text() == "老人"
