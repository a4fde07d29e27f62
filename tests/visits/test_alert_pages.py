"""The alert screen, its API, the order page's alerts and the navigation badge over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.visits.scene import make_two_streets
from tests.visits.test_api import auth
from tests.web.test_order_pages import login
from yiyang.security.roles import Role
from yiyang.visits.models import Alert


def test_alert_api(client: TestClient, db: Session, clock: FakeClock) -> None:
    two = make_two_streets(db, clock)
    street_user, _ = make_user(db, Role.STREET_ADMIN, area=two.scene.d.tree.street_a)
    op_user, _ = make_user(db, Role.OPERATOR)
    op, street = auth(client, op_user.username), auth(client, street_user.username)
    page = client.get("/api/v1/visits/alerts", params={"kind": "no_show"}, headers=op).json()
    assert page["total"] == 1 and page["items"][0]["id"] == two.alert_b.id
    assert page["items"][0]["status"] == "open" and page["items"][0]["elder_name"] == "赵凤英"
    assert client.get("/api/v1/visits/alerts", headers=street).json()["total"] == 1
    resp = client.get(f"/api/v1/orders/{two.order_b.id}/alerts", headers=street)
    assert resp.status_code == 404
    resp = client.get(f"/api/v1/orders/{two.scene.order.id}/alerts", headers=street)
    assert [a["kind"] for a in resp.json()] == ["late"]
    resp = client.post(f"/api/v1/visits/alerts/{two.alert_a.id}/resolve", json={}, headers=street)
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "note"
    assert db.get_one(Alert, two.alert_a.id).resolved_at is None
    resp = client.post(
        f"/api/v1/visits/alerts/{two.alert_a.id}/resolve", json={"note": "arrived"}, headers=street
    )
    assert resp.status_code == 200 and resp.json()["status"] == "resolved"
    assert resp.json()["resolved_by"] == street_user.display_name
    resp = client.post(
        f"/api/v1/visits/alerts/{two.alert_b.id}/resolve", json={"note": "x"}, headers=street
    )
    assert resp.status_code == 404
    carer = auth(client, two.scene.carer_user.username)
    assert client.get("/api/v1/visits/alerts", headers=carer).status_code == 403


def test_alert_screen_filters_refresh_and_badge(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    two = make_two_streets(db, clock)
    op_user, _ = make_user(db, Role.OPERATOR)
    login(client, op_user)
    page = client.get("/alerts")
    assert page.status_code == 200
    assert page.text.count('data-testid="alert-row"') == 2
    assert 'data-testid="nav-alerts"' in page.text and 'hx-get="/alerts/badge"' in page.text
    assert 'hx-trigger="every 15s' in page.text
    page = client.get("/alerts", params={"kind": "late", "order_id": "abc"})
    assert page.text.count('data-testid="alert-row"') == 1  # a bad filter value is dropped
    assert f'data-alert="{two.alert_a.id}"' in page.text
    # the 15-second refresh keeps the filters and does not touch the address bar
    poll = client.get(
        "/alerts?kind=late",
        headers={"HX-Request": "true", "HX-Target": "results", "HX-Trigger": "results"},
    )
    assert "<html" not in poll.text and 'hx-get="/alerts?kind=late"' in poll.text
    assert "hx-push-url" not in {k.lower() for k in poll.headers}
    assert 'id="alert-badge" hx-swap-oob' in poll.text
    change = client.get(
        "/alerts?kind=no_show&elder=",
        headers={"HX-Request": "true", "HX-Target": "results", "HX-Trigger": "alert-filters"},
    )
    assert change.headers["HX-Push-Url"] == "/alerts?kind=no_show"
    badge = client.get("/alerts/badge")
    assert 'data-testid="alert-badge-count">2<' in badge.text


def test_acknowledge_and_resolve_through_the_screen(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    two = make_two_streets(db, clock)
    op_user, _ = make_user(db, Role.OPERATOR)
    csrf = login(client, op_user)
    db.commit()  # a refused action rolls the request back: keep the scene and the login
    url = f"/alerts/{two.alert_b.id}/acknowledge?lang=en"
    form = {"csrf_token": csrf, "note": "  ", "next": "/alerts?kind=no_show"}
    resp = client.post(url, data=form, follow_redirects=False)
    assert resp.status_code == 422
    assert 'data-testid="alert-error"' in resp.text
    assert "Write a note saying what was done about this alert." in resp.text
    assert f'data-alert="{two.alert_b.id}"' in resp.text and "<details open" in resp.text
    assert db.get_one(Alert, two.alert_b.id).acknowledged_at is None
    form["note"] = "called the family"
    resp = client.post(url, data=form, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/alerts?kind=no_show"
    assert db.get_one(Alert, two.alert_b.id).acknowledge_note == "called the family"
    form = {"csrf_token": csrf, "note": "caregiver arrived", "next": "https://evil.example/x"}
    resp = client.post(f"/alerts/{two.alert_a.id}/resolve", data=form, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/alerts"
    page = client.get("/alerts", params={"status": "resolved"})
    assert 'data-testid="resolved-by"' in page.text and "caregiver arrived" in page.text
    # the order page lists the order's alerts with who handled them
    detail = client.get(f"/orders/{two.scene.order.id}")
    assert 'data-testid="order-alert" data-status="resolved"' in detail.text
    assert "caregiver arrived" in detail.text
    assert client.get("/alerts/badge").text.strip() == ""  # b acknowledged, a resolved


def test_alert_screen_scope_per_role(client: TestClient, db: Session, clock: FakeClock) -> None:
    two = make_two_streets(db, clock)
    street_user, _ = make_user(db, Role.STREET_ADMIN, area=two.scene.d.tree.street_b)
    login(client, street_user)
    page = client.get("/alerts")
    assert page.text.count('data-testid="alert-row"') == 1
    assert f'data-alert="{two.alert_b.id}"' in page.text
    csrf = login(client, street_user)
    form = {"csrf_token": csrf, "note": "x", "next": "/alerts"}
    assert client.post(f"/alerts/{two.alert_a.id}/resolve", data=form).status_code == 404
    login(client, two.scene.carer_user, "/m/visits")
    assert client.get("/alerts").status_code == 403
    assert client.get("/alerts/badge").text.strip() == ""
    assert 'data-testid="nav-alerts"' not in client.get("/orders").text
