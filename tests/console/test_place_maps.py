"""Maps where a person looks for a place: the elder's home and geofence, an order's elder,
centre and the caregiver's route that day (only the visits the reader may see), the alarm
screen's elder card and a facility's page. The data sits in JSON blocks, never in code."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import INSIDE_2, make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import window
from tests.visits.scene import SETTINGS, Scene, accept, make_scene
from tests.web.test_order_pages import login
from yiyang.dispatch import service as dispatch_service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role


def script_json(page: str, block_id: str) -> Any:
    """The JSON of a <script type="application/json" id=...> block."""
    found = re.search(
        rf'<script type="application/json" id="{block_id}">(.*?)</script>', page, re.S
    )
    assert found, f"no {block_id} block"
    return json.loads(found.group(1))


def attr_json(page: str, testid: str) -> Any:
    """The data-map-json of the element with this test id."""
    found = re.search(rf"data-map-json='([^']*)' data-testid=\"{testid}\"", page)
    assert found, f"no {testid} map"
    return json.loads(html.unescape(found.group(1)))


def _order_for(
    db: Session, scene: Scene, clock: FakeClock, elder: Elder, hours: float
) -> ServiceOrder:
    """Another order the scene's only caregiver takes the same day."""
    start, end = window(clock.now, hours=hours, length_min=60)
    order = dispatch_service.submit_order(
        db, scene.operator,
        OrderCreate(elder_id=elder.id, item_code="bath_home", window_start=start, window_end=end),
        now=clock.now, settings=SETTINGS,
    )  # fmt: skip
    assert order.staff_id == scene.caregiver.id
    accept(db, order, scene.provider_admin, scene.carer, clock.now)
    return order


def test_the_elder_page_rings_the_geofence(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    elder = db.get_one(Elder, scene.d.elder.id)
    elder.geofence_m = 220
    db.flush()
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin)
    page = client.get(f"/elders/{elder.id}?lang=en").text
    data = script_json(page, "elder-home-data")
    assert (data["lat"], data["lon"], data["fence_m"]) == (elder.lat, elder.lon, 220)
    assert data["fence_label"] == "Geofence: 220 m around the home"
    assert 'data-map="elder-home"' in page and "/static/maps.js" in page


def test_the_order_map_shows_home_centre_and_the_caregivers_day(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    neighbour = make_elder(db, scene.d.tree.comm_a1, name="李桂兰", phone="13800002222")
    _order_for(db, scene, clock, neighbour, hours=5)
    operator, _ = make_user(db, Role.OPERATOR)
    login(client, operator)
    page = client.get(f"/orders/{scene.order.id}?lang=en").text
    data = script_json(page, "order-map-data")
    kinds = {p["kind"]: p for p in data["places"]}
    assert kinds["home"]["label"] == scene.d.elder.name
    assert kinds["centre"]["label"] == scene.d.f_a1.name
    assert (kinds["centre"]["lat"], kinds["centre"]["lon"]) == (scene.d.f_a1.lat, scene.d.f_a1.lon)
    assert data["fence"]["m"] == scene.d.elder.geofence_m
    stops = data["route"]["stops"]
    assert len(stops) == 2 and data["route"]["name"] == "李娟's visits that day"
    assert stops[0]["label"].endswith(scene.d.elder.name)  # this order's stop names its elder
    assert neighbour.name not in stops[1]["label"]  # the others say when and what
    assert (stops[1]["lat"], stops[1]["lon"]) == (neighbour.lat, neighbour.lon)
    assert data["kinds"]["centre"] == "Serving centre"
    assert "2 visits that day" in page


def test_a_street_admin_sees_only_the_route_in_their_street(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    across = make_elder(db, scene.d.tree.comm_b1, name="赵凤英", lat_lon=INSIDE_2)
    _order_for(db, scene, clock, across, hours=5)
    street_a, _ = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    login(client, street_a)
    stops = script_json(client.get(f"/orders/{scene.order.id}").text, "order-map-data")
    assert "route" not in stops  # one visit in street a: no route drawn, the other is not shown
    assert str(across.lat) not in json.dumps(stops)
    operator, _ = make_user(db, Role.OPERATOR)
    login(client, operator)
    stops = script_json(client.get(f"/orders/{scene.order.id}").text, "order-map-data")
    assert len(stops["route"]["stops"]) == 2


def test_before_anyone_serves_the_order_the_map_shows_the_home_only(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    elder = db.get_one(Elder, scene.d.elder.id)
    start, end = window(clock.now + timedelta(days=20), hours=2)
    waiting = ServiceOrder(
        elder_id=elder.id, item_id=scene.order.item_id, price_id=scene.order.price_id,
        channel="phone", status="created", window_start_at=start, window_end_at=end,
        service_date=start.date(), price_fen=100, government_fen=0, elder_fen=100,
        standard_minutes=60,
    )  # fmt: skip
    db.add(waiting)
    db.flush()
    operator, _ = make_user(db, Role.OPERATOR)
    login(client, operator)
    data = script_json(client.get(f"/orders/{waiting.id}").text, "order-map-data")
    assert [p["kind"] for p in data["places"]] == ["home"] and "route" not in data


def test_a_facility_page_marks_the_facility(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin)
    page = client.get(f"/facilities/{scene.d.f_b1.id}").text
    data = script_json(page, "facility-map-data")
    assert data["places"] == [
        {"lat": scene.d.f_b1.lat, "lon": scene.d.f_b1.lon, "kind": "centre",
         "label": scene.d.f_b1.name}
    ]  # fmt: skip
    assert f"/facilities/map?street_code={scene.d.tree.street_b.code}" in page
