"""The big screen in a real browser: the map and every panel drawn from the seed, an order
placed and an alarm raised on other connections appear without a reload, and a street
admin's screen shows only their street. Screenshots (1920x1080, zh-CN and en) go to
YIYANG_SHOTS when set, else to the test's temp folder.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.builders import make_user
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.config import Settings
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.orders import service as orders_service
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.elders.models import Elder
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.service import subject_for

pytestmark = pytest.mark.browser
WALL = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def live_app(own_live_app: LiveApp) -> LiveApp:
    """A served app of this module's own, with an operator to watch the screen."""
    assert own_live_app.engine is not None
    with Session(own_live_app.engine) as s:
        make_user(s, Role.OPERATOR, username="operator1")
        own_live_app.users["operator1"] = "operator1"
        s.commit()
    return own_live_app


def _place(live: LiveApp, name: str) -> int:
    """Place an order for the elder on a connection of its own (as another web worker would)."""
    assert live.engine is not None
    with Session(live.engine) as s:
        admin = s.query(UserAccount).filter(UserAccount.username == "admin").one()
        now = utcnow()
        # Today's screen shows today's orders: two hours ahead, unless that is already tomorrow.
        start = now + timedelta(hours=2)
        if local_today(start) != local_today(now):  # late evening: a few minutes ahead instead
            start = now + timedelta(minutes=5)
        data = OrderCreate(
            elder_id=live.elder_ids[name], item_code="CLEAN_2H",
            window_start=start, window_end=start + timedelta(hours=2),
        )  # fmt: skip
        order, _ = orders_service.create_order(
            s, subject_for(admin), data, now=now, settings=Settings()
        )
        s.commit()
        return order.id


def _raise(live: LiveApp, name: str) -> int:
    assert live.engine is not None
    with Session(live.engine) as s:
        elder = s.get_one(Elder, live.elder_ids[name])
        alarm, _ = raise_or_repeat(
            s, AlarmType.SOS,
            Origin(originator=f"elder:{elder.id}", elder_id=elder.id, street_id=elder.street_id,
                   community_id=elder.community_id),
            now=utcnow(),
        )  # fmt: skip
        s.commit()
        return alarm.id


def _ready(tab: Any) -> None:
    tab.wait_for_selector("[data-testid=screen][data-ready='1']", timeout=15_000)


def test_the_screen_draws_every_panel_and_follows_orders_and_alarms(
    browser: Any, live_app: LiveApp
) -> None:
    context = browser.new_context(viewport=WALL, base_url=live_app.url, locale="zh-CN")
    escaped = keep_local(context)
    tab = context.new_page()
    login(tab, "operator1")
    tab.goto("/screen")
    _ready(tab)
    for panel in ("map", "supply-chart", "circle-chart"):
        assert tab.locator(f"[data-testid={panel}] canvas").count() >= 1, panel
    assert tab.locator("[data-testid=kpi-placed]").inner_text() != "–"
    assert tab.locator("[data-testid=short-list] li").count() >= 1
    assert tab.locator("[data-testid=live-state]").get_attribute("data-state") == "live"
    tab.evaluate("window.__stayed = true")
    before = int(tab.locator("[data-testid=screen]").get_attribute("data-orders") or 0)
    _place(live_app, "王秀英")
    tab.locator(f"[data-testid=screen][data-orders='{before + 1}']").wait_for(timeout=3_000)
    alarm_id = _raise(live_app, "李桂兰")
    tab.locator(f"[data-testid=alarm-list] li[data-alarm='{alarm_id}']").wait_for(timeout=3_000)
    assert tab.evaluate("window.__stayed === true")
    context.close()
    assert not escaped, escaped


def test_a_screen_whose_stream_goes_quiet_connects_again(page: Any, live_app: LiveApp) -> None:
    """A stream cut without a close looks open: with no beat for three heartbeats the wall
    says it is offline, connects again, and is live on the new stream's snapshot."""
    login(page, "operator1")
    page.goto("/screen")
    _ready(page)
    page.evaluate("window.__stayed = true")
    with page.expect_request("**/screen/stream", timeout=30_000):
        page.locator("[data-testid=screen]").evaluate("el => el.dataset.heartbeatMs = '1'")
        page.locator("[data-testid=live-state][data-state=offline]").wait_for(timeout=10_000)
        page.locator("[data-testid=screen]").evaluate("el => el.dataset.heartbeatMs = '15000'")
    page.locator("[data-testid=live-state][data-state=live]").wait_for(timeout=10_000)
    assert page.evaluate("window.__stayed === true")


def test_a_street_admins_screen_shows_only_their_street(page: Any, live_app: LiveApp) -> None:
    login(page, "street")
    page.goto("/screen")
    _ready(page)
    streets = page.locator("[data-testid=screen]").get_attribute("data-streets")
    assert streets == "410105011"
    answer = page.goto("/screen?street=410105019")
    assert answer is not None and answer.status == 404
    answer = page.goto("/screen?street=41010501x")
    assert answer is not None and answer.status == 422


def test_who_may_not_see_the_screen(page: Any, live_app: LiveApp) -> None:
    login(page, "community")
    answer = page.goto("/screen")
    assert answer is not None and answer.status == 403


def test_screenshots_of_the_screen(browser: Any, live_app: LiveApp, tmp_path: Path) -> None:
    _raise(live_app, "张建国")
    folder = Path(os.environ.get("YIYANG_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    for lang, query in (("zh-CN", "?lang=zh_CN"), ("en", "?lang=en")):
        context = browser.new_context(viewport=WALL, base_url=live_app.url, locale=lang)
        tab = context.new_page()
        login(tab, "admin")
        tab.goto(f"/screen{query}")
        _ready(tab)
        tab.wait_for_timeout(800)
        tab.screenshot(path=str(folder / f"screen-{lang}.png"))
        tab.goto(f"/screen{query}&street=410105011")
        _ready(tab)
        tab.wait_for_timeout(800)
        tab.screenshot(path=str(folder / f"screen-street-{lang}.png"))
        context.close()
    assert (folder / "screen-en.png").exists()
