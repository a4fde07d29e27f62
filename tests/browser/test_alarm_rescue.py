"""The seed's rescue, end to end in real browsers: a pull cord is pulled (posted to the
gateway as the device would), the SOS appears on the operator's console without a reload, is
acknowledged, the son is called, a community worker is sent, accepts, sets out, arrives
(located by the phone) and reports, and the operator closes the alarm — while the family's
phone page shows each step.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.builders import make_user
from yiyang.devices.models import Device, DeviceIdentity
from yiyang.devices.rules import secret_hash
from yiyang.kit.clock import utcnow
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role

pytestmark = pytest.mark.browser

TOKEN = "rescue-cord-token-0001"
IMEI = "861000000000001"
PHONE = {"width": 390, "height": 844}
HOME: dict[str, float] = {}  # where the elder lives (the worker's phone is located there)


@pytest.fixture(scope="module")
def live_app(own_live_app: LiveApp) -> LiveApp:
    """The district with a pull cord by 王秀英's bed, her family, an operator and a worker."""
    assert own_live_app.engine is not None and own_live_app.app is not None
    with Session(own_live_app.engine) as s:
        elder = s.get_one(Elder, own_live_app.elder_ids["王秀英"])
        for username, role, name, binding in (
            ("operator1", Role.OPERATOR, "陈晓燕", {}),
            ("family1", Role.FAMILY, "李明", {"elder": elder}),
            (
                "worker1",
                Role.COMMUNITY_STAFF,
                "周强",
                {"area": s.get_one(Area, elder.community_id)},
            ),
        ):
            user, _ = make_user(s, role, username=username, **binding)
            user.display_name = name
            own_live_app.users[username] = username
        cord = Device(
            kind="pull_cord", vendor="颐安", model="PC-2", status="installed", protocol="house",
            elder_id=elder.id, street_id=elder.street_id, community_id=elder.community_id,
            online=True, battery_pct=80, last_seen_at=utcnow(), installed_at=utcnow(),
            location_note="卧室床头", secret_hash=secret_hash(TOKEN),
        )  # fmt: skip
        cord.identities = [DeviceIdentity(scheme="imei", value=IMEI)]
        s.add(cord)
        s.commit()
        HOME.update(lat=elder.lat, lon=elder.lon)
    app = own_live_app.app
    # Community workers count as on duty around the clock here, whatever the hour CI runs.
    app.state.settings = app.state.settings.model_copy(
        update={"alarm_community_hours": "00:00-23:59"}
    )
    return own_live_app


@pytest.fixture
def phones(browser: Any, live_app: LiveApp) -> Iterator[dict[str, Any]]:
    """The family's and the worker's phones (the worker's located at the elder's home)."""
    lat, lon = HOME["lat"], HOME["lon"]
    family = browser.new_context(locale="zh-CN", viewport=PHONE, base_url=live_app.url)
    worker = browser.new_context(
        locale="zh-CN", viewport=PHONE, base_url=live_app.url,
        geolocation={"latitude": lat, "longitude": lon}, permissions=["geolocation"],
    )  # fmt: skip
    escaped = keep_local(family) + keep_local(worker)
    pages = {"family": family.new_page(), "worker": worker.new_page()}
    try:
        yield pages
    finally:
        family.close()
        worker.close()
    assert not escaped


def _pull_the_cord(live: LiveApp) -> int:
    """The device's own HTTP post to the gateway (the embedded demo's way, no broker)."""
    body = {
        "device": f"imei:{IMEI}", "id": "cord-sos-1",
        "ts": datetime.now(UTC).isoformat(), "type": "signal", "signal": "sos",
    }  # fmt: skip
    answer = httpx.post(
        f"{live.url}/api/v1/ingest/messages", content=json.dumps(body),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    (alarm_id,) = answer.json()["alarm_ids"]
    return int(alarm_id)


def _shoot(page: Any, name: str) -> None:
    """A full-page screenshot to YIYANG_SHOTS when set (to look at), else none."""
    if folder := os.environ.get("YIYANG_SHOTS"):
        page.screenshot(path=str(Path(folder) / f"rescue_{name}.png"), full_page=True)


def _family_sees(page: Any, *words: str) -> str:
    page.goto("/m/home")
    story = page.locator("[data-testid=family-alarm]").inner_text()
    for word in words:
        assert word in story, (word, story)
    return str(story)


def test_a_pulled_cord_brings_a_worker_and_the_family_sees_each_step(
    page: Any, phones: dict[str, Any], live_app: LiveApp
) -> None:
    family, worker = phones["family"], phones["worker"]
    login(family, "family1")
    login(worker, "worker1")
    login(page, "operator1")
    page.goto("/console/alarms")
    page.wait_for_selector("[data-testid=live-state].is-live", timeout=10_000)
    page.evaluate("window.__stayed = true")  # gone if the page reloads

    alarm_id = _pull_the_cord(live_app)
    row = page.locator(f"[data-testid=alarm-row][data-alarm='{alarm_id}']")
    row.wait_for(timeout=5_000)
    assert page.evaluate("window.__stayed === true") and "王秀英" in row.inner_text()
    _family_sees(family, "拉绳")  # the family sees the SOS from the pull cord at once

    row.locator("[data-testid=alarm-ack]").click()
    page.wait_for_url(f"**/console/alarms/{alarm_id}*")
    son = page.locator("[data-testid=callee]").filter(has_text="李明")
    son.locator("select[name=result]").select_option("answered")
    son.locator("[data-testid=call]").click()
    page.wait_for_selector("[data-testid=step][data-action=called]")
    _shoot(page, "console_called")

    send = page.locator("[data-testid=send-responder]")
    worker_option = send.locator("option", has_text="周强")
    send.locator("select[name=person]").select_option(worker_option.get_attribute("value"))
    send.locator("[data-testid=send-responder-submit]").click()
    page.wait_for_selector("[data-testid=step][data-action=responder_sent]")

    worker.goto(f"/m/alarms/{alarm_id}")
    worker.locator("[data-testid=accept]").click()
    worker.locator("[data-testid=on-the-way]").click()
    _family_sees(family, "周强")  # who is on the way
    worker.locator("[data-testid=arrive]").click()  # located by the phone, inside the fence
    worker.wait_for_selector("[data-testid=arrived-fact]")
    _family_sees(family, "到达")
    _shoot(family, "family_arrived")
    _shoot(worker, "worker_arrived")
    worker.locator("[data-testid=outcome-helped]").check()
    worker.locator("[data-testid=report]").click()
    worker.wait_for_selector("[data-testid=reported]")

    page.goto(f"/console/alarms/{alarm_id}")
    for action in ("responder_accepted", "responder_on_the_way", "responder_arrived"):
        assert page.locator(f"[data-testid=step][data-action={action}]").count() == 1
    page.locator("[data-testid=form-resolve] button[type=submit]").click()
    page.wait_for_selector("[data-testid=form-close]")
    page.locator("#disposition").select_option("responder_attended")
    page.locator("[data-testid=form-close] button[type=submit]").click()
    page.wait_for_selector("[data-testid=alarm-head][data-status=closed]")
    _family_sees(family, "已结束")
    _shoot(family, "family_closed")
    _shoot(page, "console_closed")
