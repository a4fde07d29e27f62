"""Subsidy policies, complaints and the return-visit queue in a real browser; screenshots.

Zh-CN and English on a desktop. Screenshots go to YIYANG_SHOTS when set, else a temp folder.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.browser.world import SETTINGS, caregiver, carry, centre_near, place, seeded_provider
from tests.builders import make_catalog_item, make_user
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.orders.seed import seed_policies
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role
from yiyang.visits import complaints, return_visits
from yiyang.visits.care_models import ReturnVisitDue
from yiyang.visits.care_schemas import ComplaintAssign, ComplaintClose, ComplaintRespond
from yiyang.visits.feedback import file_complaint
from yiyang.visits.rules import VisitPolicy
from yiyang.visits.schemas import ComplaintIn

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
RAW = re.compile(
    r"\b(special_difficulty_monthly|meal_subsidy|not_reached|upheld_fixed|responded)\b"
)
ELDERS = ("王秀英", "李桂兰", "张建国", "刘淑珍")


@pytest.fixture(scope="module")
def live_app(own_live_app: LiveApp) -> LiveApp:
    """A served app of this module's own."""
    return own_live_app


@pytest.fixture(scope="module")
def care_world(live_app: LiveApp) -> dict[str, int]:
    """Policies; four visits done today, sampled and due; complaints at every step."""
    assert live_app.engine is not None
    now = utcnow()
    ids: dict[str, int] = {}
    with Session(live_app.engine) as s:
        seed_policies(s, local_today(now))
        provider = seeded_provider(s)
        first = s.get_one(Elder, live_app.elder_ids[ELDERS[0]])
        centre = centre_near(s, provider, first, "文化路服务站")
        staff = caregiver(s, provider, centre, "钱红", "13700006666", "cleaning")
        item = make_catalog_item(s, code="care_clean")
        item.name_zh, item.name_en, item.required_skills = "居家保洁", "Home cleaning", ["cleaning"]
        op_user, operator = make_user(s, Role.OPERATOR, username="op_care")
        op_user.display_name = "吴客服"
        _, carer = make_user(s, Role.CAREGIVER, provider=provider, staff_id=staff.id)
        _, prov = make_user(s, Role.PROVIDER_ADMIN, provider=provider, username="prov_care")
        tomorrow = local_today(now) + timedelta(days=1)
        orders = []
        for n, name in enumerate(ELDERS):
            elder = s.get_one(Elder, live_app.elder_ids[name])
            order_id = place(s, operator, elder, "care_clean", tomorrow, 8 + 2 * n, now=now)
            carry(s, operator, carer, order_id, staff.id, elder, upto="completed", now=now)
            orders.append(order_id)
        s.flush()
        settings = SETTINGS.model_copy(update={"return_visit_share_percent": 100})
        return_visits.sample_day(s, local_today(now), settings, now=now)
        s.execute(update(ReturnVisitDue).values(due_date=local_today(now)))
        dues = s.scalars(select(ReturnVisitDue).order_by(ReturnVisitDue.id)).all()
        dues[-1].due_date = local_today(now) - timedelta(days=1)
        texts = (
            "保洁后地面还是湿的，老人差点滑倒",
            "护理员迟到了四十分钟",
            "服务态度很好，但是没拖厨房",
        )
        filed = [
            file_complaint(
                s,
                operator,
                orders[i],
                ComplaintIn(category=c, text=t),
                now=now,
                policy=VisitPolicy(),
            )
            for i, (c, t) in enumerate(zip(("safety", "lateness", "quality"), texts, strict=True))
        ]
        complaints.assign(
            s, operator, filed[0].id, ComplaintAssign(provider_id=provider.id), now=now
        )
        complaints.respond(
            s,
            prov,
            filed[0].id,
            ComplaintRespond(text="已对护理员进行安全培训，并上门致歉"),
            now=now,
        )
        complaints.assign(
            s, operator, filed[1].id, ComplaintAssign(provider_id=provider.id), now=now
        )
        complaints.close(
            s, operator, filed[2].id,
            ComplaintClose(outcome="upheld_fixed", text="已安排护理员补做厨房清洁"), now=now,
            policy=VisitPolicy(),
        )  # fmt: skip
        ids["complaint"] = filed[0].id
        ids["elder"] = live_app.elder_ids[ELDERS[2]]
        make_user(s, Role.FAMILY, elder=s.get_one(Elder, ids["elder"]), username="fam_care")
        ids["provider"] = provider.id
        s.commit()
    return ids


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    chosen = Path(os.environ.get("YIYANG_SHOTS") or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_policies_complaints_and_return_visits(
    browser: Any, live_app: LiveApp, care_world: dict[str, int], folder: Path, lang: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        locale="zh-CN" if lang == "zh_CN" else "en-US", viewport=DESKTOP, base_url=live_app.url
    )
    escaped = keep_local(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(r.url) if r.status >= 500 else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tomorrow = (local_today(utcnow()) + timedelta(days=1)).isoformat()
    try:
        login(page, "admin")
        page.wait_for_url(live_app.url + "/")
        shots = [
            ("/policies", "policies"),
            ("/policies/special_difficulty_monthly", "policy-view"),
            ("/policies/meal_subsidy/new-version", "policy-form"),
        ]
        for path, name in shots:
            page.goto(f"{path}?lang={lang}")
            expect(page.locator("h1").first).to_be_visible()
            text = page.locator("main").inner_text()
            assert not RAW.findall(text), (path, RAW.findall(text))
            if lang == "en":  # the Chinese name row, and group labels that carry their 孤寡
                rest = re.sub(r"（[^）]*）|\([^)]*\)", "", text)
                rest = rest.replace("特殊困难老人政府购买服务", "").replace("助餐补贴", "")
                assert not re.search(r"[\u4e00-\u9fff]", rest), (path, rest)
            page.screenshot(path=str(folder / f"care-{name}-{lang}.png"), full_page=True)
        login(page, "op_care")
        page.wait_for_url(live_app.url + "/")
        shots = [
            ("/complaints", "complaints"),
            (f"/complaints/{care_world['complaint']}", "complaint-view"),
            ("/return-visits", "return-visits"),
            ("/return-visits?tab=overdue", "return-visits-overdue"),
            (f"/elders/{care_world['elder']}", "elder"),
            (f"/providers/{care_world['provider']}", "provider"),
            (
                f"/orders/new?elder_id={care_world['elder']}&item_code=care_clean&date={tomorrow}"
                "&start=09:00&end=11:00",
                "operator-quote",
            ),
        ]
        for path, name in shots:
            sep = "&" if "?" in path else "?"
            page.goto(f"{path}{sep}lang={lang}")
            expect(page.locator("h1").first).to_be_visible()
            page.wait_for_load_state("networkidle")
            text = page.locator("main").inner_text()
            assert not RAW.findall(text), (path, RAW.findall(text))
            page.screenshot(path=str(folder / f"care-{name}-{lang}.png"), full_page=True)
        page.goto(f"/return-visits?lang={lang}")
        rows = page.get_by_test_id("rv-row").count()
        assert rows >= 2  # the other language's run recorded one already
        form = page.get_by_test_id("rv-form").first
        form.locator("select[name=result]").select_option("reached")
        form.locator("select[name=satisfaction]").select_option("5")
        form.locator("button").click()
        expect(page.get_by_test_id("rv-row")).to_have_count(rows - 1)
        page.goto(f"/complaints?lang={lang}")
        expect(page.get_by_test_id("complaint-row")).to_have_count(2)
    finally:
        context.close()
    assert not errors and not escaped, (errors, escaped)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_family_sees_why_the_government_pays_nothing(
    browser: Any, live_app: LiveApp, care_world: dict[str, int], folder: Path, lang: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        locale="zh-CN" if lang == "zh_CN" else "en-US", viewport={"width": 390, "height": 844},
        is_mobile=True, has_touch=True, base_url=live_app.url,
    )  # fmt: skip
    escaped = keep_local(context)
    page = context.new_page()
    try:
        login(page, "fam_care")
        page.wait_for_load_state("networkidle")
        page.goto(f"/m/order/care_clean?day=tomorrow&slot=afternoon&lang={lang}")
        expect(page.get_by_test_id("quote")).to_be_visible()
        text = page.get_by_test_id("quote").inner_text()
        assert ("needs" in text) if lang == "en" else ("需" in text), text
        page.screenshot(path=str(folder / f"care-family-quote-{lang}-phone.png"), full_page=True)
    finally:
        context.close()
    assert not escaped
