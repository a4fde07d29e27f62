"""Order list filters (API and page): each narrows the caller's scope and never widens it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, make_district, make_item, window
from yiyang.config import Settings
from yiyang.orders import service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role

SETTINGS = Settings(secret_key="x")
ROW = re.compile(r'data-testid="order-row" data-order="(\d+)"')


@dataclass
class Orders:
    """Four orders across both streets, with different services, channels, days and states."""

    d: District
    a1: ServiceOrder  # street A, community a1, bath, app, tomorrow, offered to p1
    a2: ServiceOrder  # street A, community a2, cleaning, phone, the day after, queued
    b1: ServiceOrder  # street B, community b1, bath, phone, tomorrow, caregiver accepted
    b1_later: ServiceOrder  # street B, community b1, bath, api, in three days, cancelled
    users: dict[str, UserAccount]


def _order(
    db: Session, d: District, clock: FakeClock, elder_id: int, days: int, **kw: object
) -> ServiceOrder:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    start, end = window(clock.now, hours=24 * days)
    data = OrderCreate(
        elder_id=elder_id,
        item_code=str(kw.pop("item_code", "bath_home")),
        window_start=start,
        window_end=end,
        channel=kw.pop("channel", "app"),  # type: ignore[arg-type]
    )
    order, _ = service.create_order(db, admin, data, now=clock.now, settings=SETTINGS)
    for name, value in kw.items():
        setattr(order, name, value)
    db.flush()
    return order


@pytest.fixture
def orders(db: Session, clock: FakeClock) -> Orders:
    d = make_district(db)
    make_item(db, "cleaning", price_fen=4000, skills=("cleaning",))
    e_a2 = make_elder(db, d.tree.comm_a2, name="李桂兰")
    e_b1 = make_elder(db, d.tree.comm_b1, name="张建国")
    a1 = _order(db, d, clock, d.elder.id, 1, status="offered", provider_id=d.p1.id)
    a2 = _order(db, d, clock, e_a2.id, 2, item_code="cleaning", channel="phone", status="queued")
    b1 = _order(
        db, d, clock, e_b1.id, 1, channel="phone", status="caregiver_accepted",
        provider_id=d.p3.id,
    )  # fmt: skip
    b1_later = _order(db, d, clock, e_b1.id, 3, channel="api", status="cancelled")
    users = {
        "admin": make_user(db, Role.DISTRICT_ADMIN)[0],
        "street_a": make_user(db, Role.STREET_ADMIN, area=d.tree.street_a)[0],
        "community_b1": make_user(db, Role.COMMUNITY_STAFF, area=d.tree.comm_b1)[0],
        "provider1": make_user(db, Role.PROVIDER_ADMIN, provider=d.p1)[0],
    }
    return Orders(d, a1, a2, b1, b1_later, users)


def _token(client: TestClient, user: UserAccount) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _ids(client: TestClient, user: UserAccount, **params: object) -> set[int]:
    resp = client.get("/api/v1/orders", params=params, headers=_token(client, user))
    assert resp.status_code == 200, resp.text
    return {o["id"] for o in resp.json()["items"]}


def test_each_filter_narrows_the_district(client: TestClient, orders: Orders) -> None:
    o, admin = orders, orders.users["admin"]
    everything = {o.a1.id, o.a2.id, o.b1.id, o.b1_later.id}
    assert _ids(client, admin) == everything
    assert _ids(client, admin, street_code=o.d.tree.street_a.code) == {o.a1.id, o.a2.id}
    assert _ids(client, admin, community_code=o.d.tree.comm_b1.code) == {o.b1.id, o.b1_later.id}
    assert _ids(client, admin, street_code=o.d.tree.street_a.code,
                community_code=o.d.tree.comm_b1.code) == set()  # fmt: skip
    assert _ids(client, admin, status="queued") == {o.a2.id}
    assert _ids(client, admin, item_code="cleaning") == {o.a2.id}
    assert _ids(client, admin, channel="phone") == {o.a2.id, o.b1.id}
    assert _ids(client, admin, provider_id=o.d.p3.id) == {o.b1.id}
    tomorrow = o.a1.service_date
    assert _ids(client, admin, date=tomorrow.isoformat()) == {o.a1.id, o.b1.id}
    assert _ids(client, admin, date_from=(tomorrow + timedelta(days=1)).isoformat()) == {
        o.a2.id,
        o.b1_later.id,
    }
    assert _ids(client, admin, date_to=(tomorrow + timedelta(days=1)).isoformat()) == {
        o.a1.id,
        o.a2.id,
        o.b1.id,
    }
    # Open orders that no caregiver has accepted: offered and queued, not accepted or cancelled.
    assert _ids(client, admin, unassigned="true") == {o.a1.id, o.a2.id}
    assert _ids(client, admin, q="李桂兰") == {o.a2.id}
    assert _ids(client, admin, q="桂兰") == {o.a2.id}
    assert _ids(client, admin, q=str(o.b1.id)) == {o.b1.id}
    assert _ids(client, admin, q="nobody") == set()


def test_a_street_admin_cannot_widen_scope_with_a_filter(
    client: TestClient, orders: Orders
) -> None:
    o, street_a = orders, orders.users["street_a"]
    assert _ids(client, street_a) == {o.a1.id, o.a2.id}
    assert _ids(client, street_a, street_code=o.d.tree.street_b.code) == set()
    assert _ids(client, street_a, community_code=o.d.tree.comm_b1.code) == set()
    assert _ids(client, street_a, q=str(o.b1.id)) == set()  # another street's order number
    assert _ids(client, street_a, q="张建国") == set()
    resp = client.get(f"/api/v1/orders/{o.b1.id}", headers=_token(client, street_a))
    assert resp.status_code == 404
    community = orders.users["community_b1"]
    assert _ids(client, community, street_code=o.d.tree.street_a.code) == set()
    assert _ids(client, community) == {o.b1.id, o.b1_later.id}
    provider = orders.users["provider1"]
    assert _ids(client, provider, provider_id=o.d.p3.id) == set()
    assert _ids(client, provider, street_code=o.d.tree.street_a.code) == {o.a1.id}


def test_bad_filter_values_are_clear_errors_in_the_api(client: TestClient, orders: Orders) -> None:
    h = _token(client, orders.users["admin"])
    inverted = client.get(
        "/api/v1/orders", params={"date_from": "2026-11-30", "date_to": "2026-11-24"}, headers=h
    )
    assert inverted.status_code == 422
    assert inverted.json()["error"]["field"] == "date_to"
    for params in ({"status": "lost"}, {"channel": "fax"}, {"date_from": "soon"}):
        resp = client.get("/api/v1/orders", params=params, headers=h)
        assert resp.status_code == 422, params
        assert next(iter(params)) in resp.json()["error"]["problems"][0]["field"]


def _login(client: TestClient, user: UserAccount) -> None:
    client.cookies.clear()
    resp = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text


def _page_ids(client: TestClient, **params: str) -> set[int]:
    resp = client.get("/orders", params=params)
    assert resp.status_code == 200, resp.text
    return {int(x) for x in ROW.findall(resp.text)}


def test_list_page_filters_and_their_choices(client: TestClient, orders: Orders) -> None:
    o = orders
    _login(client, o.users["admin"])
    page = client.get("/orders").text
    filters = [
        "street",
        "community",
        "status",
        "service",
        "channel",
        "provider",
        "date-from",
        "unassigned",
    ]
    for name in filters:
        testid = f"filter-{name}"
        assert f'data-testid="{testid}"' in page, testid
    assert _page_ids(client, street_code=o.d.tree.street_b.code) == {o.b1.id, o.b1_later.id}
    assert _page_ids(client, unassigned="1", channel="phone") == {o.a2.id}
    assert _page_ids(client, q=str(o.a1.id)) == {o.a1.id}
    assert _page_ids(client, status="nonsense") == {o.a1.id, o.a2.id, o.b1.id, o.b1_later.id}
    fragment = client.get(
        "/orders",
        params={"item_code": "cleaning"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert "<html" not in fragment.text and fragment.headers["HX-Push-Url"].endswith(
        "item_code=cleaning"
    )
    inverted = client.get("/orders", params={"date_from": "2026-11-30", "date_to": "2026-11-24"})
    assert inverted.status_code == 200 and 'data-testid="filter-error"' in inverted.text


def test_list_page_offers_only_areas_in_scope(client: TestClient, orders: Orders) -> None:
    o = orders
    _login(client, o.users["street_a"])
    page = client.get("/orders").text
    assert 'data-testid="filter-street"' not in page  # one street: nothing to choose
    assert o.d.tree.comm_a2.code in page and o.d.tree.comm_b1.code not in page
    assert _page_ids(client) == {o.a1.id, o.a2.id}
    assert _page_ids(client, street_code=o.d.tree.street_b.code) == set()
    assert _page_ids(client, community_code=o.d.tree.comm_b1.code) == set()
    _login(client, o.users["community_b1"])
    page = client.get("/orders").text
    assert o.d.tree.comm_b1.code in page and o.d.tree.comm_b2.code not in page
    _login(client, o.users["provider1"])
    page = client.get("/orders").text
    assert 'data-testid="filter-provider"' not in page  # it sees only its own orders anyway
    assert _page_ids(client) == {o.a1.id}


def test_list_counts_up_to_its_cap_and_says_more_match(
    client: TestClient, orders: Orders, monkeypatch: pytest.MonkeyPatch
) -> None:
    o = orders
    _login(client, o.users["admin"])
    monkeypatch.setattr(service, "COUNT_CAP", 2)
    page = client.get("/orders", params={"lang": "en"}).text
    assert "More than 2 found" in page and "Page 1 of more than 1" in page
    assert 'data-total="2"' in page and 'rel="next"' in page
    street_a = client.get("/orders", params={"lang": "en", "street_code": o.d.tree.street_a.code})
    assert "2 found" in street_a.text and "More than" not in street_a.text
    _login(client, o.users["street_a"])  # the count stays within the scope
    assert 'data-total="2"' in client.get("/orders").text
