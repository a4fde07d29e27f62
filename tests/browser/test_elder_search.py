"""The call centre's elder search in a browser: namesakes side by side with street,
community, age and address, more than one page of results, in both languages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, login
from tests.builders import make_elder
from yiyang.registry.areas.models import Area

NAMESAKE = "王秀兰"


def _namesakes(live: LiveApp) -> None:
    assert live.engine is not None
    with Session(live.engine) as s:
        communities = [a for a in s.query(Area).filter(Area.level == "community").all()]
        for n in range(26):
            make_elder(s, communities[n % len(communities)], name=NAMESAKE, phone=f"1390000{n:04d}")
        s.commit()


def test_namesakes_by_community_with_paging(own_live_app: LiveApp, browser: Any) -> None:
    from playwright.sync_api import expect

    _namesakes(own_live_app)
    folder = Path(os.environ.get("YIYANG_SHOTS") or "/tmp/yiyang-shots")
    folder.mkdir(parents=True, exist_ok=True)
    for lang, viewport in (("zh-CN", (1366, 900)), ("en", (1366, 900))):
        context = browser.new_context(
            locale=lang, viewport={"width": viewport[0], "height": viewport[1]},
            base_url=own_live_app.url,
        )  # fmt: skip
        page = context.new_page()
        login(page, "admin")
        if lang == "en":
            page.goto("/elders")
            page.get_by_test_id("lang-en").click()
        page.goto(f"/elders?q={NAMESAKE}&sort=community")
        rows = page.locator("#results tbody tr")
        assert rows.count() == 20
        assert page.locator("#results").get_attribute("data-total") == "26"
        text = page.locator("#results").inner_text()
        assert "文化路 1 号" in text and "文雅社区" in text
        page.screenshot(path=str(folder / f"elder-search-{lang}.png"), full_page=True)
        page.locator("#results a[rel=next]").first.click()
        expect(page.locator("#results tbody tr")).to_have_count(6)
        context.close()
