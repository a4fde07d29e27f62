"""The bureau's report in a real browser: every chart drawn (SVG) with no script error, the
phone layout, and the A4 print as a PDF. Screenshots (zh-CN and en, desktop and phone) and
the PDF go to YIYANG_SHOTS when set, else to the test's temp folder."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.browser.world import caregiver, carry, centre_near, place, seeded_provider
from tests.builders import make_catalog_item, make_user
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role

pytestmark = pytest.mark.browser
DESK = {"width": 1440, "height": 1000}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def live_app(own_live_app: LiveApp) -> LiveApp:
    """A served app of this module's own with tomorrow's orders: three placed, one served."""
    assert own_live_app.engine is not None
    now = utcnow()
    with Session(own_live_app.engine) as s:
        provider = seeded_provider(s)
        elder = s.get_one(Elder, own_live_app.elder_ids["谢淑华"])
        centre = centre_near(s, provider, elder, "康复服务站")
        staff = caregiver(s, provider, centre, "吴敏", "13700007777", "rehab")
        item = make_catalog_item(s, code="rp_rehab")
        item.name_zh, item.name_en, item.required_skills = "康复训练", "Rehabilitation", ["rehab"]
        _, operator = make_user(s, Role.OPERATOR, username="op_reports")
        _, carer = make_user(s, Role.CAREGIVER, staff_id=staff.id, username="carer_reports")
        tomorrow = local_today(now) + timedelta(days=1)
        served, *_ = (place(s, operator, elder, "rp_rehab", tomorrow, h, now=now)
                      for h in (8, 11, 14))  # fmt: skip
        carry(s, operator, carer, served, staff.id, elder, upto="completed", now=now)
        s.commit()
    return own_live_app


def _period() -> str:
    """Today and tomorrow (the orders are tomorrow's, which may be next month)."""
    today = local_today(utcnow())
    return f"from={today.isoformat()}&to={(today + timedelta(days=1)).isoformat()}"


def _tab(browser: Any, live_app: LiveApp, viewport: dict[str, int], locale: str) -> Any:
    context = browser.new_context(viewport=viewport, base_url=live_app.url, locale=locale)
    return context, keep_local(context), context.new_page()


def test_the_report_draws_its_charts(browser: Any, live_app: LiveApp) -> None:
    context, escaped, tab = _tab(browser, live_app, DESK, "zh-CN")
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    login(tab, "admin")
    tab.goto(f"/reports?{_period()}")
    tab.wait_for_selector("[data-testid=report-figures]")
    charts = tab.locator("[data-report-chart]")
    assert charts.count() >= 2
    for i in range(charts.count()):
        charts.nth(i).locator("svg").wait_for(timeout=5_000)
    assert tab.locator("[data-testid=figure-placed]").inner_text() == "3"
    assert tab.locator("[data-testid=figure-served]").inner_text() == "1"
    context.close()
    assert not errors, errors
    assert not escaped, escaped


def test_a_bad_period_is_said_on_the_page(page: Any, live_app: LiveApp) -> None:
    login(page, "street")
    answer = page.goto("/reports?from=2026-11-30&to=2026-11-01")
    assert answer is not None and answer.status == 422
    assert page.locator("[data-testid=report-error] [data-field=to]").count() == 1
    assert page.locator("[data-testid=report-to]").get_attribute("aria-invalid") == "true"


def test_screenshots_and_the_print(browser: Any, live_app: LiveApp, tmp_path: Path) -> None:
    folder = Path(os.environ.get("YIYANG_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    for lang, query in (("zh-CN", "?lang=zh_CN"), ("en", "?lang=en")):
        for name, viewport in (("desk", DESK), ("phone", PHONE)):
            context, _, tab = _tab(browser, live_app, viewport, lang)
            login(tab, "admin" if name == "desk" else "street")
            tab.goto(f"/reports{query}&{_period()}")
            tab.wait_for_selector("[data-testid=report-figures]")
            tab.wait_for_timeout(500)
            tab.screenshot(path=str(folder / f"report-{name}-{lang}.png"), full_page=True)
            context.close()
        context, _, tab = _tab(browser, live_app, DESK, lang)
        login(tab, "admin")
        tab.goto(f"/reports/print{query}&{_period()}")
        tab.wait_for_selector("[data-testid=report-print-sheet]")
        assert tab.locator("[data-testid=print-streets] tbody tr").count() >= 1
        tab.emulate_media(media="print")
        assert not tab.locator("[data-testid=print-tools]").is_visible()  # no buttons on paper
        pdf = folder / f"report-{lang}.pdf"
        tab.pdf(path=str(pdf), format="A4")
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
        context.close()
