"""The maps draw in a real browser: the elder's home with its geofence, an order's home,
centre and the caregiver's day, a facility's place and the facilities map with its filters;
no console errors, no request leaving 127.0.0.1 (the district outline is served locally)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, login
from tests.browser.probe import Probe
from tests.browser.world import caregiver, carry, centre_near, place, seeded_provider
from tests.builders import make_user
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("YIYANG_SHOTS") or "/tmp/shots") / "maps"


@pytest.fixture(scope="module")
def order_id(own_live_app: LiveApp) -> int:
    """Two visits one caregiver makes tomorrow; the first one's id."""
    assert own_live_app.engine is not None
    now = utcnow()
    with Session(own_live_app.engine) as s:
        first = s.get_one(Elder, own_live_app.elder_ids["王秀英"])
        second = s.get_one(Elder, own_live_app.elder_ids["李桂兰"])
        provider = seeded_provider(s)
        centre = centre_near(s, provider, first, "地图测试日间照料中心")
        carer_staff = caregiver(s, provider, centre, "何静", "13600009999", "cleaning")
        _, operator = make_user(s, Role.OPERATOR)
        _, carer = make_user(s, Role.CAREGIVER, provider=provider, staff_id=carer_staff.id)
        day = local_today(now) + timedelta(days=1)
        ids = []
        for elder, hour in ((first, 9), (second, 14)):
            oid = place(s, operator, elder, "CLEAN_2H", day, hour, now=now)
            carry(s, operator, carer, oid, carer_staff.id, elder, upto="accepted", now=now)
            ids.append(oid)
        s.commit()
        return ids[0]


def _drawn(page: Any, testid: str) -> None:
    from playwright.sync_api import expect

    chart = page.locator(f"[data-testid={testid}][data-map-ready]")
    expect(chart).to_have_count(1)
    expect(chart.locator("svg path").first).to_be_attached()


def _shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)  # the effect scatter's first ripple
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_maps_draw_without_errors(
    browser: Any, own_live_app: LiveApp, order_id: int, size: tuple[int, int]
) -> None:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": size[0], "height": size[1]},
        base_url=own_live_app.url,
    )  # fmt: skip
    page = context.new_page()
    probe = Probe(page, own_live_app.url)
    tag = "desktop" if size[0] > 500 else "phone"
    try:
        login(page, "admin")
        page.wait_for_url(own_live_app.url + "/")
        page.goto(f"/elders/{own_live_app.elder_ids['王秀英']}?lang=en")
        _drawn(page, "elder-map")
        page.locator("[data-testid=elder-map]").scroll_into_view_if_needed()
        _shoot(page, f"map-elder-{tag}")
        page.goto(f"/orders/{order_id}")
        _drawn(page, "order-map")
        # the route is a polyline of two stops, with its legend under the map
        assert page.locator("[data-testid=order-map] svg path").count() > 3
        _shoot(page, f"map-order-{tag}")
        page.goto(f"/facilities/{own_live_app.facility_id}")
        _drawn(page, "facility-map")
        _shoot(page, f"map-facility-{tag}")
        page.goto("/facilities/map")
        _drawn(page, "facilities-map")
        total = int(page.get_by_test_id("map-results").get_attribute("data-total"))
        page.select_option("[data-testid=map-kind]", "meal_point")
        page.wait_for_url("**/facilities/map?kind=meal_point*")
        _drawn(page, "facilities-map")  # drawn again after the swap
        narrowed = int(page.get_by_test_id("map-results").get_attribute("data-total"))
        assert 0 < narrowed < total
        _shoot(page, f"map-facilities-{tag}")
        page.goto("/facilities/map?min_capacity=lots")
        assert page.get_by_test_id("map-error").is_visible()
        probe.check(None, "maps")
        assert not probe.problems, probe.problems
    finally:
        context.close()
