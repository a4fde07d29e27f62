"""Order API: quote, create with Idempotency-Key, read with timeline and decisions, events, scope."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from tests.orders.builders import make_caregiver, make_district, window
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_family_quotes_orders_and_follows_dispatch(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    make_caregiver(db, d.f_a1)
    user, _ = make_user(db, Role.FAMILY, elder=d.elder)
    h = auth(client, user.username)
    start, end = window(clock.now)
    body = {
        "elder_id": d.elder.id, "item_code": "bath_home",
        "window_start": start.isoformat(), "window_end": end.isoformat(),
    }  # fmt: skip
    q = client.post("/api/v1/orders/quote", json=body, headers=h)
    assert q.status_code == 200, q.text
    assert (q.json()["price_fen"], q.json()["elder_fen"]) == (5000, 5000)
    r1 = client.post("/api/v1/orders", json=body, headers={**h, "Idempotency-Key": "k1"})
    r2 = client.post("/api/v1/orders", json=body, headers={**h, "Idempotency-Key": "k1"})
    assert r1.status_code == r2.status_code == 201, r1.text
    order = r1.json()
    assert r2.json()["id"] == order["id"]
    assert order["status"] == "offered"
    assert [e["event"] for e in order["timeline"]] == ["create", "price", "offer"]
    # The family never sees dispatch weigh caregivers, nor whom it is offered to before one
    # accepts (tests/security/test_masking_matrix.py has every role).
    assert order["decisions"] == [] and order["staff_id"] is None and order["staff_name"] is None
    listed = client.get("/api/v1/orders", headers=h).json()
    assert listed["total"] == 1
    bad = client.post(f"/api/v1/orders/{order['id']}/events/check_in", headers=h, json={})
    assert bad.status_code == 403
    ok = client.post(
        f"/api/v1/orders/{order['id']}/events/cancel", headers=h, json={"reason": "not needed"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/orders/{order['id']}/events/cancel", headers=h, json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"


def test_bad_inputs_name_the_field(client: TestClient, db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    user, _ = make_user(db, Role.OPERATOR)
    h = auth(client, user.username)
    start, end = window(clock.now)
    resp = client.post(
        "/api/v1/orders",
        json={
            "elder_id": d.elder.id,
            "item_code": "bath_home",
            "window_start": end.isoformat(),
            "window_end": start.isoformat(),
        },
        headers=h,
    )
    assert resp.status_code == 422
    assert "window_end" in resp.text
    assert client.get("/api/v1/orders", headers=h).json()["total"] == 0


def test_provider_sees_only_its_orders_and_queue_is_for_dispatchers(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    make_caregiver(db, d.f_a1)
    op, _ = make_user(db, Role.OPERATOR)
    start, end = window(clock.now)
    body = {
        "elder_id": d.elder.id, "item_code": "bath_home",
        "window_start": start.isoformat(), "window_end": end.isoformat(),
    }  # fmt: skip
    order = client.post("/api/v1/orders", json=body, headers=auth(client, op.username)).json()
    p1, _ = make_user(db, Role.PROVIDER_ADMIN, provider=d.p1)
    p2, _ = make_user(db, Role.PROVIDER_ADMIN, provider=d.p2)
    h1, h2 = auth(client, p1.username), auth(client, p2.username)
    assert client.get("/api/v1/orders", headers=h1).json()["total"] == 1
    assert client.get("/api/v1/orders", headers=h2).json()["total"] == 0
    assert client.get(f"/api/v1/orders/{order['id']}", headers=h2).status_code == 404
    assert client.get("/api/v1/dispatch/queue", headers=h1).status_code == 403
    accepted = client.post(f"/api/v1/orders/{order['id']}/events/org_accept", headers=h1)
    assert accepted.status_code == 200 and accepted.json()["status"] == "assigned"


def test_dispatcher_lists_candidates_with_reasons_in_their_language(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    free = make_caregiver(db, d.f_a1)
    off = make_caregiver(db, d.f_a2, pattern={})  # not working that day
    make_caregiver(db, d.f_b1, skills={"cleaning": 3})  # no skill the bath needs: not listed
    operator, _ = make_user(db, Role.OPERATOR)
    family, _ = make_user(db, Role.FAMILY, elder=d.elder)
    h = auth(client, operator.username)
    start, end = window(clock.now)
    body = {
        "elder_id": d.elder.id, "item_code": "bath_home",
        "window_start": start.isoformat(), "window_end": end.isoformat(),
    }  # fmt: skip
    order = client.post("/api/v1/orders", json=body, headers=h).json()
    resp = client.get(
        f"/api/v1/orders/{order['id']}/candidates", headers={**h, "Accept-Language": "en"}
    )
    assert resp.status_code == 200, resp.text
    rows = {r["staff_id"]: r for r in resp.json()}
    assert list(rows) == [free.id, off.id]  # the free one first
    assert rows[free.id]["feasible"] and rows[free.id]["current"] and rows[free.id]["start"]
    assert rows[off.id]["reason"] == "shift" and rows[off.id]["reason_label"] == "Not on shift then"
    denied = client.get(
        f"/api/v1/orders/{order['id']}/candidates", headers=auth(client, family.username)
    )
    assert denied.status_code == 403
