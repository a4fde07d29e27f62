"""The district admin links a family account to an elder from the elder page, in a real
browser: a wrong name is said beside the field in place, the right one appears in the list,
and the family member's phone then shows the elder. Screenshots (Chinese and English,
desktop and phone) go to YIYANG_SHOTS (or /tmp/shots) / family_links."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.builders import make_user
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _context(browser: Any, live: LiveApp, lang: str, size: dict[str, int]) -> Any:
    phone = size == PHONE
    return browser.new_context(
        locale="zh-CN" if lang == "zh_CN" else "en-US", viewport=size, base_url=live.url,
        device_scale_factor=2 if phone else 1, is_mobile=phone, has_touch=phone,
    )  # fmt: skip


def test_the_admin_links_a_son_and_his_phone_follows_the_elder(
    browser: Any, own_live_app: LiveApp, csp_reports: list[Any]
) -> None:
    from playwright.sync_api import expect

    live = own_live_app
    assert live.engine is not None
    with Session(live.engine) as s:
        elder = s.get_one(Elder, live.elder_ids["王秀英"])
        for lang in ("zh_CN", "en"):
            son, _ = make_user(s, Role.FAMILY, username=f"son_{lang}")
            son.display_name = "王磊"
        s.commit()
        elder_id = elder.id
    folder = Path(os.environ.get("YIYANG_SHOTS") or "/tmp/shots") / "family_links"
    folder.mkdir(parents=True, exist_ok=True)
    for lang in ("zh_CN", "en"):
        for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            context = _context(browser, live, lang, size)
            escaped = keep_local(context)
            page = context.new_page()
            login(page, "admin")
            page.goto(f"/elders/{elder_id}?lang={lang}")
            card = page.get_by_test_id("family-card")
            expect(card).to_be_visible()
            if size_name == "desktop":
                page.fill("#f-username", "nobody-here")
                page.get_by_test_id("family-link").click()
                expect(card.locator("[data-field=username] .error")).to_be_visible()
                card.screenshot(path=str(folder / f"refused-{lang}.png"))
                page.fill("#f-username", f"son_{lang}")
                page.fill("#f-relationship", "儿子" if lang == "zh_CN" else "son")
                page.get_by_test_id("family-link").click()
                expect(card.locator(f"[data-follower=son_{lang}]")).to_be_visible()
            else:
                expect(card.locator(f"[data-follower=son_{lang}]")).to_be_visible()
            card.scroll_into_view_if_needed()
            page.screenshot(path=str(folder / f"elder-{lang}-{size_name}.png"))
            context.close()
            assert not escaped, escaped
        phone = _context(browser, live, lang, PHONE)
        tab = phone.new_page()
        login(tab, f"son_{lang}")
        tab.goto(f"/m/home?lang={lang}")
        expect(tab.locator("body")).to_contain_text("王秀英")
        phone.close()
    assert not csp_reports
