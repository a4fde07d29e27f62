"""Family, elder and caregiver land on their phone homes with real items, in words, not codes.

Each role logs in at 390×844 and at desktop size, in Chinese and English; the rendered text is
scanned for raw codes (`a_b` tokens, `#12`, `UTC`) and, in English, for Chinese outside names,
addresses and notes people typed; the language switch must fit the header. Screenshots go to
YIYANG_SHOTS (or /tmp/shots/phone) to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.browser.world import caregiver, carry, centre_near, place, seeded_provider
from tests.builders import make_catalog_item, make_user
from yiyang.dispatch import booking
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders.models import ServiceOrder
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role
from yiyang.visits import feedback
from yiyang.visits import service as visit_service
from yiyang.visits.models import Visit
from yiyang.visits.rules import VisitPolicy
from yiyang.visits.schemas import RatingIn

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
CJK = re.compile(r"[\u3400-\u9fff]")
NOTES = "右腿无力，洗澡时需扶稳；怕冷，水温调高一些。"


@dataclass
class PhoneWorld:
    """Accounts and the words every page may show in Chinese (names, addresses, notes)."""

    logins: dict[str, str]
    homes: dict[str, str]
    allowed: list[str] = field(default_factory=list)
    order_today: int = 0


def _move(s: Session, order_id: int, start: datetime) -> None:
    """Move an order (and its visit) as if it had been booked for `start`."""
    order = s.get_one(ServiceOrder, order_id)
    was = order.window_start_at
    shift = start - (was if was.tzinfo else was.replace(tzinfo=UTC))
    order.window_start_at, order.window_end_at = start, start + timedelta(hours=2)
    order.service_date = local_today(start)
    booking.set_planned_start(order, start)
    visit = s.scalar(select(Visit).where(Visit.order_id == order_id))
    if visit is not None and visit.check_out_at is not None:
        visit.check_in_at = visit.check_in_at + shift if visit.check_in_at else None
        visit.check_out_at = visit.check_out_at + shift


@pytest.fixture(scope="module")
def phone_world(own_live_app: LiveApp) -> PhoneWorld:
    """A bathing caregiver with two visits today; the family's elder booked, done, rated."""
    live = own_live_app
    assert live.engine is not None
    now = utcnow()
    tomorrow = local_today(now) + timedelta(days=1)
    with Session(live.engine) as s:
        item = make_catalog_item(s, code="bath_home")
        item.name_zh, item.name_en, item.required_skills = (
            "助浴·上门助浴",
            "Bathing at home",
            ["bathing"],
        )
        li = s.get_one(Elder, live.elder_ids["李桂兰"])
        zhang = s.get_one(Elder, live.elder_ids["张建国"])
        li.capability_level, li.notes = 3, NOTES
        provider = seeded_provider(s)
        centre = centre_near(s, provider, li, "文雅社区助浴服务站")
        centre.phone = "0371-63330000"
        staff = caregiver(s, provider, centre, "周丽", "13700007777", "bathing")
        _, operator = make_user(s, Role.OPERATOR, username="op_phone")
        carer_user, carer = make_user(s, Role.CAREGIVER, staff_id=staff.id, username="carer_zhou")
        carer_user.display_name = "周丽"
        family_user, family = make_user(s, Role.FAMILY, elder=li, username="fam_li")
        family_user.display_name = "李明"
        elder_user, _ = make_user(s, Role.ELDER, elder=li, username="elder_li")
        elder_user.display_name = "李桂兰"
        s.flush()
        # Placed for tomorrow (valid at any hour), carried along, then moved in time.
        booked = place(s, operator, li, "bath_home", tomorrow, 9, now=now)
        carry(s, operator, carer, booked, staff.id, li, upto="accepted", now=now)
        rated = place(s, operator, li, "bath_home", tomorrow, 12, now=now)
        carry(s, operator, carer, rated, staff.id, li, upto="completed", now=now)
        unrated = place(s, operator, li, "bath_home", tomorrow, 15, now=now)
        carry(s, operator, carer, unrated, staff.id, li, upto="completed", now=now)
        coming = place(s, operator, li, "bath_home", tomorrow, 18, now=now)
        carry(s, operator, carer, coming, staff.id, li, upto="accepted", now=now)
        visit_service.depart(s, carer, coming, now=now)
        second = place(s, operator, zhang, "bath_home", tomorrow, 20, now=now)
        carry(s, operator, carer, second, staff.id, zhang, upto="accepted", now=now)
        today = local_today(now)
        _move(s, rated, datetime.combine(today - timedelta(days=3), time(9, 30), CHINA_TZ))
        _move(s, unrated, datetime.combine(today - timedelta(days=7), time(15), CHINA_TZ))
        # Both stay on today's route at any hour: late in the evening they move earlier.
        anchor = now if now.astimezone(CHINA_TZ).hour < 20 else now - timedelta(hours=4)
        _move(s, coming, anchor + timedelta(minutes=30))
        _move(s, second, anchor + timedelta(hours=3))
        s.flush()
        feedback.confirm(
            s, family, rated, RatingIn(score=5, comment="很细心"), now=now, policy=VisitPolicy()
        )
        allowed = [
            li.name, zhang.name, li.address, zhang.address, centre.name, staff.name, NOTES,
            "李明", "很细心", "中文", "周丽",
        ]  # fmt: skip
        s.commit()
    return PhoneWorld(
        logins={"family": "fam_li", "elder": "elder_li", "caregiver": "carer_zhou"},
        homes={"family": "/m/home", "elder": "/m/home", "caregiver": "/m/today"},
        allowed=allowed,
        order_today=coming,
    )


