"""The outbox, the "what would have been sent" log and My jobs in a real browser; screenshots.

A district administrator looks at them in Chinese and English, on a desktop and a phone.
Screenshots go to YIYANG_SHOTS when set (e.g. /tmp/shots), else to the test's temp folder.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.browser.world import caregiver, centre_near, place, seeded_provider
from tests.builders import make_catalog_item, make_user
from yiyang.db import make_session_factory
from yiyang.dispatch import service as dispatch_service
from yiyang.events import delivery
from yiyang.jobs import runner
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.ports import subscriptions
from yiyang.ports.delivery import deliverers, http_client
from yiyang.ports.schemas import WebhookCreate
from yiyang.registry.elders import io_jobs
from yiyang.registry.elders.models import Elder
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.service import subject_for

pytestmark = pytest.mark.browser

# Codes the screens store and must never show as they are (a Chinese page shows none).
RAW_CODES = re.compile(r"\b(pending|delivered|dead|retrying|sms|voice|queued|running|done)\b")
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def live_app(own_live_app: LiveApp) -> LiveApp:
    """A served app of this module's own: its messages stay out of other modules' pages."""
    return own_live_app


@pytest.fixture(scope="module")
def console_world(live_app: LiveApp) -> LiveApp:
    """Orders whose family texts were sent, a webhook refused, and a finished export."""
    assert live_app.engine is not None and live_app.app is not None
    settings = live_app.app.state.settings
    now = utcnow()
    with Session(live_app.engine) as s:
        provider = seeded_provider(s)
        elder = s.get_one(Elder, live_app.elder_ids["谢淑华"])
        centre = centre_near(s, provider, elder, "文化路服务站")
        staff = caregiver(s, provider, centre, "钱红", "13700006666", "cleaning")
        item = make_catalog_item(s, code="console_clean")
        item.name_zh, item.name_en, item.required_skills = "居家保洁", "Home cleaning", ["cleaning"]
        admin = s.scalars(select(UserAccount).where(UserAccount.username == "admin")).one()
        subject = subject_for(admin, "127.0.0.1")
        hook = WebhookCreate(url="http://127.0.0.1:9/hook", event_types=["order.created"])  # type: ignore[arg-type]
        # Saved while this machine's network was allowed; the live app allows none, so the
        # worker refuses to post there and the message goes to the dead letter at once.
        subscriptions.create(
            s, subject, hook, now=now, allowed_networks=[ip_network("127.0.0.0/8")]
        )
        _, operator = make_user(s, Role.OPERATOR, username="op_console")
        tomorrow = local_today(now) + timedelta(days=1)
        first, _ = (
            place(s, operator, elder, "console_clean", tomorrow, h, now=now) for h in (9, 13)
        )
        s.flush()
        dispatch_service.assign(
            s, operator, first, staff.id, now=now, reason="regular caregiver", settings=settings
        )
        io_jobs.submit_export(
            s, subject, ElderFilter(), "xlsx", now=now, locale="zh_CN", id_lookup_limit=100
        )
        s.commit()
    factory = make_session_factory(live_app.engine)
    policy = delivery.policy_of(settings)
    with http_client(settings) as http:
        delivery.deliver_due(factory, utcnow, deliverers(settings, factory, utcnow, http), policy)
    while runner.run_next(factory, utcnow, settings, worker="browser-test"):
        pass
    return live_app


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    chosen = Path(os.environ.get("YIYANG_SHOTS") or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


@pytest.mark.parametrize("size", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_admin_reads_the_outbox_the_sent_log_and_jobs(
    browser: Any, console_world: LiveApp, folder: Path, lang: str, size: str
) -> None:
    from playwright.sync_api import expect

    phone = size == "phone"
    context = browser.new_context(
        locale="zh-CN" if lang == "zh_CN" else "en-US", viewport=VIEWPORTS[size],
        is_mobile=phone, has_touch=phone, base_url=console_world.url,
    )  # fmt: skip
    escaped = keep_local(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(r.url) if r.status >= 500 else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        login(page, "admin")
        page.wait_for_url(console_world.url + "/")
        toggle = page.get_by_test_id("nav-toggle")
        if phone:  # the menu folds away behind its button, and opens on a tap
            expect(page.locator("#main-nav")).to_be_hidden()
            toggle.click()
            expect(page.locator("#main-nav")).to_be_visible()
            page.screenshot(path=str(folder / f"console-menu-{lang}-{size}.png"))
        else:
            expect(toggle).to_be_hidden()
            expect(page.locator("#main-nav")).to_be_visible()
        for path, name in (
            ("/console/outbox", "outbox"),
            ("/console/sent", "sent"),
            ("/jobs", "jobs"),
        ):
            page.goto(f"{path}?lang={lang}")
            expect(page.locator("h1")).to_be_visible()
            text = page.locator("main").inner_text()
            if lang == "zh_CN":  # English words may be these very words; Chinese never
                assert not RAW_CODES.findall(text), (path, RAW_CODES.findall(text))
            assert "UTC" not in text and "T0" not in text  # local times, not ISO stamps
            page.screenshot(path=str(folder / f"console-{name}-{lang}-{size}.png"), full_page=True)
        page.goto(f"/console/outbox?lang={lang}")
        expect(page.locator("[data-testid=outbox-row][data-state=dead]").first).to_be_visible()
        page.goto(f"/console/sent?lang={lang}")
        family_text = page.locator("[data-testid=sent-row][data-channel=sms]").first
        expect(family_text.get_by_test_id("sent-to")).to_have_text("139****5678")
        page.goto(f"/jobs?lang={lang}")
        expect(page.get_by_test_id("job-file").first).to_be_visible()
    finally:
        context.close()
    assert not errors and not escaped, (errors, escaped)
