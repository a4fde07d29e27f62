"""The alarm console in a real browser: an SOS committed on another connection appears in the
operator's queue without a reload (server-sent events), and is acknowledged from there.

Screenshots of the queue and the alarm screen as operator1 and supervisor1, in Chinese and
English, on a desktop and a phone, go to YIYANG_SHOTS when set, else to the test's temp folder.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.builders import make_user
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.devices.message_models import DeviceReading
from yiyang.devices.models import Device
from yiyang.kit.clock import utcnow
from yiyang.ports.webhook import new_secret, signature
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role

pytestmark = pytest.mark.browser

SECRET = new_secret()
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def live_app(own_live_app: LiveApp) -> LiveApp:
    """A served app of this module's own, with the call centre's two accounts."""
    assert own_live_app.engine is not None
    with Session(own_live_app.engine) as s:
        for username, role, name in (
            ("operator1", Role.OPERATOR, "陈晓燕"),
            ("supervisor1", Role.SUPERVISOR, "吴建华"),
        ):
            user, _ = make_user(s, role, username=username)
            user.display_name = name
            own_live_app.users[username] = username
        elder = s.get_one(Elder, own_live_app.elder_ids["王秀英"])
        elder.mobility, elder.conditions, elder.capability_level = (
            "walking_aid",
            "高血压；膝关节置换术后",
            2,
        )
        cord = Device(kind="pull_cord", vendor="颐安", model="PC-2", status="installed",
                      elder_id=elder.id, online=True, battery_pct=76,
                      last_seen_at=utcnow() - timedelta(minutes=2), location_note="卧室床头")  # fmt: skip
        s.add(cord)
        s.flush()
        bracelet = Device(kind="vitals_band", vendor="颐安", model="HW-3", status="installed",
                          elder_id=elder.id, online=True, battery_pct=41,
                          last_seen_at=utcnow() - timedelta(minutes=1))  # fmt: skip
        s.add(bracelet)
        s.flush()
        for i in range(48):  # every 10 minutes for 8 hours: a heart rate climbing at the end
            at = utcnow() - timedelta(minutes=10 * (48 - i))
            bpm = 72 + (i % 5) + (max(0, i - 40) * 7)
            s.add(DeviceReading(device_id=bracelet.id, elder_id=elder.id, metric="heart_rate",
                                value=float(bpm), measured_at=at))  # fmt: skip
            if i % 6 == 0:
                s.add(DeviceReading(device_id=bracelet.id, elder_id=elder.id, metric="temperature",
                                    value=36.5 + (i % 3) / 10, measured_at=at))  # fmt: skip
        s.commit()
    assert own_live_app.app is not None
    settings = own_live_app.app.state.settings
    own_live_app.app.state.settings = settings.model_copy(update={"telephony_secret": SECRET})
    return own_live_app


def _raise(live: LiveApp, name: str, type_: AlarmType) -> int:
    """Raise an alarm of the elder on a connection of its own (as the ingest process would)."""
    assert live.engine is not None
    with Session(live.engine) as s:
        elder = s.get_one(Elder, live.elder_ids[name])
        device = s.query(Device).filter(Device.elder_id == elder.id).first()
        alarm, _ = raise_or_repeat(
            s, type_,
            Origin(originator=f"elder:{elder.id}", elder_id=elder.id, street_id=elder.street_id,
                   community_id=elder.community_id, device_id=device.id if device else None),
            now=utcnow(),
        )  # fmt: skip
        s.commit()
        return alarm.id


def _shots() -> Path | None:
    folder = os.environ.get("YIYANG_SHOTS")
    return Path(folder) if folder else None


def test_an_sos_appears_without_a_reload_and_is_acknowledged(page: Any, live_app: LiveApp) -> None:
    login(page, "operator1")
    page.goto("/console/alarms")
    page.wait_for_selector("[data-testid=live-state].is-live", timeout=10_000)
    page.evaluate("window.__stayed = true")  # gone if the page reloads
    alarm_id = _raise(live_app, "王秀英", AlarmType.SOS)
    row = page.locator(f"[data-testid=alarm-row][data-alarm='{alarm_id}']")
    row.wait_for(timeout=5_000)
    assert page.evaluate("window.__stayed === true")
    assert "is-new" in (row.get_attribute("class") or "")
    assert "王秀英" in row.inner_text()
    page.wait_for_timeout(1_200)  # the waiting time ticks in the page
    assert ":" in row.locator("[data-testid=waiting]").inner_text()
    row.locator("[data-testid=alarm-ack]").click()
    page.wait_for_url(f"**/console/alarms/{alarm_id}*")
    assert page.locator("[data-testid=alarm-head]").get_attribute("data-status") == "acknowledged"
    assert page.locator("[data-testid=step][data-action=acknowledged]").count() == 1
    assert page.locator("[data-testid=elder-card]").inner_text().count("高血压") == 1


def test_a_stream_that_goes_quiet_is_cut_and_opened_again(page: Any, live_app: LiveApp) -> None:
    """A stream cut without a close looks open: the console counts the server's beats and,
    with none for three heartbeats, connects again and reloads the queue."""
    login(page, "operator1")
    page.goto("/console/alarms")
    page.wait_for_selector("[data-testid=live-state].is-live", timeout=10_000)
    page.evaluate("window.__stayed = true")
    with page.expect_request("**/console/alarms/stream", timeout=10_000):
        # three heartbeats of a millisecond: the next check (every 5 s) finds the stream quiet
        page.locator("[data-testid=alarm-console]").evaluate("el => el.dataset.heartbeatMs = '1'")
    alarm_id = _raise(live_app, "王秀英", AlarmType.FALL)
    page.locator(f"[data-testid=alarm-row][data-alarm='{alarm_id}']").wait_for(timeout=10_000)
    assert page.evaluate("window.__stayed === true")


def test_the_alarm_screen_follows_another_operators_step_live(page: Any, live_app: LiveApp) -> None:
    alarm_id = _raise(live_app, "李桂兰", AlarmType.FALL)
    login(page, "operator1")
    page.goto(f"/console/alarms/{alarm_id}")
    page.wait_for_selector(".live-state.is-live", timeout=10_000)
    assert live_app.engine is not None
    from yiyang.alarms.handling import service as handling
    from yiyang.security.models import UserAccount
    from yiyang.security.service import subject_for

    with Session(live_app.engine) as s:
        user = s.query(UserAccount).filter(UserAccount.username == "supervisor1").one()
        handling.acknowledge(s, subject_for(user), alarm_id, now=utcnow())
        s.commit()
    page.locator("[data-testid=alarm-head][data-status=acknowledged]").wait_for(timeout=5_000)


def test_an_incoming_call_pops_the_callers_record_on_the_console(
    page: Any, live_app: LiveApp
) -> None:
    import httpx

    login(page, "operator1")
    page.goto("/console/alarms")
    page.wait_for_selector("[data-testid=live-state].is-live", timeout=10_000)
    body = json.dumps({"call_id": "pbx-4711", "caller": "138-0000-0000"}).encode()
    stamp = int(time.time())
    headers = {
        "content-type": "application/json", "webhook-id": "pbx-4711", "webhook-timestamp": str(stamp),
        "webhook-signature": signature(SECRET, "pbx-4711", stamp, body),
    }  # fmt: skip
    answer = httpx.post(f"{live_app.url}/api/v1/telephony/calls", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    pop = page.locator("#screen-pop [data-testid=call-pop]")
    pop.wait_for(timeout=5_000)
    assert pop.locator(f"[data-elder='{live_app.elder_ids['王秀英']}']").count() == 1
    forged = dict(headers, **{"webhook-id": "pbx-4712"})
    refused = httpx.post(f"{live_app.url}/api/v1/telephony/calls", content=body, headers=forged)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "bad_signature"


@pytest.mark.parametrize("username", ["operator1", "supervisor1"])
def test_screenshots_of_the_queue_and_the_alarm_screen(
    browser: Any, live_app: LiveApp, tmp_path: Path, username: str
) -> None:
    alarm_id = _raise(live_app, "王秀英", AlarmType.SOS)
    _raise(live_app, "张建国", AlarmType.LOW_BATTERY)
    folder = _shots() or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for lang in ("zh-CN", "en"):
        for view, size in VIEWPORTS.items():
            context = browser.new_context(locale=lang, viewport=size, base_url=live_app.url)
            escaped = keep_local(context)
            tab = context.new_page()
            login(tab, username)
            query = "?lang=en" if lang == "en" else "?lang=zh_CN"
            tab.goto(f"/console/alarms{query}")
            tab.wait_for_selector("[data-testid=alarm-row]")
            tab.screenshot(
                path=str(folder / f"alarms-{username}-{lang}-{view}.png"), full_page=True
            )
            tab.goto(f"/console/alarms/{alarm_id}{query}")
            tab.wait_for_selector("[data-map-ready]", timeout=10_000)
            tab.wait_for_selector("[data-readings-chart][data-ready]", timeout=10_000)
            tab.screenshot(path=str(folder / f"alarm-{username}-{lang}-{view}.png"), full_page=True)
            if username == "supervisor1":
                tab.goto(f"/console/alarms/supervision{query}")
                tab.wait_for_selector("[data-testid=compliance]")
                tab.screenshot(path=str(folder / f"supervision-{lang}-{view}.png"), full_page=True)
            context.close()
            assert not escaped, escaped
    assert (folder / f"alarm-{username}-en-phone.png").exists()
    assert live_app.app is not None
    hub = live_app.app.state.hub
    deadline = time.monotonic() + 5
    while hub.subscriptions and time.monotonic() < deadline:  # closed tabs leave the hub
        time.sleep(0.1)
    assert not hub.subscriptions
