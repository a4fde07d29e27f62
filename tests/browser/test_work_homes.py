"""Each non-personal role logs in and lands on its work, in Chinese and English: real items
from a seeded day, no raw code, id, UTC time or (in English) Chinese outside names and places.

Screenshots go to YIYANG_SHOTS when set (e.g. /tmp/shots), else to the test's temp folder.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.browser.world import caregiver, carry, centre_near, place, seeded_provider
from tests.builders import make_catalog_item, make_user
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.orders.models import ServiceOrder
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.visits import alerts

pytestmark = pytest.mark.browser

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
HASH_ID = re.compile(r"#\d+")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
DESKTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
# Each role's login and what its home must show (a test id with at least one row).
HOMES = {
    "provider": "work-offer",
    "street": "work-order",
    "community": "work-due-elder",
    "admin": "work-queue-row",
    "opwork": "work-alert",
    "supwork": "work-queue-row",
    "auditor": "audit-row",
}


@pytest.fixture(scope="module")
def live_app(own_live_app: LiveApp) -> LiveApp:
    """A served app of this module's own: its orders and alerts stay out of other pages."""
    return own_live_app


@pytest.fixture(scope="module")
def work_world(live_app: LiveApp) -> LiveApp:
    """An offer the provider has not answered, a visit accepted for tomorrow with a late alert,
    and an order nobody could take in the dispatcher queue. The windows are tomorrow inside
    the caregiver's hours whatever the time of day the suite runs (hours from now fall at
    night in an evening run, when nobody works and nothing is offered)."""
    assert live_app.engine is not None
    now = utcnow()
    with Session(live_app.engine) as s:
        provider = seeded_provider(s)
        first = s.get_one(Elder, live_app.elder_ids["王秀英"])
        second = s.get_one(Elder, live_app.elder_ids["李桂兰"])
        third = s.get_one(Elder, live_app.elder_ids["张建国"])
        centre = centre_near(s, provider, first, "文化路服务站")
        staff = caregiver(s, provider, centre, "钱红", "13700006666", "cleaning")
        item = make_catalog_item(s, code="work_clean")
        item.name_zh, item.name_en = "居家保洁", "Home cleaning"
        odd = make_catalog_item(s, code="work_odd")
        odd.name_zh, odd.name_en, odd.required_skills = "助浴", "Bathing at home", ["bathing_x"]
        op_user, operator = make_user(s, Role.OPERATOR, username="opwork")
        sup_user, _ = make_user(s, Role.SUPERVISOR, username="supwork")
        carer_user, carer = make_user(s, Role.CAREGIVER, provider=provider, staff_id=staff.id)
        for user, name in ((op_user, "孙接线"), (sup_user, "吴班长"), (carer_user, "钱红")):
            user.display_name = name
        tomorrow = local_today(now) + timedelta(days=1)
        place(s, operator, first, "work_clean", tomorrow, 10, now=now)
        accepted = place(s, operator, second, "work_clean", tomorrow, 14, now=now)
        carry(s, operator, carer, accepted, staff.id, second, upto="accepted", now=now)
        place(s, operator, third, "work_odd", tomorrow, 10, now=now)  # queued
        late = s.get_one(ServiceOrder, accepted)
        alerts.raise_alert(s, late, "late", now=now, detail={"minutes_late": 15})
        s.commit()
    return live_app


def _known_names(live: LiveApp) -> list[str]:
    """Names and places a page may show in Chinese whatever its language, longest first."""
    assert live.engine is not None
    with Session(live.engine) as s:
        names = [
            *s.scalars(select(Elder.name)), *s.scalars(select(Elder.address)),
            *s.scalars(select(Area.name)), *s.scalars(select(Facility.name)),
            *s.scalars(select(Facility.address)), *s.scalars(select(Provider.name)),
            *s.scalars(select(Staff.name)), *s.scalars(select(UserAccount.display_name)),
        ]  # fmt: skip
    return sorted({n for n in names if n} | {"中文"}, key=len, reverse=True)


def _problems(text: str, lang: str, names: list[str]) -> list[str]:
    found = CODE.findall(text) + HASH_ID.findall(text) + re.findall(r"UTC", text)
    if lang == "en":
        for name in names:
            text = text.replace(name, "")
        found += [
            f"CJK near {text[max(0, m.start() - 20) : m.end() + 20]!r}" for m in CJK.finditer(text)
        ]
    return found


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    chosen = Path(os.environ.get("YIYANG_SHOTS") or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def _visit(browser: Any, live: LiveApp, user: str, lang: str, viewport: dict[str, int]) -> Any:
    phone = viewport is PHONE
    context = browser.new_context(
        locale="zh-CN" if lang == "zh_CN" else "en-US", viewport=viewport, is_mobile=phone,
        has_touch=phone, base_url=live.url,
    )  # fmt: skip
    return context


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("user", list(HOMES))
def test_each_role_lands_on_its_work(
    browser: Any, work_world: LiveApp, folder: Path, user: str, lang: str
) -> None:
    from playwright.sync_api import expect

    names = _known_names(work_world)
    sizes = [("desktop", DESKTOP)] + ([("phone", PHONE)] if user == "opwork" else [])
    for size, viewport in sizes:
        context = _visit(browser, work_world, user, lang, viewport)
        escaped = keep_local(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("response", lambda r, e=errors: e.append(r.url) if r.status >= 500 else None)
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        try:
            login(page, user)
            page.wait_for_load_state("networkidle")
            page.goto(f"/?lang={lang}")
            expect(page.get_by_test_id(HOMES[user]).first).to_be_visible()
            if user == "provider":  # the countdown ticks in the browser
                expect(page.get_by_test_id("countdown").first.locator("strong")).to_have_text(
                    re.compile(r"^\d+:\d\d(:\d\d)?$")
                )
            text = page.locator("main").inner_text()
            assert not _problems(text, lang, names), (user, lang, _problems(text, lang, names))
            page.screenshot(path=str(folder / f"home-{user}-{lang}-{size}.png"), full_page=True)
        finally:
            context.close()
        assert not errors and not escaped, (errors, escaped)


def test_operator_looks_a_caller_up(browser: Any, work_world: LiveApp) -> None:
    from playwright.sync_api import expect

    context = _visit(browser, work_world, "opwork", "zh_CN", DESKTOP)
    keep_local(context)
    page = context.new_page()
    try:
        login(page, "opwork")
        page.goto("/work/caller?phone=13800000001")  # the screen-pop: 李桂兰's own number
        expect(page.get_by_test_id("caller")).to_have_count(1)
        expect(page.get_by_test_id("caller")).to_contain_text("李桂兰")
        page.goto("/")
        page.fill("#caller-phone", "abc")
        page.click("form.caller-form button[type=submit]")
        expect(page.get_by_test_id("caller-error")).to_be_visible()
        page.fill("#caller-phone", "0001")
        page.click("form.caller-form button[type=submit]")
        expect(page.get_by_test_id("caller").first).to_be_visible()
    finally:
        context.close()
