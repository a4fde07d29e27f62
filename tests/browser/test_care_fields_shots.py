"""Mobility, health conditions and time away in a real browser, with screenshots to look at.

The district admin sees them on the elder page, the auditor sees the same page with them
hidden (a provider admin has no elder page at all: 403), the caregiver of a bath sees them
first on her day, the family sees the stay away on its phone home. Chinese and English,
desktop and phone. Screenshots go to YIYANG_SHOTS (or /tmp/shots) / care_fields.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.browser.test_phone_homes import _move
from tests.browser.world import caregiver, carry, centre_near, place, seeded_provider
from tests.builders import make_catalog_item, make_user
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.registry.areas.models import Area
from yiyang.registry.elders import away as away_service
from yiyang.registry.elders.models import Elder
from yiyang.registry.elders.schemas import AwayIn
from yiyang.registry.vocab import AwayReason
from yiyang.security.roles import Role

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CONDITIONS = "糖尿病；2024年髋关节置换；听力差"


@pytest.fixture(scope="module")
def world(own_live_app: LiveApp) -> dict[str, int]:
    """李桂兰 uses a wheelchair and has a bath today; 王秀英 is in hospital for a week."""
    live = own_live_app
    assert live.engine is not None
    now = utcnow()
    with Session(live.engine) as s:
        item = make_catalog_item(s, code="bath_home")
        item.name_zh, item.name_en, item.required_skills = (
            "上门助浴",
            "Bathing at home",
            ["bathing"],
        )
        li = s.get_one(Elder, live.elder_ids["李桂兰"])
        li.capability_level, li.mobility, li.conditions = 3, "wheelchair", CONDITIONS
        wang = s.get_one(Elder, live.elder_ids["王秀英"])
        wang.mobility, wang.conditions = "walking_aid", "高血压；青霉素过敏"
        provider = seeded_provider(s)
        centre = centre_near(s, provider, li, "文雅社区助浴服务站")
        staff = caregiver(s, provider, centre, "周丽", "13700007777", "bathing")
        _, operator = make_user(s, Role.OPERATOR, username="op_care")
        _, carer = make_user(s, Role.CAREGIVER, staff_id=staff.id, username="carer_bath")
        fam, _ = make_user(s, Role.FAMILY, elder=wang, username="fam_wang")
        fam.display_name = "王磊"
        s.flush()
        # Placed for tomorrow (valid at any hour), accepted, then moved to half an hour from now.
        booked = place(
            s, operator, li, "bath_home", local_today(now) + timedelta(days=1), 9, now=now
        )
        carry(s, operator, carer, booked, staff.id, li, upto="accepted", now=now)
        late = now.astimezone(CHINA_TZ).hour >= 23  # stay on today's route at any hour
        _move(s, booked, now + timedelta(minutes=-60 if late else 30))
        make_user(
            s, Role.COMMUNITY_STAFF, area=s.get_one(Area, li.community_id), username="comm_care"
        )
        away_service.mark_away(
            s, operator, wang.id,
            AwayIn(until=now + timedelta(days=7), reason=AwayReason.HOSPITAL, note="人民医院五病区"),
            now=now,
        )  # fmt: skip
        s.commit()
        return {"li": li.id, "wang": wang.id}


@pytest.fixture
def shots() -> Path:
    folder = Path(os.environ.get("YIYANG_SHOTS") or "/tmp/shots") / "care_fields"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page_for(browser: Any, own_live_app: LiveApp) -> Iterator[Any]:
    made: list[tuple[Any, list[str]]] = []

    def make(lang: str, size: dict[str, int]) -> Any:
        phone = size == PHONE
        context = browser.new_context(
            locale="zh-CN" if lang == "zh_CN" else "en-US", viewport=size,
            device_scale_factor=2 if phone else 1, is_mobile=phone, has_touch=phone,
            base_url=own_live_app.url,
        )  # fmt: skip
        made.append((context, keep_local(context)))
        return context.new_page()

    yield make
    for context, escaped in made:
        context.close()
        assert not escaped, f"requests left 127.0.0.1: {escaped}"


SIZES = (("desktop", DESKTOP), ("phone", PHONE))


def test_elder_page_shows_health_to_the_admin_and_hides_it_from_the_auditor(
    world: dict[str, int], page_for: Any, shots: Path, csp_reports: list[Any]
) -> None:
    from playwright.sync_api import expect

    for lang in ("zh_CN", "en"):
        for size_name, size in SIZES:
            for who in ("admin", "auditor"):
                page = page_for(lang, size)
                login(page, who)
                page.goto(f"/elders/{world['wang']}?lang={lang}")
                card = page.get_by_test_id("health-card")
                expect(card).to_be_visible()
                if who == "admin":
                    expect(page.get_by_test_id("conditions")).to_contain_text("青霉素过敏")
                    expect(page.get_by_test_id("away-badge")).to_be_visible()
                    expect(page.get_by_test_id("away-until")).to_contain_text(
                        "住院" if lang == "zh_CN" else "In hospital"
                    )
                else:
                    expect(page.get_by_test_id("health-hidden")).to_be_visible()
                    assert "青霉素过敏" not in page.content()
                    expect(page.get_by_test_id("away-mark")).to_have_count(0)
                page.screenshot(
                    path=str(shots / f"elder-{who}-{lang}-{size_name}.png"), full_page=True
                )
            page = page_for(lang, size)
            login(page, "provider")
            resp = page.goto(f"/elders/{world['wang']}?lang={lang}")
            assert resp is not None and resp.status == 403
            page.screenshot(path=str(shots / f"elder-provider-{lang}-{size_name}.png"))
    assert not csp_reports


def test_caregiver_day_shows_mobility_and_conditions_before_the_bath(
    world: dict[str, int], page_for: Any, shots: Path, csp_reports: list[Any]
) -> None:
    from playwright.sync_api import expect

    for lang in ("zh_CN", "en"):
        for size_name, size in SIZES:
            page = page_for(lang, size)
            login(page, "carer_bath")
            page.wait_for_url("**/m/today")
            page.goto(f"/m/today?lang={lang}")
            notes = page.get_by_test_id("care-notes").first
            expect(notes).to_contain_text(
                "助浴或搬移老人前请注意"
                if lang == "zh_CN"
                else "Before you bathe or move the elder"
            )
            expect(page.get_by_test_id("care-mobility").first).to_contain_text(
                "使用轮椅" if lang == "zh_CN" else "Uses a wheelchair"
            )
            expect(page.get_by_test_id("care-conditions").first).to_contain_text(CONDITIONS)
            page.screenshot(path=str(shots / f"today-{lang}-{size_name}.png"), full_page=True)
    assert not csp_reports


def test_family_sees_and_ends_the_stay_away(
    world: dict[str, int], page_for: Any, shots: Path, csp_reports: list[Any]
) -> None:
    from playwright.sync_api import expect

    for lang in ("zh_CN", "en"):
        page = page_for(lang, PHONE)
        login(page, "fam_wang")
        page.wait_for_url("**/m/home")
        page.goto(f"/m/home?lang={lang}")
        expect(page.get_by_test_id("family-away")).to_be_visible()
        page.screenshot(path=str(shots / f"family-away-{lang}-phone.png"), full_page=True)
        page.get_by_test_id("away-change").click()
        page.wait_for_url("**/away")
        expect(page.get_by_test_id("away-form")).to_be_visible()
        page.screenshot(path=str(shots / f"away-form-{lang}-phone.png"), full_page=True)
    page = page_for("en", DESKTOP)
    login(page, "comm_care")
    page.goto(f"/elders/{world['li']}/away?lang=en")
    page.fill("#f-until", "2020-01-01T08:00")
    page.get_by_test_id("away-save").click()
    expect(page.get_by_test_id("form-error")).to_be_visible()
    expect(page.locator('[data-field="until"] .error')).to_contain_text("future")
    page.screenshot(path=str(shots / "away-form-error-en-desktop.png"), full_page=True)
    assert not csp_reports
