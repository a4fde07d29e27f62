"""The responder's phone pages and the JSON API: only the person sent, in words, bad input 422."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.alarms.response.world import World, make_world
from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from tests.web.test_order_pages import login
from yiyang.alarms.response import repository, service
from yiyang.config import Settings
from yiyang.security.roles import Role

CODES = re.compile(r"responder_|on_the_way|timed_out|family_attended|community_staff")


@pytest.fixture
def world(db: Session, clock: FakeClock, settings: Settings) -> World:
    made = make_world(db, clock())
    service.send_responder(db, made.operator, made.alarm.id, now=clock(), settings=settings)
    return made


def visible(html: str) -> str:
    """The page's words: no tags, attributes, scripts or styles."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_the_caregiver_sees_the_alarm_and_goes_all_the_way(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = login(client, world.near, "/m/alarms")
    today = client.get("/m/today?lang=en").text
    assert 'data-testid="alarms-waiting"' in today and "1 alarm waits for you" in today
    listing = client.get("/m/alarms?lang=en")
    assert listing.status_code == 200 and 'data-testid="alarm-card"' in listing.text
    url = f"/m/alarms/{world.alarm.id}"
    page = client.get(url + "?lang=en").text
    for words in (
        "王秀英",
        "文化路 1 号",
        "Call 李明 (has a key)",
        "SOS call",
        "Yes, I am on my way",
    ):
        assert words in page
    assert 'href="geo:' in page and not CODES.search(visible(page))
    assert (
        client.post(
            url + "/on-the-way", data={"csrf_token": csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    db.commit()  # a refused step rolls the request back: keep what came before
    refused = client.post(url + "/arrive", data={"csrf_token": csrf, "lat": "", "lon": ""})
    assert refused.status_code == 422 and 'data-testid="alarm-error"' in refused.text
    assert 'data-testid="arrive-fallback"' in refused.text
    typed = client.post(
        url + "/arrive", data={"csrf_token": csrf, "reason": "at the door, no GPS"},
        follow_redirects=False,
    )  # fmt: skip
    assert typed.status_code == 303
    db.commit()
    bad = client.post(url + "/report", data={"csrf_token": csrf, "outcome": "nonsense"})
    assert bad.status_code == 422
    done = client.post(
        url + "/report", data={"csrf_token": csrf, "outcome": "elder_fine", "note": "ok"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    assert "Reported at" in client.get(url + "?lang=en").text
    assert 'data-testid="alarms-waiting"' not in client.get("/m/today?lang=en").text


def test_refusing_on_the_phone_asks_the_community_worker_whose_home_shows_it(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = login(client, world.near, "/m/alarms")
    url = f"/m/alarms/{world.alarm.id}"
    db.commit()
    empty = client.post(url + "/refuse", data={"csrf_token": csrf, "reason": ""})
    assert empty.status_code == 422
    gone = client.post(
        url + "/refuse", data={"csrf_token": csrf, "reason": "too_far"}, follow_redirects=False
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/m/alarms"
    assert [r.state for r in repository.responders(db, world.alarm.id)] == ["refused", "sent"]
    login(client, world.worker, "/")
    assert 'data-testid="alarms-waiting"' in client.get("/?lang=en").text
    assert client.get(url).status_code == 200


def test_other_roles_get_403_and_people_not_sent_get_404(
    client: TestClient, db: Session, world: World
) -> None:
    url = f"/m/alarms/{world.alarm.id}"
    login(client, world.family, "/m/home")
    assert client.get("/m/alarms").status_code == 403
    assert client.get(url).status_code == 403
    login(client, world.far, "/m/today")
    assert client.get(url).status_code == 404
    assert client.get("/m/alarms/999999").status_code == 404


def token(client: TestClient, username: str) -> dict[str, str]:
    got = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert got.status_code == 200, got.text
    return {"Authorization": f"Bearer {got.json()['access_token']}"}


def test_the_api_sends_lists_and_answers_with_422_on_bad_input(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    world = make_world(db, clock())
    op = token(client, world.operator_user.username)
    base = f"/api/v1/alarms/{world.alarm.id}/responders"
    cands = client.get(base + "/candidates", headers=op)
    assert cands.status_code == 200
    people = [c["person"] for c in cands.json()]
    assert len(people) == 3 and people[0].startswith("staff:")
    assert client.post(base, json={"person": "nobody"}, headers=op).status_code == 422
    assert client.post(base, json={"person": "user:999999"}, headers=op).status_code == 422
    sent = client.post(base, json={"person": people[1]}, headers=op)
    assert sent.status_code == 201 and sent.json()["role_words"] and sent.json()["rank"] == 1
    assert client.post(base, json={}, headers=op).status_code == 409
    worker = token(client, world.worker.username)
    act = f"/api/v1/alarms/{world.alarm.id}/respond"
    assert client.post(act + "/refuse", json={"reason": "bored"}, headers=worker).status_code == 422
    assert (
        client.post(act + "/arrive", json={"lat": 95, "lon": 1}, headers=worker).status_code == 422
    )
    assert client.post(act + "/accept", headers=worker).status_code == 200
    assert (
        client.post(act + "/report", json={"outcome": "elder_fine"}, headers=worker).status_code
        == 409
    )
    listed = client.get(base, headers=op).json()
    assert [r["state"] for r in listed] == ["accepted"]
    _, outsider = make_user(db, Role.CAREGIVER)
    assert client.post(act + "/accept", headers=token(client, outsider.username)).status_code == 404


def test_the_operator_sends_from_the_alarm_screen_form(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    world = make_world(db, clock())
    csrf = login(client, world.operator_user, "/")
    screen = client.get(f"/console/alarms/{world.alarm.id}")
    assert screen.status_code == 200 and "刘芳" in screen.text  # the nearest, offered by name
    url = f"/console/alarms/{world.alarm.id}/responders"
    db.commit()
    bad = client.post(url, data={"csrf_token": csrf, "person": "nobody"})
    assert bad.status_code == 422 and 'data-testid="send-responder"' in bad.text  # redrawn
    assert repository.responders(db, world.alarm.id) == []
    sent = client.post(url, data={"csrf_token": csrf, "person": ""}, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/console/alarms/{world.alarm.id}#timeline"
    assert [r.name for r in repository.responders(db, world.alarm.id)] == ["刘芳"]
    login(client, world.near, "/m/alarms")
    assert client.post(url, data={"csrf_token": csrf}).status_code in (403, 404)


def test_a_location_outside_the_geofence_is_kept_for_the_reason(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = login(client, world.near, "/m/alarms")
    url = f"/m/alarms/{world.alarm.id}"
    client.post(url + "/accept", data={"csrf_token": csrf})
    db.commit()
    far = {"csrf_token": csrf, "lat": "34.8100", "lon": "113.6720"}
    refused = client.post(url + "/arrive", data=far)
    assert refused.status_code == 422 and 'value="34.8100"' in refused.text
    sent = client.post(url + "/arrive", data=far | {"reason": "at the neighbour's"})
    assert sent.status_code == 200  # followed to the page
    (r,) = repository.responders(db, world.alarm.id)
    assert r.state == "arrived" and r.arrived_distance_m is not None
    assert r.arrived_distance_m > 1000 and r.arrived_reason == "at the neighbour's"
