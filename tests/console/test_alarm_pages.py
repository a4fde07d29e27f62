"""The alarm console: the queue and the alarm screen render for the call centre within scope,
refuse others, and each action form calls the handling service or says why not in words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree, make_user
from tests.conftest import FakeClock
from tests.console.test_place_maps import attr_json
from tests.web.test_order_pages import login
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.models import Alarm
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.devices.models import Device
from yiyang.registry.elders.models import Elder
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role


@dataclass
class Scene:
    """A fall of 王秀英 (key-holding son) and a low battery of another elder; the call centre."""

    elder: Elder
    fall: Alarm
    battery: Alarm
    operator: UserAccount
    supervisor: UserAccount


def _raise(db: Session, elder: Elder, type_: AlarmType, at, device_id=None) -> Alarm:  # type: ignore[no-untyped-def]
    alarm, _ = raise_or_repeat(
        db, type_,
        Origin(originator=f"elder:{elder.id}", elder_id=elder.id, street_id=elder.street_id,
               community_id=elder.community_id, device_id=device_id),
        now=at,
    )  # fmt: skip
    return alarm


@pytest.fixture
def scene(db: Session, clock: FakeClock) -> Scene:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1, name="王秀英", phone="13800001111")
    elder.mobility, elder.conditions, elder.capability_level = "walking_aid", "高血压、糖尿病", 2
    elder.contacts[0].has_key, elder.contacts[0].relationship = True, "son"
    cord = Device(kind="pull_cord", vendor="Acme", model="PC-1", status="installed",
                  elder_id=elder.id, online=True, battery_pct=80,
                  last_seen_at=clock.now - timedelta(minutes=3), location_note="床头")  # fmt: skip
    db.add(cord)
    db.flush()
    other = make_elder(db, tree.comm_a1, name="李桂兰")
    battery = _raise(db, other, AlarmType.LOW_BATTERY, clock.now - timedelta(minutes=5))
    fall = _raise(db, elder, AlarmType.FALL, clock.now - timedelta(seconds=90), cord.id)
    operator, _ = make_user(db, Role.OPERATOR)
    supervisor, _ = make_user(db, Role.SUPERVISOR)
    db.flush()
    return Scene(elder, fall, battery, operator, supervisor)


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="alarm-row" data-alarm="(\d+)"', html)


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_the_queue_lists_open_alarms_most_urgent_first_with_counts(
    client: TestClient, scene: Scene, role: str
) -> None:
    login(client, getattr(scene, role))
    page = client.get("/console/alarms")
    assert page.status_code == 200
    html = page.text
    assert _rows(html) == [str(scene.fall.id), str(scene.battery.id)]  # critical before info
    assert 'x-data="alarmConsole"' in html and 'data-stream="/console/alarms/stream"' in html
    assert 'data-testid="count-waiting">2<' in html and 'data-testid="count-critical">1<' in html
    assert 'data-since="' in html  # the waiting time ticks in the browser
    assert "王秀英" in html and 'href="/console/alarms"' in html  # the nav entry
    assert ("/console/alarms/supervision" in html) == (role == "supervisor")
    fragment = client.get("/console/alarms/queue", headers={"HX-Request": "true"}).text
    assert _rows(fragment) == _rows(html) and "<html" not in fragment


def test_the_work_page_of_an_operator_links_to_the_console(
    client: TestClient, scene: Scene
) -> None:
    login(client, scene.operator)
    assert 'data-testid="alarm-console-link"' in client.get("/work").text


@pytest.mark.parametrize("role", [Role.STREET_ADMIN, Role.CAREGIVER, Role.AUDITOR])
def test_others_may_not_open_the_console(
    client: TestClient, db: Session, scene: Scene, role: Role
) -> None:
    user, _ = make_user(db, role)
    login(client, user)
    for url in ("/console/alarms", f"/console/alarms/{scene.fall.id}", "/console/alarms/stream"):
        assert client.get(url).status_code == 403, url


def test_an_unknown_alarm_is_not_found(client: TestClient, scene: Scene) -> None:
    login(client, scene.operator)
    assert client.get("/console/alarms/999999").status_code == 404


def test_the_alarm_screen_shows_the_elders_card_devices_and_whom_to_call(
    client: TestClient, scene: Scene
) -> None:
    login(client, scene.operator)
    page = client.get(f"/console/alarms/{scene.fall.id}")
    assert page.status_code == 200
    html = page.text
    assert "王秀英" in html and "高血压、糖尿病" in html
    assert "Walks with a stick or frame" in html or "拐杖" in html  # mobility in words
    assert 'data-map="elder-home"' in html
    drawn = attr_json(html, "alarm-map")  # the home and its geofence, as data
    assert (drawn["lat"], drawn["lon"]) == (scene.elder.lat, scene.elder.lon)
    assert drawn["fence_m"] == scene.elder.geofence_m and drawn["fence_label"]
    assert 'data-testid="device"' in html and "床头" in html
    assert "3 min ago" in html or "3 分钟前" in html  # last seen, in words
    callees = re.findall(r'data-testid="callee" data-target="(\w+)"', html)
    assert callees[0] == "contact" and callees[-1] == "elder"  # the key holder first
    assert 'data-testid="step" data-action="raised"' in html
    assert 'data-testid="responder-slot"' in html
    assert 'data-testid="ack"' in html


def _csrf(client: TestClient, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get(url).text)
    assert found
    return found.group(1)


def test_acknowledge_call_note_resolve_and_close_from_the_screen(
    client: TestClient, scene: Scene
) -> None:
    login(client, scene.operator)
    url = f"/console/alarms/{scene.fall.id}"
    csrf = _csrf(client, url)
    r = client.post(f"{url}/acknowledge", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(url)
    son = scene.elder.contacts[0]
    r = client.post(
        f"{url}/call",
        data={
            "csrf_token": csrf,
            "target": "contact",
            "contact_id": str(son.id),
            "result": "answered",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = client.post(
        f"{url}/note", data={"csrf_token": csrf, "text": "儿子十分钟到"}, follow_redirects=False
    )
    assert r.status_code == 303
    r = client.post(
        f"{url}/resolve", data={"csrf_token": csrf, "note": "儿子到了"}, follow_redirects=False
    )
    assert r.status_code == 303
    r = client.post(
        f"{url}/close", data={"csrf_token": csrf, "disposition": "family_attended"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    html = client.get(url).text
    actions = re.findall(r'data-testid="step" data-action="(\w+)"', html)
    assert actions[:1] == ["raised"] and "acknowledged" in actions and "closed" in actions
    assert "儿子十分钟到" in html and 'data-status="closed"' in html
    assert 'data-testid="form-close"' not in html  # nothing left to do


def test_a_refused_action_is_shown_in_words_on_its_form(client: TestClient, scene: Scene) -> None:
    login(client, scene.operator)
    url = f"/console/alarms/{scene.fall.id}"
    csrf = _csrf(client, url)
    r = client.post(f"{url}/resolve", data={"csrf_token": csrf})  # nobody took it yet
    assert r.status_code == 409
    assert 'data-testid="form-error" data-form="resolve"' in r.text
    client.post(f"{url}/acknowledge", data={"csrf_token": csrf})
    r = client.post(f"{url}/close", data={"csrf_token": csrf, "disposition": ""})
    assert r.status_code == 422 and 'data-form="close"' in r.text
    r = client.post(f"{url}/close", data={"csrf_token": csrf, "disposition": "other"})
    assert r.status_code == 422 and 'data-form="close"' in r.text  # "other" needs a note
    r = client.post(f"{url}/note", data={"csrf_token": csrf, "text": ""})
    assert r.status_code == 422 and 'data-form="note"' in r.text
    html = client.get(url).text
    assert 'data-action="closed"' not in html and 'data-action="note"' not in html


def test_a_second_operator_cannot_take_an_alarm_already_taken(
    client: TestClient, db: Session, scene: Scene
) -> None:
    login(client, scene.operator)
    url = f"/console/alarms/{scene.fall.id}"
    client.post(f"{url}/acknowledge", data={"csrf_token": _csrf(client, url)})
    other, _ = make_user(db, Role.OPERATOR)
    login(client, other)
    csrf = _csrf(client, url)
    r = client.post(f"{url}/acknowledge", data={"csrf_token": csrf})
    assert r.status_code == 409 and 'data-form="acknowledge"' in r.text


def test_supervision_shows_queue_depth_compliance_and_load_to_supervisors_only(
    client: TestClient, scene: Scene
) -> None:
    login(client, scene.operator)
    assert client.get("/console/alarms/supervision").status_code == 403
    login(client, scene.supervisor)
    html = client.get("/console/alarms/supervision").text
    assert 'data-testid="fig-waiting">2<' in html and 'data-testid="fig-open">2<' in html
    assert re.findall(r'data-testid="compliance" data-within="(\d+)"', html) == ["60", "180"]
    assert "98.5" in html and "99.5" in html
    fragment = client.get("/console/alarms/supervision/figures", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'data-testid="supervision-figures"' in fragment.text


def test_the_screen_charts_the_elders_recent_readings(
    client: TestClient, db: Session, scene: Scene, clock: FakeClock
) -> None:
    from yiyang.devices.message_models import DeviceReading

    device_id = scene.fall.device_id
    assert device_id is not None
    for minutes, bpm in ((50, 82.0), (30, 126.0), (10, 131.0)):
        db.add(DeviceReading(device_id=device_id, elder_id=scene.elder.id, metric="heart_rate",
                             value=bpm, measured_at=clock.now - timedelta(minutes=minutes)))  # fmt: skip
    db.flush()
    login(client, scene.operator)
    html = client.get(f"/console/alarms/{scene.fall.id}").text
    assert 'data-testid="readings-chart"' in html and "126.0" in html and "bpm" in html


def test_a_voice_call_waits_for_its_result_on_the_screen(client: TestClient, scene: Scene) -> None:
    login(client, scene.operator)
    url = f"/console/alarms/{scene.fall.id}"
    csrf = _csrf(client, url)
    client.post(f"{url}/acknowledge", data={"csrf_token": csrf})
    son = scene.elder.contacts[0]
    r = client.post(
        f"{url}/call", data={"csrf_token": csrf, "target": "contact", "contact_id": str(son.id)},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    html = client.get(url).text
    step_id = re.search(r'name="call_step_id" value="(\d+)"', html)
    assert step_id and 'data-testid="form-log-call"' in html
    r = client.post(
        f"{url}/log-call",
        data={"csrf_token": csrf, "call_step_id": step_id.group(1), "result": "no_answer"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    html = client.get(url).text
    assert 'data-action="call_result"' in html and 'data-testid="form-log-call"' not in html


def test_the_stream_carries_only_what_the_reader_may_see() -> None:
    from yiyang.console.alarm_live import wanted_by
    from yiyang.security.subject import Subject

    def alarm(street: int, community: int) -> dict[str, object]:
        snap = {"id": 1, "street_id": street, "community_id": community, "elder_id": 9}
        return {"type": "alarm.raised", "alarm": snap}

    operator = wanted_by(Subject(user_id=5, username="op", display_name="op", role=Role.OPERATOR))
    street = wanted_by(
        Subject(user_id=6, username="st", display_name="st", role=Role.STREET_ADMIN, street_id=2)
    )
    assert operator(alarm(1, 11)) and operator(alarm(2, 21))
    assert street(alarm(2, 21)) and not street(alarm(1, 11))
    assert operator({"type": "call.received", "user_id": None})  # every console
    assert operator({"type": "call.received", "user_id": 5})
    assert not operator({"type": "call.received", "user_id": 7})  # another operator's seat
    assert not operator({"type": "order.created"})
