"""The telephone system's webhook: a signed call is stored and pops the caller's record; a
forged, unsigned, stale, replayed or malformed one is refused with its reason, counted, and
changes nothing."""

from __future__ import annotations

import json
import threading
from collections import Counter
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree, make_user
from tests.conftest import FakeClock
from tests.web.test_order_pages import login
from yiyang.app import create_app
from yiyang.config import Settings
from yiyang.console.telephony import CallReceived, gate_of
from yiyang.events import live
from yiyang.events.models import DomainEventRow
from yiyang.ports.webhook import new_secret, signature
from yiyang.security.roles import Role

SECRET = new_secret()
URL = "/api/v1/telephony/calls"


@pytest.fixture
def settings() -> Settings:
    """The test settings with the telephone system's secret."""
    return Settings(
        secret_key="test-secret", district_code="410105", cookie_secure=False,
        totp_required_roles=[], telephony_secret=SECRET,
    )  # fmt: skip


def _signed(
    body: dict[str, object] | bytes, *, at: float, msg_id: str = "call-1", secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = int(at)
    return raw, {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature(secret, msg_id, stamp, raw),
    }


def _calls(db: Session) -> int:
    return db.scalar(
        select(func.count()).select_from(DomainEventRow).where(DomainEventRow.type == "call.received")
    ) or 0  # fmt: skip


def test_a_signed_call_is_stored_and_pops_the_callers_record(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    elder = make_elder(db, make_tree(db).comm_a1, name="王秀英", phone="13800001111")
    body, headers = _signed(
        {"call_id": "c-77", "caller": "+86 138-0000-1111"}, at=clock.now.timestamp()
    )
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == 202, r.text
    row = db.scalar(select(DomainEventRow).where(DomainEventRow.id == UUID(r.json()["id"])))
    assert row is not None and row.payload["phone"] == "13800001111"
    # What goes live carries the call's ids, never the number.
    envelope = live.envelope_of(
        CallReceived.model_validate({**row.payload, "occurred_at": row.occurred_at,
                                     "actor": {"kind": "system", "name": "telephony"}})
    )  # fmt: skip
    assert envelope is not None and envelope["call_id"] == "c-77"
    assert "13800001111" not in json.dumps(envelope)
    operator, _ = make_user(db, Role.OPERATOR)
    login(client, operator)
    pop = client.get(f"/console/calls/{row.id}", headers={"HX-Request": "true"})
    assert pop.status_code == 200
    assert f'data-elder="{elder.id}"' in pop.text and "王秀英" in pop.text
    assert 'data-testid="call-pop"' in pop.text


def test_the_screen_pop_is_for_the_call_centre_only(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    body, headers = _signed({"call_id": "c-1", "caller": "13800001111"}, at=clock.now.timestamp())
    call_id = client.post(URL, content=body, headers=headers).json()["id"]
    street, _ = make_user(db, Role.STREET_ADMIN)
    login(client, street)
    assert client.get(f"/console/calls/{call_id}").status_code == 403
    operator, _ = make_user(db, Role.OPERATOR)
    login(client, operator)
    assert client.get("/console/calls/00000000-0000-0000-0000-000000000000").status_code == 404


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("unsigned", 401, "unsigned"),
        ("forged", 401, "bad_signature"),
        ("changed body", 401, "bad_signature"),
        ("stale", 401, "stale_signature"),
        ("bad timestamp", 401, "bad_timestamp"),
        ("not json", 422, "bad_body"),
        ("no number", 422, "invalid"),
    ],
)
def test_a_bad_call_is_refused_with_its_reason_counted_and_nothing_stored(
    client: TestClient, app: FastAPI, db: Session, clock: FakeClock, case: str, status: int,
    code: str,
) -> None:  # fmt: skip
    now = clock.now.timestamp()
    body, headers = _signed({"call_id": "c-9", "caller": "13800001111"}, at=now)
    if case == "unsigned":
        del headers["webhook-signature"]
    elif case == "forged":
        headers["webhook-signature"] = signature(new_secret(), "call-1", int(now), body)
    elif case == "changed body":
        body = body.replace(b"13800001111", b"13900001111")
    elif case == "stale":
        body, headers = _signed({"call_id": "c-9", "caller": "13800001111"}, at=now - 301)
    elif case == "bad timestamp":
        headers["webhook-timestamp"] = "yesterday"
    elif case == "not json":
        body, headers = _signed(b"caller=13800001111", at=now)
    elif case == "no number":
        body, headers = _signed({"call_id": "c-9", "caller": "12"}, at=now)
    before = _calls(db)
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]
    assert gate_of(_Req(app)).refused[code] == 1
    assert _calls(db) == before


def test_a_replayed_webhook_id_is_refused_once_stored(
    client: TestClient, app: FastAPI, db: Session, clock: FakeClock
) -> None:
    body, headers = _signed({"call_id": "c-5", "caller": "13800001111"}, at=clock.now.timestamp())
    assert client.post(URL, content=body, headers=headers).status_code == 202
    again = client.post(URL, content=body, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "replayed"
    assert _calls(db) == 1 and gate_of(_Req(app)).refused["replayed"] == 1


def test_without_a_secret_the_webhook_is_refused(
    client: TestClient, app: FastAPI, clock: FakeClock
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"telephony_secret": None})
    body, headers = _signed({"call_id": "c-1", "caller": "13800001111"}, at=clock.now.timestamp())
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "telephony_not_configured"
    assert gate_of(_Req(app)).refused["telephony_not_configured"] == 1


class _Req:
    """Just enough of a request for gate_of."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app


def test_a_replay_to_another_web_process_is_refused(
    live_engine: Engine, clock: FakeClock, settings: Settings
) -> None:
    """Two apps stand for two `serve` workers: the id one of them took is a replay at the other."""
    first, second = (create_app(settings, engine=live_engine, clock=clock) for _ in range(2))
    msg_id = f"call-{uuid4()}"
    body, headers = _signed({"call_id": "c-7", "caller": "13800001111"},
                            at=clock.now.timestamp(), msg_id=msg_id)  # fmt: skip
    with TestClient(first) as a, TestClient(second) as b:
        assert a.post(URL, content=body, headers=headers).status_code == 202
        again = b.post(URL, content=body, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "replayed"


def test_one_webhook_id_posted_at_once_is_stored_once(
    live_engine: Engine, clock: FakeClock, settings: Settings
) -> None:
    """Four workers take the same delivery at the same moment: one stores it, three refuse."""
    if live_engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    msg_id = f"call-{uuid4()}"
    body, headers = _signed({"call_id": "c-8", "caller": "13800001111"},
                            at=clock.now.timestamp(), msg_id=msg_id)  # fmt: skip
    before = _live_calls(live_engine)
    start = threading.Barrier(4)
    codes: list[int] = []

    def go() -> None:
        with TestClient(create_app(settings, engine=live_engine, clock=clock)) as c:
            start.wait(timeout=20)
            codes.append(c.post(URL, content=body, headers=headers).status_code)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert Counter(codes) == {202: 1, 409: 3}
    assert _live_calls(live_engine) == before + 1


def _live_calls(engine: Engine) -> int:
    with Session(engine) as s:
        return _calls(s)


def test_a_webhook_id_longer_than_the_store_keeps_is_refused(
    client: TestClient, app: FastAPI, clock: FakeClock
) -> None:
    body, headers = _signed({"call_id": "c-2", "caller": "13800001111"},
                            at=clock.now.timestamp(), msg_id="x" * 97)  # fmt: skip
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_webhook_id"
