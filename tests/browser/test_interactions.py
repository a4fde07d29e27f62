"""What pages do under the strict CSP: menus, filters, toggles, confirms, the chart, the QR form.

Every test fails on a CSP violation (console or report endpoint), a script error or a dialog
it did not expect; screenshots go to YIYANG_SHOTS (else the test's temp folder).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.browser.probe import Probe
from tests.browser.world import caregiver, carry, centre_near, place, seeded_provider
from tests.builders import make_catalog_item, make_user
from yiyang.db import make_session_factory
from yiyang.jobs import runner
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.orders.models import ServiceOrder
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role
from yiyang.visits import alerts
from yiyang.visits.schemas import AlertNote

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CARERS = ["孙丽", "周燕", "吴霞", "郑红", "冯敏", "陈芳", "褚娟", "卫平", "蒋英", "沈慧"]


@dataclass
class UiWorld:
    """Orders for the interactive bits: to refuse, to re-assign, to cancel, in trouble."""

    elder_id: int
    to_refuse: int
    to_scan: int
    to_pick: int
    to_cancel: int


@pytest.fixture(scope="module")
def live_app(own_live_app: LiveApp) -> LiveApp:
    """A served app of this module's own: its orders and alerts stay out of other modules' counts."""
    return own_live_app


@pytest.fixture(scope="module")
def ui_world(live_app: LiveApp) -> UiWorld:
    """Ten caregivers with one skill near one elder, and that elder's family and orders."""
    assert live_app.engine is not None
    now = utcnow()
    with Session(live_app.engine) as s:
        provider = seeded_provider(s)
        elder = s.get_one(Elder, live_app.elder_ids["宋保国"])
        centre = centre_near(s, provider, elder, "跑腿服务站")
        staff = [
            caregiver(s, provider, centre, name, f"1360000{n:04d}", "errands")
            for n, name in enumerate(CARERS)
        ]
        item = make_catalog_item(s, code="ui_errands")
        item.name_zh, item.name_en, item.required_skills = "代办跑腿", "Errands", ["errands"]
        _, operator = make_user(s, Role.OPERATOR, username="op_ui")
        _, carer = make_user(s, Role.CAREGIVER, staff_id=staff[0].id, username="carer_ui")
        make_user(s, Role.FAMILY, elder=elder, username="family_ui")
        tomorrow = local_today(now) + timedelta(days=1)
        to_refuse, to_scan, to_pick, to_cancel = (
            place(s, operator, elder, "ui_errands", tomorrow, hour, now=now)
            for hour in (7, 10, 13, 16)
        )
        carry(s, operator, carer, to_refuse, staff[0].id, elder, upto="assigned", now=now)
        carry(s, operator, carer, to_scan, staff[0].id, elder, upto="accepted", now=now)
        # Acknowledged at once, so the alert counts other tests expect stay as they are.
        fence = alerts.raise_alert(
            s, s.get_one(ServiceOrder, to_scan), "geofence", now=now,
            detail={"check_in": {"distance_m": 420, "radius_m": 150, "accuracy_m": 25, "flag": "outside_geofence"}},
        )  # fmt: skip
        alerts.acknowledge(s, operator, fence.id, AlertNote(note="已致电服务人员"), now=now)
        s.commit()
        return UiWorld(elder.id, to_refuse, to_scan, to_pick, to_cancel)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go."""
    chosen = Path(os.environ.get("YIYANG_SHOTS") or tmp_path) / "interactions"
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


class Tabs:
    """Tabs (desktop or phone) that must end the test without a problem of any kind."""

    def __init__(self, browser: Any, live_app: LiveApp) -> None:
        self.browser, self.live_app = browser, live_app
        self.opened: list[tuple[Any, Probe, list[str]]] = []

    def __call__(self, who: str, *, phone: bool = False, locale: str = "zh-CN") -> Any:
        """A logged-in tab for `who`."""
        context = self.browser.new_context(
            locale=locale, base_url=self.live_app.url, is_mobile=phone, has_touch=phone,
            viewport=PHONE if phone else {"width": 1440, "height": 900},
            device_scale_factor=2 if phone else 1,
        )  # fmt: skip
        escaped = keep_local(context)
        page = context.new_page()
        self.opened.append((context, Probe(page, self.live_app.url), escaped))
        login(page, who)
        page.wait_for_url(re.compile(r"^(?!.*/login)"))
        return page

    def probe(self, page: Any) -> Probe:
        """The probe watching `page`."""
        return next(probe for _, probe, _ in self.opened if probe.page is page)

    def problems(self) -> list[str]:
        """Everything the tabs saw go wrong; closes them."""
        found = [p for _, probe, _ in self.opened for p in probe.problems]
        found += [f"left 127.0.0.1: {u}" for _, _, escaped in self.opened for u in escaped]
        for context, _, _ in self.opened:
            context.close()
        return found


@pytest.fixture
def tab(browser: Any, live_app: LiveApp, csp_reports: list[logging.LogRecord]) -> Iterator[Tabs]:
    """Open tabs; the test fails if any saw a CSP violation, script error or stray dialog."""
    tabs = Tabs(browser, live_app)
    yield tabs
    problems = tabs.problems()
    assert not problems, "\n".join(problems)
    assert not [r.getMessage() for r in csp_reports]


def test_user_menu_opens_closes_on_escape_and_outside(tab: Tabs, shots: Path) -> None:
    page = tab("admin")
    button, menu = page.get_by_test_id("user-menu"), page.locator(".usermenu .menu")
    expect(menu).to_be_hidden()
    button.click()
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=str(shots / "menu-open.png"))
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(menu).to_be_visible()
    page.locator("h1").first.click()
    expect(menu).to_be_hidden()


def test_street_filter_narrows_communities_and_clears_the_community(tab: Tabs) -> None:
    page = tab("admin")
    page.goto("/orders")
    community = page.get_by_test_id("filter-community")
    community.select_option("410105011001")
    page.wait_for_url("**community_code=410105011001**")
    page.get_by_test_id("filter-street").select_option("410105019")
    expect(community).to_have_value("")
    page.wait_for_url(re.compile(r"street_code=410105019(?!.*community_code=4)"))
    assert community.locator("optgroup").count() >= 2
    shown = page.eval_on_selector_all(
        "[data-testid=filter-community] optgroup",
        "groups => groups.filter(g => g.style.display !== 'none').map(g => g.dataset.street)",
    )
    assert shown == ["410105019"]


def test_catalog_filters_apply_on_change(tab: Tabs) -> None:
    page = tab("admin")
    page.goto("/catalog")
    page.locator("select[name=government_purchasable]").select_option("true")
    page.wait_for_url("**/catalog?*government_purchasable=true*")


def test_home_chart_draws_and_its_tooltip_keeps_the_policy(tab: Tabs, shots: Path) -> None:
    page = tab("admin")
    chart = page.locator("#chart-areas svg")
    expect(chart).to_be_visible()
    assert chart.locator("path").count() > 3
    widths = page.eval_on_selector_all(
        ".bars .bar rect", "rs => rs.map(r => r.getAttribute('width'))"
    )
    assert widths and widths[0] == "100.0%" and all(w.endswith("%") for w in widths)
    page.locator("#chart-areas").scroll_into_view_if_needed()  # below the work queue
    box = page.locator("#chart-areas").bounding_box()
    before = chart.locator("text").count()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    expect(chart.locator("text")).not_to_have_count(before)  # the tooltip is drawn in the chart
    page.screenshot(path=str(shots / "home-chart-tooltip.png"), full_page=True)


def test_alert_list_holds_still_while_a_note_is_written(tab: Tabs, ui_world: UiWorld) -> None:
    page = tab("admin")
    page.clock.install()
    page.goto(f"/alerts?order_id={ui_world.to_scan}")
    refreshes: list[str] = []
    page.on(
        "request",
        lambda r: refreshes.append(r.url) if r.headers.get("hx-trigger") == "results" else None,
    )
    details = page.get_by_test_id("handle").first
    details.locator("summary").click()
    details.locator("textarea").fill("正在联系服务人员")
    page.clock.run_for(40_000)  # two refresh periods
    assert refreshes == [] and details.get_attribute("open") is not None
    details.locator("[data-close-details]").click()
    assert details.get_attribute("open") is None
    page.clock.run_for(20_000)
    page.wait_for_timeout(500)  # real time for the request to be seen
    assert len(refreshes) == 1 and f"order_id={ui_world.to_scan}" in refreshes[0]


def test_picker_shows_every_caregiver_on_demand(tab: Tabs, ui_world: UiWorld) -> None:
    page = tab("admin")
    page.goto(f"/dispatch/orders/{ui_world.to_pick}/assign")
    rows = page.get_by_test_id("candidate")
    total = rows.count()
    assert total >= len(CARERS)
    expect(page.locator("[data-testid=candidate]:visible")).to_have_count(8)
    page.get_by_test_id("show-all").click()
    expect(page.locator("[data-testid=candidate]:visible")).to_have_count(total)
    page.get_by_test_id("show-all").click()
    expect(page.locator("[data-testid=candidate]:visible")).to_have_count(8)


def test_elder_search_does_not_reload_the_services(tab: Tabs, ui_world: UiWorld) -> None:
    page = tab("op_ui")
    page.goto("/orders/new")
    reloads: list[str] = []
    page.on(
        "request",
        lambda r: reloads.append(r.url) if r.headers.get("hx-target") == "op-services" else None,
    )
    search = page.get_by_test_id("elder-search")
    search.fill("宋保国")
    expect(page.get_by_test_id("pick-elder").first).to_be_visible()
    search.blur()  # the search field's change event stays out of the form's hx-trigger
    page.wait_for_timeout(300)
    assert reloads == []
    page.get_by_test_id("pick-elder").first.click()
    expect(page.get_by_test_id("chosen-elder")).to_contain_text("宋保国")
    expect(page.get_by_test_id("op-services")).to_contain_text("代办跑腿")
    page.get_by_test_id("op-start").fill("10:00")  # a field of the form: services reload
    page.wait_for_timeout(500)
    assert len(reloads) == 1, reloads


def test_caregiver_opens_the_refuse_form_and_the_qr_form(
    tab: Tabs, ui_world: UiWorld, shots: Path
) -> None:
    page = tab("carer_ui", phone=True)
    page.goto("/m/visits?day=tomorrow")
    card = page.locator(f"[data-testid=visit][data-order='{ui_world.to_refuse}']")
    reason = card.locator("select[name=reason]")
    expect(reason).to_be_hidden()
    card.get_by_test_id("refuse-open").click()
    expect(reason).to_be_visible()
    expect(card.get_by_test_id("refuse-open")).to_be_hidden()
    page.screenshot(path=str(shots / "m-refuse-open.png"), full_page=True)
    page.goto(f"/m/visits/{ui_world.to_scan}?lang=en")
    page.get_by_test_id("qr-open").click()
    expect(page.get_by_test_id("qr-form")).to_be_visible()
    expect(page.locator("[data-qr-status]")).not_to_be_empty()  # no camera here: type the code
    expect(page.get_by_test_id("qr-code")).to_be_focused()
    page.screenshot(path=str(shots / "m-qr-en.png"), full_page=True)


def test_family_picks_a_time_of_their_own(tab: Tabs, ui_world: UiWorld, shots: Path) -> None:
    page = tab("family_ui", phone=True)
    page.goto("/m/order/ui_errands")
    at = page.locator("#at-time")
    expect(at).to_be_hidden()
    page.locator("label.choice:has([data-testid=day-tomorrow])").click()
    page.locator("label.choice:has([data-testid=slot-at])").click()
    expect(at).to_be_visible()
    at.fill("15:30")
    expect(page.get_by_test_id("quote")).to_contain_text("15:30")
    page.screenshot(path=str(shots / "m-order-at.png"), full_page=True)
    page.locator("label.choice:has([data-testid=slot-morning])").click()
    expect(at).to_be_hidden()


def test_family_is_asked_before_an_order_is_cancelled(tab: Tabs, ui_world: UiWorld) -> None:
    page = tab("family_ui", phone=True)
    probe = tab.probe(page)
    probe.expected_confirms.add("确定取消此订单吗？")  # any other dialog fails the test
    page.goto(f"/m/orders/{ui_world.to_cancel}")
    status = page.get_by_test_id("order-status")
    before = status.get_attribute("data-status")
    assert before in ("offered", "queued", "assigned")
    with page.expect_event("dialog"):  # the probe says no
        page.get_by_test_id("cancel").click()
    page.wait_for_timeout(300)
    expect(status).to_have_attribute("data-status", before or "")
    probe.accept_confirms = True
    with page.expect_event("dialog"):
        page.get_by_test_id("cancel").click()
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "cancelled")


def test_visit_card_prints_and_the_day_plan_previews(
    tab: Tabs, ui_world: UiWorld, shots: Path
) -> None:
    page = tab("admin", locale="en-US")
    page.add_init_script("window.print = () => { document.body.dataset.printed = 'yes'; };")
    page.goto(f"/elders/{ui_world.elder_id}/visit-card?lang=en")
    page.get_by_test_id("print").click()
    expect(page.locator("body")).to_have_attribute("data-printed", "yes")
    page.goto(f"/elders/{ui_world.elder_id}?lang=en")  # the home on the district outline
    expect(page.locator("[data-testid=elder-map][data-map-ready]")).to_have_count(1)
    expect(page.locator("[data-testid=elder-map] svg path").first).to_be_attached()
    page.screenshot(path=str(shots / "elder-map-en.png"), full_page=True)
    page.goto("/dispatch/day-plan?lang=en")
    page.get_by_test_id("plan-preview").click()
    expect(page.get_by_test_id("plan-job")).to_be_visible()
    live = tab.live_app  # no worker serves this app: run the submitted preview job here
    assert live.engine is not None and live.app is not None
    factory = make_session_factory(live.engine)
    assert runner.run_next(factory, utcnow, live.app.state.settings, worker="browser-test")
    expect(page.get_by_test_id("plan-summary")).to_be_visible()  # the page polls every second
    page.screenshot(path=str(shots / "day-plan-en.png"), full_page=True)


def test_a_violation_reaches_the_console_and_the_report_endpoint(
    page: Any, live_app: LiveApp, csp_reports: list[logging.LogRecord]
) -> None:
    """The other tests' watch on the policy can fail: an injected handler is refused, reported."""
    probe = Probe(page, live_app.url)
    page.goto("/login?next=/elders%3Fq%3D410105194503081234")
    page.evaluate(
        "() => document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"alert(1)\">')"
    )
    for _ in range(50):
        if csp_reports:
            break
        page.wait_for_timeout(100)
    assert any("Content Security Policy" in p for p in probe.problems)
    assert not any("dialog" in p for p in probe.problems)  # refused, not run
    (report,) = [r.getMessage() for r in csp_reports]
    assert report.startswith("CSP violation: script-src-attr blocked inline on ")
    assert "/login" in report and "410105194503081234" not in report
