"""Visits through the JSON API: the caregiver's day, bad inputs, confirmation, EVV and settlement."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import make_caregiver, make_policy
from tests.visits.scene import (
    SETTINGS,
    Scene,
    deliver,
    home,
    make_scene,
    metres_north,
    place_order,
)
from yiyang.dispatch import service as dispatch_service
from yiyang.orders.models import ServiceOrder
from yiyang.security.roles import Role
from yiyang.visits import rules, service
from yiyang.visits.models import Visit
from yiyang.visits.schemas import OfferAnswer


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def gps_body(point: tuple[float, float], accuracy: float = 10) -> dict[str, object]:
    return {"method": "gps", "position": {"lat": point[0], "lon": point[1], "accuracy_m": accuracy}}


def test_caregiver_day_and_bad_inputs(client: TestClient, db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    order = scene.order
    headers = auth(client, scene.carer_user.username)
    day = order.service_date.isoformat()
    mine = client.get("/api/v1/visits/mine", params={"date": day}, headers=headers)
    assert mine.status_code == 200, mine.text
    assert [v["order_id"] for v in mine.json()] == [order.id]
    # check-out before check-in
    resp = client.post(f"/api/v1/visits/{order.id}/check-out", json={}, headers=headers)
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_checked_in"
    # someone else's visit
    other = make_caregiver(db, scene.d.f_a1)
    other_user, _ = make_user(db, Role.CAREGIVER, provider=scene.d.p1, staff_id=other.id)
    resp = client.post(
        f"/api/v1/visits/{order.id}/check-in", json=gps_body(home(scene)),
        headers=auth(client, other_user.username),
    )  # fmt: skip
    assert resp.status_code == 404
    # a QR code that is not this elder's card
    resp = client.post(
        f"/api/v1/visits/{order.id}/check-in", json={"method": "qr", "qr_code": "E9.bad"},
        headers=headers,
    )  # fmt: skip
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "qr_code"
    # outside the geofence: accepted and flagged
    clock.now = (order.planned_start_at or order.window_start_at) - timedelta(minutes=1)
    resp = client.post(
        f"/api/v1/visits/{order.id}/check-in",
        json=gps_body(metres_north(home(scene), 500), accuracy=30), headers=headers,
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "checked_in"
    assert body["check_in"]["flag"] == "outside_geofence"
    assert 490 < body["check_in"]["distance_m"] < 510 and body["check_in"]["accuracy_m"] == 30
    # the call centre sees the geofence alert
    op_user, _ = make_user(db, Role.OPERATOR)
    op_headers = auth(client, op_user.username)
    alerts = client.get("/api/v1/visits/alerts", headers=op_headers).json()["items"]
    assert [(a["order_id"], a["kind"]) for a in alerts] == [(order.id, "geofence")]
    ack_url = f"/api/v1/visits/alerts/{alerts[0]['id']}/acknowledge"
    ack = client.post(ack_url, json={"note": "  "}, headers=op_headers)
    assert ack.status_code == 422 and ack.json()["error"]["field"] == "note"
    ack = client.post(ack_url, json={"note": "called the caregiver"}, headers=op_headers)
    assert ack.status_code == 200 and ack.json()["acknowledged_at"] is not None
    # a short visit without a reason, then with one
    clock.advance(minutes=10)
    resp = client.post(f"/api/v1/visits/{order.id}/check-out", json={}, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["error"]["problems"][0]["field"] == "short_reason"
    resp = client.post(
        f"/api/v1/visits/{order.id}/check-out",
        json={"short_reason": "other_with_note", "note": "elder went to hospital"},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "completed" and resp.json()["duration_min"] == 10


def test_corrections_over_http(client: TestClient, db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    admin_user, _ = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    headers = auth(client, admin_user.username)
    at = (scene.order.planned_start_at or scene.order.window_start_at) + timedelta(minutes=3)
    clock.now = at + timedelta(minutes=45)
    url = f"/api/v1/visits/{scene.order.id}/corrections"
    resp = client.post(
        url, json={"field_name": "check_in_at", "value": at.isoformat()}, headers=headers
    )
    assert resp.status_code == 422 and resp.json()["error"]["problems"][0]["field"] == "reason"
    assert db.scalar(select(Visit.check_in_at).where(Visit.order_id == scene.order.id)) is None
    resp = client.post(
        url, json={"field_name": "check_in_at", "value": at.isoformat(), "reason": "device_failure"},
        headers=headers,
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["manual"] is True and body["check_in"]["manual"] is True
    assert body["corrections"][0]["reason_code"] == "device_failure"
    carer_headers = auth(client, scene.carer_user.username)
    resp = client.post(
        url, json={"field_name": "check_in_at", "value": at.isoformat(), "reason": "device_failure"},
        headers=carer_headers,
    )  # fmt: skip
    assert resp.status_code == 403


def test_confirm_only_by_own_family(client: TestClient, db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    deliver(db, scene, scene.order, scene.carer, clock)
    stranger = make_elder(db, scene.d.tree.comm_a1, name="别人家")
    other_family, _ = make_user(db, Role.FAMILY, elder=stranger)
    url = f"/api/v1/orders/{scene.order.id}/confirm"
    resp = client.post(url, json={"score": 1}, headers=auth(client, other_family.username))
    assert resp.status_code == 404
    family, _ = make_user(db, Role.FAMILY, elder=scene.d.elder)
    headers = auth(client, family.username)
    assert client.post(url, json={"score": 9}, headers=headers).status_code == 422
    resp = client.post(url, json={"score": 5, "comment": "谢谢"}, headers=headers)
    assert resp.status_code == 201, resp.text
    assert client.post(url, json={"score": 5}, headers=headers).status_code == 409
    resp = client.post(
        f"/api/v1/orders/{scene.order.id}/complaints",
        json={"category": "quality", "text": "水太凉"}, headers=headers,
    )  # fmt: skip
    assert resp.status_code == 201
    detail = client.get(f"/api/v1/visits/{scene.order.id}", headers=headers).json()
    assert detail["rating_score"] == 5 and detail["status"] == "confirmed"


def test_card_code_and_qr_check_in(client: TestClient, db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    staff_user, _ = make_user(db, Role.COMMUNITY_STAFF, area=scene.d.tree.comm_a1)
    resp = client.get(
        f"/api/v1/visits/card-code/{scene.d.elder.id}", headers=auth(client, staff_user.username)
    )
    assert resp.status_code == 200
    code = resp.json()["code"]
    assert rules.card_code_valid(code, scene.d.elder.id, "test-secret")
    resp = client.post(
        f"/api/v1/visits/{scene.order.id}/check-in", json={"method": "qr", "qr_code": code},
        headers=auth(client, scene.carer_user.username),
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert resp.json()["check_in"]["method"] == "qr" and resp.json()["check_in"]["flag"] is None


def _two_providers_delivered(db: Session, clock: FakeClock) -> tuple[Scene, list[ServiceOrder]]:
    """Three delivered orders: two by provider 1 (80 % subsidised), one by provider 3 by hand."""
    make_policy(db, share_percent=80)
    scene = make_scene(db, clock)
    second = place_order(db, scene.d, clock, scene.operator, hours=5)
    dispatch_service.act(
        db, scene.provider_admin, second.id, "org_accept", now=clock.now, settings=SETTINGS
    )
    service.answer_offer(
        db, scene.carer, second.id, OfferAnswer(accept=True), now=clock.now, settings=SETTINGS
    )
    far = make_caregiver(db, scene.d.f_b1, name="远方")
    _, far_carer = make_user(db, Role.CAREGIVER, provider=scene.d.p3, staff_id=far.id)
    third = place_order(db, scene.d, clock, scene.operator, hours=8)
    dispatch_service.assign(
        db,
        scene.operator,
        third.id,
        far.id,
        now=clock.now,
        reason="elder asked for 远方",
        settings=SETTINGS,
    )
    service.answer_offer(
        db, far_carer, third.id, OfferAnswer(accept=True), now=clock.now, settings=SETTINGS
    )
    orders = [scene.order, second, third]
    for order, carer in zip(orders, [scene.carer, scene.carer, far_carer], strict=True):
        deliver(db, scene, order, carer, clock)
        assert order.status == "completed"
    return scene, orders


def test_evv_export_has_the_six_facts(client: TestClient, db: Session, clock: FakeClock) -> None:
    scene, orders = _two_providers_delivered(db, clock)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    headers = auth(client, admin.username)
    day = orders[0].service_date.isoformat()
    params = {"from": day, "to": day, "format": "csv"}
    resp = client.get("/api/v1/visits/evv-export", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    assert "attachment" in resp.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert [int(r["order_id"]) for r in rows] == [o.id for o in orders]
    first = rows[0]
    visit = db.scalar(select(Visit).where(Visit.order_id == orders[0].id))
    assert visit is not None and visit.check_in_at and visit.check_out_at
    assert first["service_code"] == "bath_home"  # service
    assert int(first["elder_id"]) == scene.d.elder.id and first["elder_name"]  # elder
    assert first["visit_date"] == day  # date
    assert first["place"] and float(first["lat"]) and float(first["lon"])  # place
    assert int(first["caregiver_id"]) == scene.caregiver.id  # caregiver
    assert first["start_at"] and first["end_at"] and first["complete"] == "True"  # times
    resp = client.get(
        "/api/v1/visits/evv-export", params={**params, "format": "xlsx"}, headers=headers
    )
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(rules.EVV_HEADERS) and len(values) == 4
    # scope: provider 3's admin sees only its own visit; a caregiver may not export
    p3_user, _ = make_user(db, Role.PROVIDER_ADMIN, provider=scene.d.p3)
    resp = client.get(
        "/api/v1/visits/evv-export", params=params, headers=auth(client, p3_user.username)
    )
    assert [
        int(r["order_id"]) for r in csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig")))
    ] == [orders[2].id]
    resp = client.get(
        "/api/v1/visits/evv-export", params=params, headers=auth(client, scene.carer_user.username)
    )
    assert resp.status_code == 403
    bad = client.get(
        "/api/v1/visits/evv-export", params={**params, "from": "2026-12-01"}, headers=headers
    )
    assert bad.status_code == 422
