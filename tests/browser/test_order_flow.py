"""End to end on phones: a family orders a bath, a caregiver does it, the family rates it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LOCAL_HOSTS, LiveApp, login
from tests.builders import make_catalog_item, make_facility, make_staff, make_user
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.registry.providers.models import Provider
from yiyang.security.roles import Role

SHOTS = Path("/tmp/shots/orders")
PHONE = {"width": 390, "height": 844}
ALL_WEEK = {d: ["07:00", "21:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@dataclass
class BathWorld:
    """What this test adds to the shared browser seed."""

    elder: Elder
    order_family: str
    caregiver: str
    provider: str


@pytest.fixture(scope="module")
def bath_world(live_app: LiveApp) -> BathWorld:
    """A bathing caregiver working every day near an elder, and the family and staff logins."""
    assert live_app.engine is not None
    with Session(live_app.engine) as s:
        elder = s.get_one(Elder, live_app.elder_ids["王秀英"])
        item = s.scalar(select(ServiceItem).where(ServiceItem.code == "bath_home"))
        if item is None:
            item = make_catalog_item(s, code="bath_home")
            item.name_zh, item.name_en, item.required_skills = (
                "助浴·上门助浴",
                "Bathing at home",
                ["bathing"],
            )
        provider = s.scalar(select(Provider).where(Provider.name == "颐康养老服务有限公司"))
        assert provider is not None
        community = s.get_one(Area, elder.community_id)
        street = s.get_one(Area, elder.street_id)
        centre = make_facility(
            s, street, community=community, provider=provider, name="助浴服务站",
            lat_lon=(elder.lat + 0.003, elder.lon + 0.002),
        )  # fmt: skip
        staff = make_staff(
            s, provider, facility=centre, name="钱红", phone="13700009999",
            roles=("caregiver", "bath_aide"), skills=(("bathing", 4),),
        )  # fmt: skip
        staff.working_pattern = ALL_WEEK
        family, _ = make_user(s, Role.FAMILY, elder=elder, username="family_wang")
        family.display_name = "李明"
        carer, _ = make_user(s, Role.CAREGIVER, staff_id=staff.id, username="bath_aide")
        carer.display_name = "钱红"
        boss, _ = make_user(s, Role.PROVIDER_ADMIN, provider=provider, username="provider_bath")
        boss.display_name = "赵经理"
        s.commit()
        s.refresh(elder)
        s.expunge(elder)
    return BathWorld(elder, "family_wang", "bath_aide", "provider_bath")


@pytest.fixture
def phones(browser: object, live_app: LiveApp, bath_world: BathWorld) -> Iterator[object]:
    """Phone-sized contexts (one per person) at the elder's home, geolocation granted."""
    contexts: list[object] = []
    escaped: list[str] = []

    def guard(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(("data:", "blob:", "about:")) or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()  # type: ignore[attr-defined]
        else:
            escaped.append(url)
            route.abort()  # type: ignore[attr-defined]

    def new_phone() -> object:
        context = _phone_context(browser, live_app, bath_world)
        context.route("**/*", guard)  # type: ignore[attr-defined]
        contexts.append(context)
        return context.new_page()  # type: ignore[attr-defined]

    try:
        yield new_phone
    finally:
        for context in contexts:
            context.close()  # type: ignore[attr-defined]
    assert not escaped, f"requests left 127.0.0.1: {escaped}"


def _phone_context(browser: object, live_app: LiveApp, bath_world: BathWorld) -> object:
    """A 390×844 touch context in Chinese standing at the elder's door."""
    return browser.new_context(  # type: ignore[attr-defined]
        locale="zh-CN",
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=live_app.url,
        geolocation={
            "latitude": bath_world.elder.lat,
            "longitude": bath_world.elder.lon,
            "accuracy": 15,
        },
        permissions=["geolocation"],
    )


def shot(page: object, name: str, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)  # type: ignore[attr-defined]


def test_family_orders_a_bath_and_rates_it(
    phones: Any, page: object, live_app: LiveApp, bath_world: BathWorld
) -> None:
    from playwright.sync_api import expect

    family = phones()
    login(family, bath_world.order_family)
    family.wait_for_url("**/m/home")
    family.goto("/m/order")
    expect(family.get_by_test_id("tile-bath_home")).to_be_visible()
    shot(family, "01-family-tiles")
    family.get_by_test_id("tile-bath_home").click()
    family.wait_for_url("**/m/order/bath_home")
    family.locator("label.choice:has([data-testid=day-tomorrow])").click()
    family.locator("label.choice:has([data-testid=slot-afternoon])").click()
    expect(family.get_by_test_id("quote")).to_be_visible()
    expect(family.get_by_test_id("quote-price")).to_contain_text("¥")
    shot(family, "02-family-quote", full=False)
    family.get_by_test_id("confirm").click()
    family.wait_for_url("**/m/orders/*")
    order_id = int(family.url.rsplit("/", 1)[1])
    expect(family.get_by_test_id("order-status")).to_have_attribute("data-status", "offered")
    shot(family, "03-family-status-offered")

    # The organisation takes the offer made by automatic dispatch (desktop page).
    login(page, bath_world.provider)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.goto(f"/orders/{order_id}")  # type: ignore[attr-defined]
    expect(page.get_by_test_id("decision")).to_have_count(1)  # type: ignore[attr-defined]
    page.get_by_test_id("act-org_accept").click()  # type: ignore[attr-defined]
    expect(page.get_by_test_id("detail-status")).to_have_attribute(  # type: ignore[attr-defined]
        "data-status", "assigned"
    )

    carer = phones()
    login(carer, bath_world.caregiver)
    carer.wait_for_url("**/m/today")
    carer.goto("/m/visits?day=tomorrow")
    card = carer.locator(f'[data-testid=visit][data-order="{order_id}"]')
    expect(card).to_be_visible()
    expect(card.get_by_test_id("map-link")).to_have_attribute(
        "href",
        f"geo:{bath_world.elder.lat:.6f},{bath_world.elder.lon:.6f}?q={bath_world.elder.lat:.6f},{bath_world.elder.lon:.6f}",
    )
    shot(carer, "04-caregiver-day")
    card.get_by_test_id("accept").click()
    expect(carer.locator("[data-testid=visit]")).to_have_attribute(
        "data-status", "caregiver_accepted"
    )
    carer.get_by_test_id("depart").click()
    expect(carer.locator("[data-testid=visit]")).to_have_attribute("data-status", "on_the_way")
    carer.get_by_test_id("check-in").click()
    expect(carer.locator("[data-testid=visit]")).to_have_attribute("data-status", "checked_in")
    expect(carer.get_by_test_id("check_in-fact")).to_be_visible()
    expect(carer.get_by_test_id("check_in-flag")).to_have_count(0)
    carer.locator(".checklist input[type=checkbox]").first.check()
    carer.get_by_test_id("save-checklist").click()
    shot(carer, "05-caregiver-checked-in")
    # A real bath lasts an hour; the test checks out at once and gives the short-visit reason.
    carer.get_by_test_id("short-reason").select_option("tasks_done")
    carer.get_by_test_id("check-out").click()
    expect(carer.locator("[data-testid=visit]")).to_have_attribute("data-status", "completed")
    shot(carer, "06-caregiver-done")

    family.reload()
    expect(family.get_by_test_id("order-status")).to_have_attribute("data-status", "completed")
    family.get_by_test_id("star-5").click()
    family.fill("#comment", "服务很细心")
    shot(family, "07-family-rate")
    family.get_by_test_id("rate-submit").click()
    expect(family.get_by_test_id("rating-shown")).to_be_visible()
    expect(family.get_by_test_id("order-status")).to_have_attribute("data-status", "confirmed")
    shot(family, "08-family-rated")

    page.goto(f"/orders/{order_id}")  # type: ignore[attr-defined]
    rows = page.get_by_test_id("timeline-row")  # type: ignore[attr-defined]
    events = [rows.nth(i).get_attribute("data-event") for i in range(rows.count())]
    assert events == [
        "create", "price", "offer", "org_accept", "assign", "caregiver_accept", "depart",
        "check_in", "check_out", "complete", "confirm",
    ]  # fmt: skip
    shot(page, "09-order-detail")