@pytest.fixture
def shots() -> Path:
    folder = Path(os.environ.get("YIYANG_SHOTS") or "/tmp/shots") / "phone"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def context_for(browser: Any, own_live_app: LiveApp) -> Iterator[Any]:
    """A fresh context per (language, size), every request kept on 127.0.0.1."""
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


def scan(text: str, lang: str, allowed: list[str]) -> list[str]:
    """Raw codes, ids and UTC in the text; in English also Chinese that is no name or address."""
    found = CODE.findall(text) + re.findall(r"#\d+", text) + re.findall(r"\bUTC\b", text)
    if lang == "en":
        rest = text
        for words in sorted(allowed, key=len, reverse=True):
            rest = rest.replace(words, " ")
        found += CJK.findall(rest)
    return found


def header_fits(page: Any) -> bool:
    """The language switch is inside the screen and none of its labels is cut."""
    return bool(
        page.evaluate(
            """() => [...document.querySelectorAll('.langs')].filter(n => n.offsetParent).every(n =>
                 n.getBoundingClientRect().right <= window.innerWidth + 0.5 &&
                 [...n.querySelectorAll('a')].every(a => a.scrollWidth <= a.clientWidth + 0.5))"""
        )
    )


@pytest.mark.parametrize("who", ["family", "elder", "caregiver"])
def test_each_role_lands_on_its_phone_home(
    who: str, phone_world: PhoneWorld, context_for: Any, shots: Path, csp_reports: list[Any]
) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    for lang in ("zh_CN", "en"):
        for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page = context_for(lang, size)
            page.on("response", lambda r: errors.append(r.url) if r.status >= 500 else None)
            login(page, phone_world.logins[who])
            page.wait_for_url(f"**{phone_world.homes[who]}")
            if who == "caregiver":
                expect(page.get_by_test_id("visit")).to_have_count(2)
                expect(page.get_by_test_id("call-elder").first).to_be_visible()
                expect(page.get_by_test_id("call-key-holder").first).to_be_visible()
                expect(page.get_by_test_id("care-notes").first).to_contain_text(NOTES)
            else:
                expect(page.get_by_test_id("next-visit")).to_have_count(2)
                status = page.get_by_test_id("family-status")
                expect(status.first).to_contain_text("路上" if lang == "zh_CN" else "on the way")
                expect(status.nth(1)).to_contain_text(
                    "已预约：明天 09:00" if lang == "zh_CN" else "Booked for tomorrow 09:00"
                )
                expect(page.get_by_test_id("past-visit")).to_have_count(2)
                expect(page.get_by_test_id("past-stars")).to_have_count(1)
                expect(page.get_by_test_id("rate-now")).to_have_count(1)
                expect(page.get_by_test_id("call-centre").first).to_have_attribute(
                    "href", "tel:0371-63330000"
                )
                expect(page.get_by_test_id("again-bath_home")).to_be_visible()
            page.wait_for_load_state("networkidle")
            text = page.locator("body").inner_text()
            assert "being prepared" not in text and "正在准备" not in text
            assert scan(text, lang, phone_world.allowed) == [], (who, lang, size_name)
            assert header_fits(page), (who, lang, size_name)
            page.screenshot(path=str(shots / f"{who}-{lang}-{size_name}.png"), full_page=True)
            assert not errors, errors
    assert not csp_reports, [r.getMessage() for r in csp_reports]


def test_family_books_a_later_day_and_caregiver_sees_check_out_by_card(
    phone_world: PhoneWorld, context_for: Any, shots: Path
) -> None:
    from playwright.sync_api import expect

    page = context_for("en", PHONE)
    login(page, phone_world.logins["family"])
    page.wait_for_url("**/m/home")
    page.get_by_test_id("again-bath_home").click()
    expect(page.get_by_test_id("quote")).to_be_visible()
    page.get_by_test_id("day-date").click()
    later = local_today(utcnow()) + timedelta(days=5)
    page.get_by_test_id("on-day").fill(later.isoformat())
    page.get_by_test_id("on-day").dispatch_event("change")
    expect(page.get_by_test_id("quote-when")).to_contain_text(f"{later:%b} {later.day} ")
    page.screenshot(path=str(shots / "family-en-book-later.png"), full_page=True)
    assert scan(page.locator("body").inner_text(), "en", phone_world.allowed) == []

    carer = context_for("zh_CN", PHONE)
    login(carer, phone_world.logins["caregiver"])
    carer.wait_for_url("**/m/today")
    carer.goto(f"/m/visits/{phone_world.order_today}")
    carer.get_by_test_id("check-in").click()  # no position in this context: flagged, not blocked
    carer.wait_for_url(f"**/m/visits/{phone_world.order_today}")
    expect(carer.get_by_test_id("qr-open")).to_contain_text("签退")
    carer.get_by_test_id("qr-open").click()
    carer.get_by_test_id("qr-code").fill("E1.0000 0000")
    carer.get_by_test_id("qr-check-out").click()
    expect(carer.get_by_test_id("visit-error")).to_be_visible()
    expect(carer.get_by_test_id("qr-form")).to_be_visible()  # open again, to pick a reason
    text = carer.locator("body").inner_text()
    assert "short_reason" not in text and "服务时长偏短的原因" in text
    carer.screenshot(path=str(shots / "caregiver-zh_CN-check-out-error.png"), full_page=True)
    assert scan(text, "zh_CN", phone_world.allowed) == []
