"""Order, dispatch and visit pages: status per role, scope, CSRF, one-tap idempotency, a visit."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, make_caregiver, make_district
from yiyang.orders.models import ServiceOrder
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')


@dataclass
class World:
    """A served district with one account per role that the pages care about."""

    d: District
    staff: Staff
    other_staff: Staff
    users: dict[str, UserAccount]


@pytest.fixture
def world(db: Session) -> World:
    d = make_district(db)
    staff = make_caregiver(db, d.f_a1, name="赵丽")
    other = make_caregiver(db, d.f_b1, name="孙敏")
    users = {
        "family": make_user(db, Role.FAMILY, elder=d.elder)[0],
        "caregiver": make_user(db, Role.CAREGIVER, staff_id=staff.id)[0],
        "caregiver2": make_user(db, Role.CAREGIVER, staff_id=other.id)[0],
        "provider": make_user(db, Role.PROVIDER_ADMIN, provider=d.p1)[0],
        "provider2": make_user(db, Role.PROVIDER_ADMIN, provider=d.p3)[0],
        "admin": make_user(db, Role.DISTRICT_ADMIN)[0],
        "operator": make_user(db, Role.OPERATOR)[0],
    }
    return World(d, staff, other, users)


def login(client: TestClient, user: UserAccount, page: str = "/account/password") -> str:
    """Log in through the form and return the CSRF token of the session."""
    client.cookies.clear()
    resp = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text
    found = CSRF.search(client.get(page).text)
    assert found
    return found.group(1)


def place(client: TestClient, world: World) -> tuple[int, str, str]:
    """As the family: pick bathing, tomorrow afternoon, confirm; returns (order id, csrf, key)."""
    csrf = login(client, world.users["family"], "/m/order")
    page = client.get("/m/order/bath_home", params={"day": "tomorrow", "slot": "afternoon"})
    assert page.status_code == 200
    assert 'data-testid="quote"' in page.text
    key = KEY.search(page.text)
    assert key
    form = {
        "csrf_token": csrf, "idempotency_key": key.group(1), "item_code": "bath_home",
        "day": "tomorrow", "slot": "afternoon", "at": "",
    }  # fmt: skip
    resp = client.post("/m/order", data=form, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    return int(resp.headers["location"].rsplit("/", 1)[1]), csrf, key.group(1)


def test_one_tap_shows_tiles_and_quote(client: TestClient, world: World) -> None:
    login(client, world.users["family"], "/m/order")
    tiles = client.get("/m/order")
    assert tiles.status_code == 200
    assert 'data-testid="tile-bath_home"' in tiles.text
    picker = client.get("/m/order/bath_home")
    assert 'data-testid="quote-hint"' in picker.text
    fragment = client.get(
        "/m/order/bath_home?day=tomorrow&slot=afternoon",
        headers={"HX-Request": "true", "HX-Target": "quote"},
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'data-testid="quote-price"' in fragment.text
    assert "¥50.00" in fragment.text


def test_same_idempotency_key_twice_creates_one_order(
    client: TestClient, db: Session, world: World
) -> None:
    order_id, csrf, key = place(client, world)
    again = client.post(
        "/m/order",
        data={
            "csrf_token": csrf,
            "idempotency_key": key,
            "item_code": "bath_home",
            "day": "tomorrow",
            "slot": "afternoon",
        },
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert again.headers["location"] == f"/m/orders/{order_id}"
    count = db.scalar(select(func.count()).select_from(ServiceOrder))
    assert count == 1
    status = client.get(f"/m/orders/{order_id}")
    assert status.status_code == 200 and 'data-testid="order-status"' in status.text


def test_post_without_csrf_token_is_refused(client: TestClient, db: Session, world: World) -> None:
    login(client, world.users["family"], "/m/order")
    resp = client.post(
        "/m/order",
        data={"item_code": "bath_home", "day": "tomorrow", "slot": "afternoon"},
        follow_redirects=False,
    )
    assert resp.status_code == 403
    assert db.scalar(select(func.count()).select_from(ServiceOrder)) == 0


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("family", "/m/order", 200),
        ("family", "/m/orders", 200),
        ("family", "/dispatch/queue", 403),
        ("family", "/orders/new", 200),
        ("caregiver", "/m/visits", 200),
        ("caregiver", "/m/visits?day=tomorrow", 200),
        ("caregiver", "/m/order", 403),
        ("caregiver", "/dispatch/queue", 403),
        ("caregiver", "/orders/new", 403),
        ("provider", "/orders", 200),
        ("provider", "/dispatch/queue", 403),
        ("provider", "/m/visits", 403),
        ("operator", "/orders", 200),
        ("operator", "/orders/new", 200),
        ("operator", "/dispatch/queue", 200),
        ("admin", "/orders", 200),
        ("admin", "/dispatch/queue", 200),
        ("admin", "/m/order", 422),
    ],
)
def test_page_status_per_role(
    client: TestClient, world: World, who: str, path: str, status: int
) -> None:
    login(client, world.users[who])
    assert client.get(path).status_code == status


def test_anonymous_is_sent_to_login(client: TestClient, world: World) -> None:
    resp = client.get("/m/visits", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


def test_provider_lists_only_its_orders(client: TestClient, db: Session, world: World) -> None:
    order_id, _, _ = place(client, world)
    order = db.get(ServiceOrder, order_id)
    assert order is not None and order.provider_id == world.d.p1.id
    login(client, world.users["provider"])
    mine = client.get("/orders")
    assert f'data-order="{order_id}"' in mine.text
    assert client.get(f"/orders/{order_id}").status_code == 200
    login(client, world.users["provider2"])
    theirs = client.get("/orders")
    assert f'data-order="{order_id}"' not in theirs.text
    assert client.get(f"/orders/{order_id}").status_code == 404


def test_visit_through_the_pages(
    client: TestClient, db: Session, world: World, clock: FakeClock
) -> None:
    order_id, _, _ = place(client, world)
    csrf = login(client, world.users["provider"])
    detail = client.get(f"/orders/{order_id}")
    assert 'data-testid="act-org_accept"' in detail.text
    resp = client.post(
        f"/orders/{order_id}/act",
        data={"csrf_token": csrf, "event": "org_accept"},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text

    # Another caregiver cannot even open the visit page.
    login(client, world.users["caregiver2"])
    assert client.get(f"/m/visits/{order_id}").status_code == 404

    csrf = login(client, world.users["caregiver"], "/m/visits")
    day = client.get("/m/visits?day=tomorrow")
    assert f'data-order="{order_id}"' in day.text and 'data-testid="accept"' in day.text
    assert "geo:" in day.text
    for action, data in (
        ("answer", {"accept": "1"}),
        ("depart", {}),
        (
            "check-in",
            {"lat": str(world.d.elder.lat), "lon": str(world.d.elder.lon), "accuracy_m": "12"},
        ),
    ):
        resp = client.post(
            f"/m/visits/{order_id}/{action}",
            data={"csrf_token": csrf} | data,
            follow_redirects=False,
        )
        assert resp.status_code == 303, resp.text
    clock.advance(minutes=61)
    # A page session idle for 30 minutes ends (YIYANG_SESSION_IDLE_MINUTES): sign in again.
    csrf = login(client, world.users["caregiver"], "/m/visits")
    resp = client.post(
        f"/m/visits/{order_id}/check-out",
        data={"csrf_token": csrf, "lat": "34.6", "lon": "113.4", "accuracy_m": "10"},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    page = client.get(f"/m/visits/{order_id}")
    assert 'data-testid="check_out-flag"' in page.text  # flagged, not blocked

    csrf = login(client, world.users["family"], f"/m/orders/{order_id}")
    rate = client.post(
        f"/m/orders/{order_id}/rate",
        data={"csrf_token": csrf, "score": "5", "comment": "很好"},
        follow_redirects=False,
    )
    assert rate.status_code == 303, rate.text
    assert 'data-testid="rating-shown"' in client.get(f"/m/orders/{order_id}").text

    login(client, world.users["admin"])
    detail = client.get(f"/orders/{order_id}")
    events = re.findall(r'data-testid="timeline-row" data-event="([a-z_]+)"', detail.text)
    assert events == [
        "create", "price", "offer", "org_accept", "assign", "caregiver_accept", "depart",
        "check_in", "check_out", "complete", "confirm",
    ]  # fmt: skip
