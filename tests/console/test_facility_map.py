"""The facilities map: facilities in scope with capacity and today's visits, filtered by kind,
street, room and use; a filter the page did not offer is a 422 naming it in words."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.visits.scene import Scene, make_scene
from tests.web.test_order_pages import login
from yiyang.registry.facilities.models import Facility
from yiyang.security.roles import Role


def drawn(page: str) -> Any:
    """The facilities map's data on the page."""
    found = re.search(r"data-map=\"facilities\" data-map-json='([^']*)'", page)
    assert found, "no facilities map"
    return json.loads(html.unescape(found.group(1)))


def names(client: TestClient, query: str = "") -> set[str]:
    """The facilities the map draws for a query."""
    page = client.get(f"/facilities/map{query}")
    assert page.status_code == 200, page.text
    return {f["name"] for f in drawn(page.text)["facilities"]}


@pytest.fixture
def scene(db: Session, clock: FakeClock) -> Scene:
    """The visit scene: centres a1 (with today's visit), a2 (street a) and b1 (street b)."""
    scene = make_scene(db, clock)
    centres = (scene.d.f_a1, scene.d.f_a2, scene.d.f_b1)
    for f, (beds, day, meals, kind) in zip(
        centres, ((0, 30, 80, "day_care_centre"), (120, 0, 0, "institution"),
                  (0, 10, 200, "meal_point")), strict=True,
    ):  # fmt: skip
        f.beds_long_stay, f.day_places, f.meals_per_day, f.kind = beds, day, meals, kind
    db.flush()
    return scene


def test_the_map_draws_every_facility_in_scope_with_its_room_and_visits(
    client: TestClient, db: Session, scene: Scene
) -> None:
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin)
    page = client.get("/facilities/map?lang=en")
    assert page.status_code == 200
    data = drawn(page.text)
    by_name = {f["name"]: f for f in data["facilities"]}
    a1 = by_name[scene.d.f_a1.name]
    assert (a1["lat"], a1["lon"], a1["kind"]) == (
        scene.d.f_a1.lat,
        scene.d.f_a1.lon,
        "day_care_centre",
    )
    assert "Visits today 1" in a1["tip"] and "day places 30" in a1["tip"]
    assert "Visits today 0" in by_name[scene.d.f_b1.name]["tip"]
    assert by_name[scene.d.f_a2.name]["size"] > by_name[scene.d.f_b1.name]["size"]  # 120 beds
    assert data["kinds"]["meal_point"] == "Meal point"
    assert "<script" not in page.text.split('data-map="facilities"')[1].split("</div>")[0]
    assert len(re.findall(r'data-testid="map-row"', page.text)) == len(by_name)


def test_the_filters_narrow_the_map(client: TestClient, db: Session, scene: Scene) -> None:
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin)
    a1, a2, b1 = scene.d.f_a1.name, scene.d.f_a2.name, scene.d.f_b1.name
    assert {a1, a2, b1} <= names(client)
    assert names(client, "?kind=meal_point") == {b1}
    assert names(client, f"?street_code={scene.d.tree.street_a.code}") == {a1, a2}
    assert names(client, "?offers=beds") == {a2}
    assert names(client, "?offers=day_places&min_capacity=20") == {a1}
    assert names(client, "?min_capacity=100") == {a2, b1}  # any kind of room
    assert names(client, "?use=busy") == {a1}
    assert names(client, "?use=idle") == {a2, b1}
    assert names(client, "?kind=institution&use=busy") == set()


def test_closed_facilities_stay_off_the_map(client: TestClient, db: Session, scene: Scene) -> None:
    db.get_one(Facility, scene.d.f_b1.id).active = False
    db.flush()
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin)
    assert scene.d.f_b1.name not in names(client)


def test_a_street_admin_sees_only_their_street(
    client: TestClient, db: Session, scene: Scene
) -> None:
    street_a, _ = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    login(client, street_a)
    assert names(client) == {scene.d.f_a1.name, scene.d.f_a2.name}
    # asking for the other street by its code finds nothing rather than showing it
    assert names(client, f"?street_code={scene.d.tree.street_b.code}") == set()


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("?kind=castle", "Kind"),
        ("?street_code=beilin", "Street"),
        ("?offers=parking", "Room for"),
        ("?min_capacity=-3", "At least"),
        ("?min_capacity=lots", "At least"),
        ("?use=sometimes", "Visits today"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(
    client: TestClient, db: Session, scene: Scene, query: str, word: str
) -> None:
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin)
    page = client.get(f"/facilities/map{query}&lang=en")
    assert page.status_code == 422
    error = re.search(r'data-testid="map-error">.*?<p>(.*?)</p>', page.text, re.S)
    assert error and f"Check this filter: {word}." in html.unescape(error.group(1))
    assert 'data-map="facilities"' not in page.text


def test_roles_without_facilities_may_not_open_the_map(
    client: TestClient, db: Session, scene: Scene
) -> None:
    login(client, scene.carer_user)
    assert client.get("/facilities/map").status_code == 403
