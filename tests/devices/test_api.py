"""Device API: register with the secret once, bind, replace, retire, scope 404s, bad input 422,
and two registrations of one IMEI at once on PostgreSQL (one wins, the other 409)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder, make_tree, make_user
from tests.devices.builders import new_imei
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def body(kind: str = "pull_cord", **ids: str) -> dict[str, object]:
    identities = [{"scheme": k, "value": v} for k, v in ids.items()] or [
        {"scheme": "imei", "value": new_imei()}
    ]
    return {"kind": kind, "vendor": "颐家", "model": "PC-1", "identities": identities}


def test_register_bind_replace_retire(client: TestClient, db: Session) -> None:
    t = make_tree(db)
    elder = make_elder(db, t.comm_a1)
    user, _ = make_user(db, Role.STREET_ADMIN, area=t.street_a)
    h = auth(client, user.username)
    r = client.post("/api/v1/devices", json=body(mac="3c71bf0a12ef", serial="SN-1"), headers=h)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["secret"] and made["device"]["status"] == "in_stock"
    assert {"scheme": "mac", "value": "3C:71:BF:0A:12:EF"} in made["device"]["identities"]
    device_id = made["device"]["id"]
    one = client.get(f"/api/v1/devices/{device_id}", headers=h).json()
    assert "secret" not in one and "secret_hash" not in one
    bound = client.post(
        f"/api/v1/devices/{device_id}/bind",
        json={"elder_id": elder.id, "location_note": "by the bed"}, headers=h,
    )  # fmt: skip
    assert bound.status_code == 200, bound.text
    assert bound.json()["status"] == "installed" and bound.json()["home_id"]
    home = client.get(f"/api/v1/homes/{bound.json()['home_id']}", headers=h).json()
    assert home["residents"][0]["elder_id"] == elder.id and home["device_ids"] == [device_id]
    new = client.post("/api/v1/devices", json=body(), headers=h).json()["device"]["id"]
    rep = client.post(
        f"/api/v1/devices/{device_id}/replace", json={"new_device_id": new}, headers=h
    )
    assert rep.status_code == 200 and rep.json()["id"] == new
    assert [x["action"] for x in rep.json()["history"]][-1] == "replacement"
    listed = client.get("/api/v1/devices?status=retired", headers=h).json()
    assert [d["id"] for d in listed["items"]] == [device_id]
    rot = client.post(f"/api/v1/devices/{new}/rotate-credential", headers=h)
    assert rot.status_code == 200 and rot.json()["secret"]
    ret = client.post(f"/api/v1/devices/{new}/retire", json={}, headers=h)
    assert ret.status_code == 422 and ret.json()["error"]["field"] == "reason"
    ret = client.post(f"/api/v1/devices/{new}/retire", json={"reason": "lost"}, headers=h)
    assert ret.status_code == 200 and ret.json()["status"] == "retired"
    counts = client.get("/api/v1/devices/counts", headers=h).json()
    assert counts["retired"] == 2


def test_bad_input_is_422_naming_the_field_and_duplicates_409(
    client: TestClient, db: Session
) -> None:
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    h = auth(client, user.username)
    bad = client.post("/api/v1/devices", json=body(imei="490154203237519"), headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "identities.0.value"
    assert client.post("/api/v1/devices", json=body(kind="toaster"), headers=h).status_code == 422
    assert (
        client.post("/api/v1/devices", json={**body(), "identities": []}, headers=h).status_code
        == 422
    )
    imei = new_imei()
    assert client.post("/api/v1/devices", json=body(imei=imei), headers=h).status_code == 201
    dup = client.post("/api/v1/devices", json=body(imei=imei), headers=h)
    assert dup.status_code == 409 and imei in dup.json()["error"]["message"]
    assert client.get("/api/v1/devices?kind=toaster", headers=h).status_code == 422


def test_out_of_scope_is_404_and_operators_cannot_write(client: TestClient, db: Session) -> None:
    t = make_tree(db)
    elder_b = make_elder(db, t.comm_b1)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    street_a, _ = make_user(db, Role.STREET_ADMIN, area=t.street_a)
    operator, _ = make_user(db, Role.OPERATOR)
    ha, hs, ho = (
        auth(client, admin.username),
        auth(client, street_a.username),
        auth(client, operator.username),
    )
    made = client.post("/api/v1/devices", json=body(), headers=ha).json()["device"]["id"]
    client.post(f"/api/v1/devices/{made}/bind", json={"elder_id": elder_b.id}, headers=ha)
    assert client.get(f"/api/v1/devices/{made}", headers=hs).status_code == 404
    assert (
        client.post(f"/api/v1/devices/{made}/retire", json={"reason": "x"}, headers=hs).status_code
        == 404
    )
    assert client.get(f"/api/v1/devices/{made}", headers=ho).status_code == 200
    assert client.post("/api/v1/devices", json=body(), headers=ho).status_code == 403


@pytest.fixture
def pg_live(live_engine: Engine, live_app: FastAPI) -> FastAPI:
    """The live app, on PostgreSQL only (SQLite serialises every writer anyway)."""
    if live_engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    return live_app


def test_two_registrations_of_one_imei_at_once_one_wins(pg_live: FastAPI, live_db: Session) -> None:
    user, _ = make_user(live_db, Role.DISTRICT_ADMIN)
    live_db.commit()
    imei = new_imei("35")
    with TestClient(pg_live, client=("198.19.1.9", 40000)) as c:
        h = auth(c, user.username)
    start = threading.Barrier(4)
    codes: list[int] = []

    def go() -> None:
        with TestClient(pg_live, base_url="http://127.0.0.1", client=("198.19.1.9", 40000)) as c:
            start.wait(timeout=20)
            codes.append(c.post("/api/v1/devices", json=body(imei=imei), headers=h).status_code)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert Counter(codes) == {201: 1, 409: 3}


def test_the_unique_key_decides_when_both_checks_pass(live_engine: Engine) -> None:
    """Both sessions find the IMEI free; the second insert waits for the first and is a 409."""
    if live_engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    from sqlalchemy.exc import IntegrityError

    from tests.devices.builders import register
    from yiyang.db import violated_constraint
    from yiyang.errors import constraint_error
    from yiyang.kit.clock import utcnow

    imei = new_imei("35")
    with Session(live_engine) as a, Session(live_engine) as b:
        _, admin = make_user(a, Role.DISTRICT_ADMIN)
        register(a, admin, utcnow(), imei=imei)  # flushed, not committed
        failure: list[BaseException] = []

        def second() -> None:
            try:
                register(b, admin, utcnow(), imei=imei)
            except IntegrityError as exc:
                failure.append(exc)
            finally:
                b.rollback()

        th = threading.Thread(target=second)
        th.start()
        th.join(timeout=1.0)
        assert th.is_alive()  # waiting on the first one's unique key
        a.commit()
        th.join(timeout=20)
    assert len(failure) == 1 and isinstance(failure[0], IntegrityError)
    error = constraint_error(violated_constraint(failure[0]))
    assert error is not None and error.status_code == 409 and error.code == "identity_taken"
