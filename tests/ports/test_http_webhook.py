"""The real webhook adapter posts signed bodies to a receiver on 127.0.0.1 that checks them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook

from tests.builders import make_user
from tests.events.helpers import committing_factory, event
from yiyang.config import Settings
from yiyang.errors import Invalid
from yiyang.events import bus, delivery
from yiyang.events.models import OutboxMessage
from yiyang.orders.events import CaregiverAssigned
from yiyang.ports import subscriptions
from yiyang.ports.delivery import deliverers, http_client
from yiyang.ports.models import PortLog
from yiyang.ports.schemas import WebhookCreate
from yiyang.security.roles import Role

LOOPBACK = [ip_network("127.0.0.0/8")]  # the receiver runs on this machine


@dataclass
class Receiver:
    """What the test receiver saw: verified bodies by idempotency key, and refusals."""

    secret: str = ""
    status: int = 200
    bodies: dict[str, dict[str, object]] = field(default_factory=dict)
    bad_signatures: int = 0


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """An HTTP server on 127.0.0.1 that verifies Standard Webhooks signatures."""
    seen = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            try:
                payload = Webhook(seen.secret).verify(body, dict(self.headers))
                seen.bodies[self.headers["idempotency-key"]] = payload
            except Exception:
                seen.bad_signatures += 1
            self.send_response(seen.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield seen, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def factory(own_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Committing sessions on this module's own database (the worker delivers from committed rows)."""
    yield from committing_factory(own_engine)


def _subscribe_and_publish(factory: sessionmaker[Session], url: str) -> tuple[str, str]:
    now = datetime.now(UTC)
    with factory() as s, s.begin():
        _, admin = make_user(s, Role.DISTRICT_ADMIN)
        sub = subscriptions.create(
            s, admin,
            WebhookCreate(url=url, event_types=["order.caregiver_assigned"]),  # type: ignore[arg-type]
            now=now, allowed_networks=LOOPBACK,
        )  # fmt: skip
        published = event(CaregiverAssigned, 42, now)
        bus.publish(s, published)
        secret = sub.secret
    return secret, str(published.id)


def _deliver(factory: sessionmaker[Session], settings: Settings) -> int:
    clock = lambda: datetime.now(UTC)  # noqa: E731  (signatures are checked against real time)
    with http_client(settings) as http:
        return delivery.deliver_due(
            factory, clock, deliverers(settings, factory, clock, http), delivery.policy_of(settings)
        )


def test_a_published_event_reaches_the_subscriber_signed(
    factory: sessionmaker[Session], receiver: tuple[Receiver, str]
) -> None:
    seen, url = receiver
    seen.secret, event_id = _subscribe_and_publish(factory, url)
    assert _deliver(factory, Settings(secret_key="x", webhook_allowed_networks=LOOPBACK)) == 1
    assert seen.bad_signatures == 0
    ((key, body),) = seen.bodies.items()
    assert key.startswith("webhook:") and key.endswith(event_id)
    assert body["type"] == "order.caregiver_assigned" and body["id"] == event_id
    assert json.loads(json.dumps(body))["data"]["order"]["id"] == 42  # type: ignore[index]


def test_a_refusing_subscriber_is_tried_again_later(
    factory: sessionmaker[Session], receiver: tuple[Receiver, str]
) -> None:
    seen, url = receiver
    seen.secret, _ = _subscribe_and_publish(factory, url)
    seen.status = 503
    assert _deliver(factory, Settings(secret_key="x", webhook_allowed_networks=LOOPBACK)) == 0
    with factory() as s:
        (message,) = s.scalars(select(OutboxMessage)).all()
        assert message.state == "pending" and message.attempts == 1
        assert message.last_error and "503" in message.last_error
    assert len(seen.bodies) == 1  # it arrived, but the answer said no


def test_the_log_adapter_writes_the_webhook_down_instead(
    factory: sessionmaker[Session], receiver: tuple[Receiver, str]
) -> None:
    seen, url = receiver
    seen.secret, event_id = _subscribe_and_publish(factory, url)
    assert (
        _deliver(
            factory,
            Settings(secret_key="x", webhook_adapter="log", webhook_allowed_networks=LOOPBACK),
        )
        == 1
    )
    assert seen.bodies == {}
    with factory() as s:
        (logged,) = s.scalars(select(PortLog)).all()
        assert logged.channel == "webhook" and logged.destination == url
        assert json.loads(logged.text)["id"] == event_id


def test_a_subscriber_inside_a_private_network_is_never_posted_to(
    factory: sessionmaker[Session], receiver: tuple[Receiver, str]
) -> None:
    seen, url = receiver
    seen.secret, _ = _subscribe_and_publish(factory, url)  # allowed when it was saved
    assert _deliver(factory, Settings(secret_key="x")) == 0  # no longer allowed
    assert seen.bodies == {}
    with factory() as s:
        (message,) = s.scalars(select(OutboxMessage)).all()
        assert message.state == "dead" and "private address" in (message.last_error or "")


def test_saving_a_private_address_is_refused_with_its_reason(
    factory: sessionmaker[Session],
) -> None:
    with factory() as s:
        _, admin = make_user(s, Role.DISTRICT_ADMIN)
        for url in ("http://127.0.0.1:8000/x", "http://169.254.169.254/", "http://localhost/x"):
            with pytest.raises(Invalid) as refused:
                subscriptions.create(
                    s, admin, WebhookCreate(url=url, event_types=["order.created"]),  # type: ignore[arg-type]
                    now=datetime.now(UTC),
                )  # fmt: skip
            assert refused.value.problems[0].field == "url"
        s.rollback()
