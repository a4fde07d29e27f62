"""The outbox and "what would have been sent" screens, and the webhook API: admins only."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.orders.test_api import auth
from tests.web.test_order_pages import login
from yiyang.events import outbox
from yiyang.events.models import OutboxMessage
from yiyang.ports.models import PortLog, WebhookSubscription
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def _messages(db: Session, clock: FakeClock) -> tuple[OutboxMessage, OutboxMessage]:
    text = outbox.enqueue(
        db, channel="sms", destination="13912345678", payload={"text": "护理员王芳已出发"},
        idempotency_key="sms:a", now=clock.now,
    )  # fmt: skip
    dead = outbox.enqueue(
        db, channel="sms", destination="13900000000", payload={"text": "x"},
        idempotency_key="sms:b", now=clock.now,
    )  # fmt: skip
    dead.state, dead.attempts, dead.last_error = "dead", 8, "ConnectionError: receiver down"
    dead.dead_at = clock.now + timedelta(minutes=5)
    db.flush()
    return text, dead


def test_admin_sees_messages_by_state_with_the_last_error_and_retries(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    waiting, dead = _messages(db, clock)
    csrf = login(client, admin, "/console/outbox")
    page = client.get("/console/outbox", params={"lang": "en"})
    assert page.status_code == 200
    assert "ConnectionError: receiver down" in page.text
    assert "139****5678" in page.text and "13912345678" not in page.text
    only_dead = client.get("/console/outbox", params={"state": "dead", "lang": "en"}).text
    assert only_dead.count('data-testid="outbox-row"') == 1 and f'data-id="{dead.id}"' in only_dead
    bad = client.get("/console/outbox", params={"state": "<script>", "page": "9" * 30})
    assert bad.status_code == 200
    resp = client.post(
        f"/console/outbox/{dead.id}/retry",
        data={"csrf_token": csrf, "next": "/console/outbox?state=dead"},
        follow_redirects=False,
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/console/outbox?state=dead"
    db.refresh(dead)
    assert dead.state == "pending" and dead.attempts == 0
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "outbox_retry"))
    assert audit is not None and audit.entity_id == dead.id and audit.actor_id == admin.id
    waiting.state = "delivered"
    db.flush()
    assert client.post(
        f"/console/outbox/{waiting.id}/retry", data={"csrf_token": csrf}
    ).status_code == 409  # fmt: skip


def test_other_roles_may_not_open_the_outbox(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    operator, _ = make_user(db, Role.OPERATOR)
    login(client, operator, "/account/password")
    assert client.get("/console/outbox").status_code == 403
    assert client.get("/console/sent").status_code == 403
    assert "/console/outbox" not in client.get("/").text


def test_the_port_log_page_masks_phones(client: TestClient, db: Session, clock: FakeClock) -> None:
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    db.add_all(
        [
            PortLog(channel="sms", destination="13912345678", text="【颐养】护理员王芳已出发",
                    idempotency_key="k-sms", sent_at=clock.now),
            PortLog(channel="webhook", destination="https://example.org/hook", text='{"a":1}',
                    idempotency_key="k-hook", sent_at=clock.now),
        ]
    )  # fmt: skip
    db.flush()
    login(client, admin, "/console/sent")
    page = client.get("/console/sent").text
    assert "【颐养】护理员王芳已出发" in page and "139****5678" in page
    assert "13912345678" not in page and "https://example.org/hook" in page
    sms_only = client.get("/console/sent", params={"channel": "sms"}).text
    assert sms_only.count('data-testid="sent-row"') == 1


def test_a_subscriber_added_on_the_page_shows_its_secret_once(
    client: TestClient, db: Session
) -> None:
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, admin, "/console/outbox")
    refused = client.post(
        "/console/webhooks",
        data={"csrf_token": csrf, "url": "not a url", "event_types": ["visit.checked_in"]},
    )
    assert refused.status_code == 422 and 'value="not a url"' in refused.text
    made = client.post(
        "/console/webhooks",
        data={"csrf_token": csrf, "url": "https://example.org/hook",
              "event_types": ["visit.checked_in", "order.cancelled"]},
    )  # fmt: skip
    assert made.status_code == 201, made.text[-3000:]
    sub = db.scalar(select(WebhookSubscription))
    assert sub is not None and f'value="{sub.secret}"' in made.text
    assert sub.event_types == ["order.cancelled", "visit.checked_in"]
    again = client.get("/console/outbox").text
    assert sub.secret not in again and "https://example.org/hook" in again
    client.post(f"/console/webhooks/{sub.id}/switch", data={"csrf_token": csrf, "active": "false"})
    db.refresh(sub)
    assert sub.active is False
    client.post(f"/console/webhooks/{sub.id}/delete", data={"csrf_token": csrf})
    assert db.scalar(select(WebhookSubscription)) is None


def test_webhook_api_crud_for_district_admins_only(client: TestClient, db: Session) -> None:
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    operator, _ = make_user(db, Role.OPERATOR)
    h = auth(client, admin.username)
    body = {"url": "https://example.org/in", "event_types": ["order.caregiver_assigned"]}
    made = client.post("/api/v1/webhooks", json=body, headers=h)
    assert made.status_code == 201, made.text
    created = made.json()
    assert created["secret"].startswith("whsec_") and created["active"] is True
    listed = client.get("/api/v1/webhooks", headers=h).json()
    assert [s["id"] for s in listed] == [created["id"]] and "secret" not in listed[0]
    one = client.get(f"/api/v1/webhooks/{created['id']}", headers=h).json()
    assert "secret" not in one
    changed = client.patch(
        f"/api/v1/webhooks/{created['id']}", json={"active": False}, headers=h
    ).json()
    assert changed["active"] is False and changed["url"] == body["url"]
    unknown = client.post(
        "/api/v1/webhooks", json=body | {"event_types": ["order.exploded"]}, headers=h
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["problems"][0]["field"] == "event_types"
    other = auth(client, operator.username)
    assert client.get("/api/v1/webhooks", headers=other).status_code == 403
    assert client.delete(f"/api/v1/webhooks/{created['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/webhooks/{created['id']}", headers=h).status_code == 404


def test_the_openapi_document_describes_each_webhook(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    hook = spec["webhooks"]["visit.checked_in"]["post"]
    assert "webhook-signature" in hook["description"]
    ref = hook["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    schema = spec["components"]["schemas"][ref]
    assert {"id", "type", "occurred_at", "actor", "cause_id", "data"} <= set(schema["properties"])
    assert "order.caregiver_assigned" in spec["webhooks"]
