"""Masking in a real browser: the elder page per role, a provider's order detail, the family's
follow page; in both languages, desktop and phone, with screenshots to look at.

Screenshots go to YIYANG_SHOTS when set (e.g. /tmp/shots), else to the test's temp folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, login
from tests.builders import make_catalog_item, make_facility, make_staff, make_user
from yiyang.config import Settings
from yiyang.dispatch import service as dispatch_service
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.security.roles import Role
from yiyang.visits import service as visit_service
from yiyang.visits.schemas import OfferAnswer

pytestmark = pytest.mark.browser
ELDER = "孙宝山"  # in 北林社区; no other browser test orders for him
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


@dataclass
class Masked:
    """An order first offered to another provider's caregiver, then accepted by 吴静."""

    order_id: int
    elder_id: int
    id_number: str


@pytest.fixture(scope="module")
def masked(live_app: LiveApp) -> Masked:
    assert live_app.engine is not None
    now, settings = utcnow(), Settings(secret_key="browser-secret", district_code="410105")
    all_day = {d: ["06:00", "22:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    with Session(live_app.engine) as s:
        kangle = s.scalar(select(Provider).where(Provider.name == "颐康养老服务有限公司"))
        huiming = s.scalar(select(Provider).where(Provider.name == "惠民居家养老服务中心"))
        centre = s.scalar(select(Facility).where(Facility.name == "北林社区日间照料中心"))
        community = s.scalar(select(Area).where(Area.name == "北林社区"))
        elder = s.scalar(select(Elder).where(Elder.name == ELDER))
        assert kangle and huiming and centre and community and elder
        street = s.get_one(Area, community.parent_id)
        point = make_facility(
            s, street, community=community, provider=huiming, name="北林社区急救站"
        )
        item = make_catalog_item(s, code="first_aid_mask")
        item.name_zh, item.name_en, item.required_skills = (
            "急救陪护",
            "First-aid care",
            ["first_aid"],
        )
        other = make_staff(s, huiming, facility=point, name="郑燕", skills=(("first_aid", 3),))
        mine = make_staff(s, kangle, facility=centre, name="吴静", skills=(("first_aid", 3),))
        other.working_pattern = mine.working_pattern = all_day
        _, operator = make_user(s, Role.OPERATOR, username="op_mask")
        make_user(s, Role.FAMILY, elder=elder, username="family_mask")
        _, theirs = make_user(s, Role.PROVIDER_ADMIN, provider=huiming, username="prov_hm")
        _, ours = make_user(s, Role.PROVIDER_ADMIN, provider=kangle, username="prov_kl")
        _, carer = make_user(s, Role.CAREGIVER, staff_id=mine.id, username="carer_mask")
        start = datetime.combine(local_today(now) + timedelta(days=1), time(10), CHINA_TZ)
        order = dispatch_service.submit_order(
            s, operator,
            OrderCreate(elder_id=elder.id, item_code="first_aid_mask", channel="phone",
                        window_start=start, window_end=start + timedelta(hours=2)),
            now=now, settings=settings,
        )  # fmt: skip
        assert order.staff_id == other.id, "the other provider's caregiver is offered first"
        dispatch_service.act(
            s, theirs, order.id, "org_refuse", now=now, reason="郑燕今日休假", settings=settings
        )
        assert order.staff_id == mine.id
        dispatch_service.act(s, ours, order.id, "org_accept", now=now, settings=settings)
        visit_service.answer_offer(
            s, carer, order.id, OfferAnswer(accept=True), now=now, settings=settings
        )
        found = Masked(order.id, elder.id, elder.id_number)
        s.commit()
    return found


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    chosen = Path(os.environ.get("YIYANG_SHOTS") or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def _as(browser: Any, live_app: LiveApp, who: str, *, phone: bool = False) -> Any:
    options = PHONE if phone else {"viewport": {"width": 1440, "height": 900}}
    context = browser.new_context(locale="zh-CN", base_url=live_app.url, **options)
    tab = context.new_page()
    login(tab, who)
    tab.wait_for_url(re.compile(r"^(?!.*/login)"))  # the home page, or a phone home
    return tab


@pytest.mark.parametrize("who", ["op_mask", "auditor", "street"])
def test_elder_page_by_role(
    browser: Any, live_app: LiveApp, masked: Masked, folder: Path, who: str
) -> None:
    from playwright.sync_api import expect

    full = masked.id_number
    shown = full if who == "street" else full[:6] + "*" * 12
    for phone in (False, True):
        tab = _as(browser, live_app, who, phone=phone)
        try:
            for lang in ("zh_CN", "en"):
                tab.goto(f"/elders/{masked.elder_id}?lang={lang}")
                expect(tab.get_by_test_id("id-number")).to_have_text(shown)
                born = tab.get_by_test_id("birth-date")
                if who == "street":
                    expect(born).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
                else:
                    expect(born).to_have_text(
                        "您的角色不可查看" if lang == "zh_CN" else "Not shown to your role"
                    )
                size = "phone" if phone else "desktop"
                tab.screenshot(
                    path=str(folder / f"60-elder-{who}-{lang}-{size}.png"), full_page=True
                )
        finally:
            tab.context.close()


def test_provider_sees_only_its_own_caregiver_among_candidates(
    browser: Any, live_app: LiveApp, masked: Masked, folder: Path
) -> None:
    from playwright.sync_api import expect

    for who in ("prov_kl", "street"):
        tab = _as(browser, live_app, who)
        try:
            for lang in ("zh_CN", "en"):
                tab.goto(f"/orders/{masked.order_id}?lang={lang}")
                for summary in tab.locator("[data-testid=decision] details summary").all():
                    summary.click()
                names = tab.get_by_test_id("candidate-name").all_inner_texts()
                if who == "prov_kl":
                    assert "郑燕" not in tab.content() and "郑燕今日休假" not in tab.content()
                    assert "吴静" in names and (
                        "其他服务机构的一名服务人员" in names
                        or "A caregiver of another provider" in names
                    )
                else:
                    assert "郑燕" in names and "吴静" in names
                expect(tab.get_by_test_id("caregiver")).to_contain_text("吴静")
                tab.screenshot(path=str(folder / f"61-order-{who}-{lang}.png"), full_page=True)
        finally:
            tab.context.close()


def test_family_follow_page(browser: Any, live_app: LiveApp, masked: Masked, folder: Path) -> None:
    from playwright.sync_api import expect

    for phone in (True, False):
        tab = _as(browser, live_app, "family_mask", phone=phone)
        try:
            for lang in ("zh_CN", "en"):
                tab.goto(f"/m/orders/{masked.order_id}?lang={lang}")
                expect(tab.get_by_test_id("who-is-coming")).to_contain_text("吴静")
                assert "郑燕" not in tab.content()
                size = "phone" if phone else "desktop"
                tab.screenshot(path=str(folder / f"62-follow-{lang}-{size}.png"), full_page=True)
        finally:
            tab.context.close()
