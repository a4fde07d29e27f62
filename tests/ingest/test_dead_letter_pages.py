"""The dead-letter page and API: counts per reason and device, within data scope."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.builders import PASSWORD, make_user
from tests.ingest.conftest import Rig
from yiyang.registry.areas.models import Area
from yiyang.security.roles import Role

CORD = "yiyang/v1/devices/imei:861000000000001/up"  # in street A
BAND = "yiyang/v1/devices/imei:861000000000002/up"  # in street B


def login(rig: Rig, role: Role, area_code: str | None = None) -> None:
    with rig.session() as s:
        area = s.scalar(select(Area).where(Area.code == area_code)) if area_code else None
        user, _ = make_user(s, role, area=area)
        s.commit()
        username = user.username
    client = rig.live.client
    client.cookies.clear()
    answer = client.post("/login", data={"username": username, "password": PASSWORD},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text


def refuse_some(rig: Rig) -> None:
    rig.gateway.mqtt(CORD, b"{broken")
    rig.gateway.mqtt(CORD, json.dumps({"id": "x", "ts": "2099-01-01T00:00:00Z",
                                       "type": "heartbeat"}).encode())  # fmt: skip
    rig.gateway.mqtt(BAND, b"{broken")
    rig.gateway.mqtt("yiyang/v1/devices/imei:869999999999999/up", b"{}")


def test_district_staff_see_every_refusal_counted(rig: Rig) -> None:
    refuse_some(rig)
    login(rig, Role.DISTRICT_ADMIN)
    page = rig.live.client.get("/devices/dead-letters?lang=en")
    assert page.status_code == 200
    assert "Could not be read" in page.text and "Unknown device" in page.text
    assert page.text.count('data-testid="dead-letter"') == 4
    api = rig.live.client.get("/api/v1/ingest/dead-letters?hours=24").json()
    assert {c["reason"]: c["count"] for c in api["by_reason"]} == {
        "unparseable": 2, "bad_token": 1, "unknown_device": 1,
    }  # fmt: skip
    only = rig.live.client.get("/devices/dead-letters?reason=unparseable&hours=1&lang=zh_CN")
    assert only.text.count('data-testid="dead-letter"') == 2


def test_a_street_sees_only_its_own_devices_refusals(rig: Rig) -> None:
    refuse_some(rig)
    with rig.session() as s:
        street_a = s.scalar(select(Area).where(Area.level == "street").order_by(Area.id))
        assert street_a is not None
        code = street_a.code
    login(rig, Role.STREET_ADMIN, code)
    api = rig.live.client.get("/api/v1/ingest/dead-letters").json()
    assert [(c["identity"], c["count"]) for c in api["by_device"]] == [("imei:861000000000001", 2)]


def test_roles_without_device_read_are_refused(rig: Rig) -> None:
    login(rig, Role.PROVIDER_ADMIN)
    assert rig.live.client.get("/api/v1/ingest/dead-letters").status_code == 403
