"""Role by role, who sees an elder's mobility and health conditions (docs/privacy.md).

The masking world's elder walks with a frame and has diabetes; 李娟 of provider 1 is the
caregiver of her bath today. Health data is shown to those who care for or respond to her
(the area's staff, the call centre, the assessor, her own caregiver, herself and her
family) and to nobody else: not to provider admins, not to the auditor (not even in the
audit trail), not to a caregiver who has no visit with her.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from tests.orders.builders import make_caregiver
from tests.security.masking_world import (
    OTHER_PROVIDER_ADMIN,
    USER_PHONE,
    World,
    api_headers,
    make_world,
)
from yiyang.registry.elders import service as elder_service
from yiyang.registry.elders.io_columns import COLUMNS
from yiyang.registry.elders.schemas import ElderUpdate
from yiyang.security.roles import Role

OTHER = OTHER_PROVIDER_ADMIN
CONDITIONS = "糖尿病；2024年髋关节置换；听力差"
SHOWN, GONE = "shown", "gone"


@pytest.fixture
def world(db: Session, clock: FakeClock) -> World:
    world = make_world(db, clock)
    district = world.subjects[Role.DISTRICT_ADMIN.value]
    elder_service.update_elder(
        db, district, world.elder.id,
        ElderUpdate(mobility="walking_aid", conditions=CONDITIONS),
        now=clock.now, district_code=world.d.tree.district.code,
    )  # fmt: skip
    db.flush()
    return world


@pytest.fixture
def headers(client: TestClient, world: World) -> dict[str, dict[str, str]]:
    return api_headers(client, world)


def test_full_elder_record(client: TestClient, world: World, headers: Any) -> None:
    seen = {}
    for key, header in headers.items():
        resp = client.get(f"/api/v1/elders/{world.elder.id}", headers=header)
        if resp.status_code != 200:
            seen[key] = (resp.status_code,)
            continue
        body = resp.json()
        assert (body["mobility"] is None) == (body["conditions"] is None)
        seen[key] = (200, SHOWN if body["conditions"] == CONDITIONS else GONE)
        if body["mobility"] is not None:
            assert body["mobility"] == "walking_aid"
    assert seen == {
        "district_admin": (200, SHOWN),
        "street_admin": (200, SHOWN),
        "community_staff": (200, SHOWN),
        "provider_admin": (403,),
        "caregiver": (403,),
        "operator": (200, SHOWN),
        "supervisor": (200, SHOWN),
        "assessor": (200, SHOWN),
        "elder": (403,),
        "family": (403,),
        "auditor": (200, GONE),
        OTHER: (403,),
    }


def test_export_masks_health_for_the_auditor(
    client: TestClient, world: World, headers: Any
) -> None:
    keys = [c.key for c in COLUMNS]
    seen = {}
    for key in ("district_admin", "community_staff", "auditor"):
        resp = client.get("/api/v1/elders/export", params={"format": "csv"}, headers=headers[key])
        assert resp.status_code == 200, resp.text
        rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
        row = next(r for r in rows[1:] if r[keys.index("name")] == world.elder.name)
        seen[key] = (row[keys.index("mobility")], row[keys.index("conditions")])
    assert seen == {
        "district_admin": ("借助拐杖或助行器", CONDITIONS),  # the export's Chinese words
        "community_staff": ("借助拐杖或助行器", CONDITIONS),
        "auditor": ("", ""),
    }


def test_audit_trail_masks_conditions_for_the_auditor(
    client: TestClient, world: World, headers: Any
) -> None:
    params = {"entity": "elder", "entity_id": str(world.elder.id), "action": "update"}
    seen = {}
    for key in ("district_admin", "auditor"):
        resp = client.get("/api/v1/audit", params=params, headers=headers[key])
        assert resp.status_code == 200, resp.text
        row = next(i for i in resp.json()["items"] if "conditions" in (i["after"] or {}))
        seen[key] = (row["after"]["conditions"], row["after"]["mobility"])
    assert seen == {"district_admin": (CONDITIONS, "walking_aid"), "auditor": (None, None)}


def _login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    resp = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text


def test_elder_page(client: TestClient, world: World) -> None:
    seen = {}
    for key in ("district_admin", "operator", "auditor", "provider_admin", "caregiver"):
        _login(client, world.users[key].username)
        page = client.get(f"/elders/{world.elder.id}?lang=en")
        assert USER_PHONE not in page.text and page.status_code < 500
        if page.status_code != 200:
            seen[key] = (page.status_code,)
            continue
        shown = CONDITIONS in page.text and "Walks with a stick or frame" in page.text
        hidden_note = "shown only to those who care for or respond" in page.text
        assert shown != hidden_note
        seen[key] = (200, SHOWN if shown else GONE)
    assert seen == {
        "district_admin": (200, SHOWN),
        "operator": (200, SHOWN),
        "auditor": (200, GONE),
        "provider_admin": (403,),
        "caregiver": (403,),
    }


def test_the_caregiver_of_the_bath_sees_them_on_her_day(
    client: TestClient, db: Session, world: World
) -> None:
    _login(client, world.users["caregiver"].username)
    page = client.get("/m/today?lang=en")
    assert page.status_code == 200
    assert "Before you bathe or move the elder" in page.text
    assert "Walks with a stick or frame" in page.text and CONDITIONS in page.text


def test_the_caregiver_sees_them_for_tomorrow_too(
    client: TestClient, db: Session, world: World, clock: FakeClock
) -> None:
    # Her assigned visit, looked at the day before: the phone waits for the day, the care
    # notes (and so mobility and conditions) do not.
    clock.advance(days=-1)
    _login(client, world.users["caregiver"].username)
    page = client.get("/m/today?day=tomorrow&lang=en")
    assert page.status_code == 200
    assert CONDITIONS in page.text


def test_a_caregiver_without_a_visit_to_her_sees_nothing_of_her(
    client: TestClient, db: Session, world: World
) -> None:
    stranger = make_caregiver(db, world.d.f_a1, name="赵敏")
    user, _ = make_user(db, Role.CAREGIVER, provider=world.d.p1, staff_id=stranger.id)
    db.flush()
    _login(client, user.username)
    page = client.get("/m/today?lang=en")
    assert page.status_code == 200
    assert CONDITIONS not in page.text and world.elder.name not in page.text


def test_family_sees_the_stay_away_reason_of_their_elder(
    client: TestClient, world: World, headers: Any, clock: FakeClock
) -> None:
    until = (clock.now + timedelta(days=5)).isoformat()
    body = {"until": until, "reason": "hospital", "note": "第五病房"}
    resp = client.post(
        f"/api/v1/elders/{world.elder.id}/away", json=body, headers=headers["family"]
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["away"]["reason"] == "hospital"
    assert resp.json()["away"]["note"] == "第五病房"
    audit = client.get(
        "/api/v1/audit",
        params={"entity": "elder", "entity_id": str(world.elder.id), "action": "elder.away"},
        headers=headers["auditor"],
    )
    assert audit.status_code == 200, audit.text
    (row,) = audit.json()["items"]
    assert row["after"]["away_reason"] is None and row["after"]["away_note"] is None
    assert row["after"]["away_until"] is not None


def test_the_pages_read_in_words(
    client: TestClient, db: Session, world: World, headers: Any, clock: FakeClock
) -> None:
    from tests.web.test_page_words import names_and_addresses
    from tests.web.text_scan import assert_words

    world.d.item.name_zh, world.d.item.name_en = "助浴", "Bathing at home"  # builders: codes
    db.flush()
    until = (clock.now + timedelta(days=5)).isoformat()
    body = {"until": until, "reason": "hospital", "note": "第五病房"}
    resp = client.post(
        f"/api/v1/elders/{world.elder.id}/away", json=body, headers=headers["community_staff"]
    )
    assert resp.status_code == 200, resp.text
    allowed = [*names_and_addresses(db), "410105", CONDITIONS, "第五病房"]
    pages = {
        "district_admin": [f"/elders/{world.elder.id}", f"/elders/{world.elder.id}/away"],
        "auditor": [f"/elders/{world.elder.id}"],
        "caregiver": ["/m/today"],
        "family": ["/m/home", f"/elders/{world.elder.id}/away"],
    }
    for key, paths in pages.items():
        _login(client, world.users[key].username)
        for path in paths:
            for locale in ("zh_CN", "en"):
                page = client.get(path, params={"lang": locale})
                assert page.status_code == 200, (key, path, page.text[:300])
                assert_words(page.text, locale, allowed)
