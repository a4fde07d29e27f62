"""Every page for every role in a real browser, with no server error; screenshots to look at.

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
from tests.builders import make_catalog_item, make_staff, make_user
from yiyang.config import Settings
from yiyang.dispatch import booking
from yiyang.dispatch import service as dispatch_service
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.service import subject_for
from yiyang.visits import alerts
from yiyang.visits import service as visit_service
from yiyang.visits.schemas import AlertNote, OfferAnswer

pytestmark = pytest.mark.browser


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where the screenshots go."""
    chosen = Path(os.environ.get("YIYANG_SHOTS") or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


@dataclass
class AlertWorld:
    """Visits in trouble for the alert screen, and the caregiver who has one of them."""

    carer: str
    order_id: int


@pytest.fixture(scope="module")
def alert_world(live_app: LiveApp) -> AlertWorld:
    """Four companionship visits of one caregiver: late, no-show, outside the fence, cleared.

    Orders are placed for tomorrow (the only valid windows at any hour) and then moved into the
    last hours, as if the day had gone on; the caregiver has a skill no other test orders.
    """
    assert live_app.engine is not None
    now, settings = utcnow(), Settings(secret_key="browser-secret", district_code="410105")
    all_day = {d: ["06:00", "22:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    with Session(live_app.engine) as s:
        provider = s.scalar(select(Provider).where(Provider.name == "惠民居家养老服务中心"))
        centre = s.scalar(select(Facility).where(Facility.name == "丰庆路街道养老服务中心"))
        assert provider is not None and centre is not None
        item = make_catalog_item(s, code="visit_chat")
        item.name_zh, item.name_en, item.required_skills = (
            "巡视关爱·上门陪伴",
            "Companionship visit",
            ["visiting"],
        )
        staff = make_staff(
            s, provider, facility=centre, name="周红", phone="13700008888",
            skills=(("visiting", 4),),
        )  # fmt: skip
        staff.working_pattern = all_day
        _, operator = make_user(s, Role.OPERATOR, username="op_alerts")
        carer_user, carer = make_user(s, Role.CAREGIVER, staff_id=staff.id, username="carer_qr")
        carer_user.display_name = "周红"
        tomorrow = local_today(now) + timedelta(days=1)
        ids = []
        for n, name in enumerate(("李桂兰", "张建国", "刘淑珍", "陈玉梅")):
            start = datetime.combine(
                tomorrow, time(7 + 3 * n), CHINA_TZ
            )  # one caregiver, no overlap
            data = OrderCreate(
                elder_id=live_app.elder_ids[name], item_code="visit_chat", channel="phone",
                window_start=start, window_end=start + timedelta(hours=2),
            )  # fmt: skip
            order = dispatch_service.submit_order(s, operator, data, now=now, settings=settings)
            dispatch_service.assign(
                s,
                operator,
                order.id,
                staff.id,
                now=now,
                reason="regular caregiver",
                settings=settings,
            )
            visit_service.answer_offer(
                s, carer, order.id, OfferAnswer(accept=True), now=now, settings=settings
            )
            ids.append(order.id)
        for n, order_id in enumerate(ids):  # back-to-back visits that should have begun
            moved = now - timedelta(minutes=20 + 70 * n)
            order = s.get_one(ServiceOrder, order_id)
            order.window_start_at, order.window_end_at = moved, moved + timedelta(hours=1)
            order.service_date = local_today(moved)
            booking.set_planned_start(order, moved)
        s.flush()
        orders = [s.get_one(ServiceOrder, i) for i in ids]
        late = alerts.raise_alert(
            s, orders[0], "late", now=now - timedelta(minutes=5), detail={"minutes_late": 15}
        )
        alerts.raise_alert(
            s, orders[1], "no_show", now=now - timedelta(minutes=34), detail={"minutes_late": 30}
        )
        fence = alerts.raise_alert(
            s, orders[2], "geofence", now=now - timedelta(minutes=12),
            detail={"check_in": {"distance_m": 640, "radius_m": 150, "accuracy_m": 35, "flag": "outside_geofence"}},
        )  # fmt: skip
        alerts.acknowledge(
            s,
            operator,
            fence.id,
            AlertNote(note="已致电周红：老人在楼下花园，已陪同回家。"),
            now=now,
        )
        alerts.raise_alert(
            s, orders[3], "late", now=now - timedelta(minutes=40), detail={"minutes_late": 15}
        )
        alerts.clear(s, orders[3].id, "late", now=now - timedelta(minutes=31))
        assert late.kind == "late"
        s.commit()
    return AlertWorld("carer_qr", ids[0])


def test_alert_screen_and_visit_card(
    page: Any, browser: Any, live_app: LiveApp, alert_world: AlertWorld, folder: Path
) -> None:
    """The alert screen per role and language, the visit card, and the phone's QR check-in."""
    from playwright.sync_api import expect

    server_errors: list[str] = []
    page.on("response", lambda r: server_errors.append(r.url) if r.status >= 500 else None)
    for who in ("admin", "street", "provider", "community"):
        page.context.clear_cookies()
        login(page, who)
        page.wait_for_url(live_app.url + "/")
        page.goto("/alerts")
        expect(page.get_by_test_id("alert-results")).to_be_visible()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(folder / f"30-alerts-{who}.png"), full_page=True)
    page.context.clear_cookies()
    login(page, "admin")
    page.wait_for_url(live_app.url + "/")
    page.goto("/alerts")
    # This world's late and no-show alerts, and whatever early check-ins other pages' tests
    # made on the shared app: the badge counts what is open in the district admin's scope.
    assert live_app.engine is not None
    with Session(live_app.engine) as s:
        admin = s.scalars(select(UserAccount).where(UserAccount.username == "admin")).one()
        still_open = alerts.open_count(s, subject_for(admin, "127.0.0.1"))
    assert still_open >= 2
    expect(page.get_by_test_id("alert-badge-count")).to_have_text(str(still_open))
    page.get_by_test_id("filter-kind").select_option("late")
    expect(page.get_by_test_id("alert-row")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/alerts\?kind=late$"))  # the filter is in the address
    row = page.get_by_test_id("alert-row").first
    row.get_by_test_id("handle").locator("summary").click()
    row.locator("textarea").fill("已联系周红，10 分钟内到达")
    page.screenshot(path=str(folder / "31-alerts-handle.png"), full_page=True)
    row.get_by_test_id("acknowledge").click()
    page.wait_for_url("**/alerts?kind=late")
    expect(page.get_by_test_id("acknowledged-by")).to_have_count(1)
    page.get_by_test_id("lang-en").click()
    page.goto("/alerts?status=all")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(folder / "32-alerts-all-en.png"), full_page=True)
    elder = live_app.elder_ids["李桂兰"]
    page.goto(f"/elders/{elder}")
    expect(page.get_by_test_id("visit-card-preview")).to_be_visible()
    page.screenshot(path=str(folder / "33-elder-card-en.png"), full_page=True)
    page.goto(f"/elders/{elder}/visit-card?lang=zh_CN")
    page.screenshot(path=str(folder / "34-visit-card.png"), full_page=True)
    page.goto(f"/orders/{alert_world.order_id}")
    page.screenshot(path=str(folder / "35-order-alerts.png"), full_page=True)

    phone = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2,
        is_mobile=True, has_touch=True, base_url=live_app.url,
    )  # fmt: skip
    carer = phone.new_page()
    try:
        login(carer, alert_world.carer)
        carer.wait_for_url("**/m/today")
        carer.goto(f"/m/visits/{alert_world.order_id}")
        carer.screenshot(path=str(folder / "36-m-visit.png"), full_page=True)
        carer.get_by_test_id("qr-open").click()
        expect(carer.get_by_test_id("qr-form")).to_be_visible()
        carer.screenshot(path=str(folder / "37-m-visit-qr.png"), full_page=True)
        carer.get_by_test_id("qr-code").fill("E1.0000 0000")
        carer.get_by_test_id("qr-check-in").click()
        expect(carer.locator(".qr-error")).to_be_visible()
        expect(carer.locator("[data-testid=visit]")).to_have_attribute(
            "data-status", "caregiver_accepted"
        )
        carer.screenshot(path=str(folder / "38-m-visit-qr-error.png"), full_page=True)
        carer.goto(f"/m/visits/{alert_world.order_id}?lang=en")
        carer.get_by_test_id("qr-open").click()
        carer.screenshot(path=str(folder / "39-m-visit-qr-en.png"), full_page=True)
    finally:
        phone.close()
    assert server_errors == []


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
        page.wait_for_url(re.compile(r"^(?!.*/login)"))  # a caregiver lands on /m/today
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
        ("/alerts", "15b-alerts"),
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
