"""Alarm API: the queue in scope, the timeline, each action; 404 scope, 409, 422 by field."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.alarms.handling.conftest import NOON, sos
from tests.builders import PASSWORD, make_elder, make_tree, make_user
from tests.conftest import FakeClock
from yiyang.alarms.kinds import AlarmType
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_an_operator_handles_an_sos_from_the_queue_to_the_close(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    clock.now = NOON + timedelta(seconds=20)
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    fall = sos(db, elder, type_=AlarmType.BED_WET)
    alarm = sos(db, elder)
    op, _ = make_user(db, Role.OPERATOR)
    h = auth(client, op.username)
    queue = client.get("/api/v1/alarms", headers=h)
    assert queue.status_code == 200
    ids = [row["id"] for row in queue.json()]
    assert ids.index(alarm.id) < ids.index(fall.id)  # critical before warning
    row = queue.json()[ids.index(alarm.id)]
    assert row["waiting_seconds"] == 20 and row["allowed"] == ["acknowledge", "note"]
    base = f"/api/v1/alarms/{alarm.id}"
    assert client.post(f"{base}/acknowledge", headers=h).json()["status"] == "acknowledged"
    called = client.post(f"{base}/calls", headers=h, json={"target": "elder"})
    assert called.status_code == 200 and called.json()["status"] == "responding"
    step_id = called.json()["steps"][-1]["id"]
    logged = client.post(
        f"{base}/call-results", headers=h, json={"call_step_id": step_id, "result": "no_answer"}
    )
    assert logged.json()["steps"][-1]["data"]["result"] == "no_answer"
    assert client.post(f"{base}/call-120", headers=h, json={}).status_code == 200
    assert client.post(f"{base}/notes", headers=h, json={"text": "120 已出车"}).status_code == 200
    assert client.post(f"{base}/resolve", headers=h, json={}).json()["status"] == "resolved"
    no_code = client.post(f"{base}/close", headers=h, json={})
    assert no_code.status_code == 422
    assert no_code.json()["error"]["problems"][0]["field"] == "disposition"
    closed = client.post(f"{base}/close", headers=h, json={"disposition": "ambulance_called"})
    assert closed.status_code == 200 and closed.json()["disposition"] == "ambulance_called"
    read = client.get(base, headers=h).json()
    assert [s["action"] for s in read["steps"]] == [
        "raised", "acknowledged", "called", "call_result", "called_120", "note", "resolved",
        "closed",
    ]  # fmt: skip
    assert read["acknowledged_by"] == op.display_name
    again = client.post(f"{base}/notes", headers=h, json={"text": "晚了"})
    assert again.status_code == 409
    # a review is the supervisor's
    assert client.post(f"{base}/review", headers=h, json={"finding": "ok"}).status_code == 403
    boss, _ = make_user(db, Role.SUPERVISOR)
    hb = auth(client, boss.username)
    reviewed = client.post(f"{base}/review", headers=hb, json={"finding": "处置及时"})
    assert reviewed.status_code == 200
    assert reviewed.json()["reviews"][0]["reason"] == "spot_check"


def test_scope_bad_input_and_conflicts_are_never_500(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    clock.now = NOON
    tree = make_tree(db)
    mine = make_elder(db, tree.comm_a1)
    other = make_elder(db, tree.comm_b1, name="赵大爷")
    alarm, theirs = sos(db, mine), sos(db, other)
    family, _ = make_user(db, Role.FAMILY, elder=mine)
    hf = auth(client, family.username)
    assert client.get(f"/api/v1/alarms/{alarm.id}", headers=hf).status_code == 200
    assert client.get(f"/api/v1/alarms/{theirs.id}", headers=hf).status_code == 404
    assert [a["id"] for a in client.get("/api/v1/alarms", headers=hf).json()] == [alarm.id]
    assert client.post(f"/api/v1/alarms/{alarm.id}/acknowledge", headers=hf).status_code == 403
    street, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_b)
    hs = auth(client, street.username)
    assert [a["id"] for a in client.get("/api/v1/alarms", headers=hs).json()] == [theirs.id]
    assert client.get(f"/api/v1/alarms/{alarm.id}", headers=hs).status_code == 404

    first, _ = make_user(db, Role.OPERATOR)
    second, _ = make_user(db, Role.OPERATOR)
    h1, h2 = auth(client, first.username), auth(client, second.username)
    base = f"/api/v1/alarms/{alarm.id}"
    assert client.post(f"{base}/calls", headers=h1, json={"target": "elder"}).status_code == 409
    assert client.post(f"{base}/acknowledge", headers=h1).status_code == 200
    taken = client.post(f"{base}/acknowledge", headers=h2)
    assert taken.status_code == 409 and first.display_name in taken.json()["error"]["message"]
    bad = client.post(f"{base}/calls", headers=h1, json={"target": "neighbour"})
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "target"
    unknown = client.post(f"{base}/calls", headers=h1, json={"target": "contact", "contact_id": 9})
    assert (
        unknown.status_code == 422
        and unknown.json()["error"]["problems"][0]["field"] == "contact_id"
    )
    other_note = client.post(f"{base}/close", headers=h1, json={"disposition": "other"})
    assert (
        other_note.status_code == 422
        and other_note.json()["error"]["problems"][0]["field"] == "note"
    )
    assert client.get("/api/v1/alarms/99999999999999999999", headers=h1).status_code == 422
    assert client.get("/api/v1/alarms/424242", headers=h1).status_code == 404
    assert client.get("/api/v1/alarms?view=everything", headers=h1).status_code == 422
    mine_only = client.get("/api/v1/alarms?view=mine", headers=h1).json()
    assert [a["id"] for a in mine_only] == [alarm.id]
    assert client.get("/api/v1/alarms?view=mine", headers=h2).json() == []
    waiting = client.get("/api/v1/alarms?view=waiting", headers=h2).json()
    assert [a["id"] for a in waiting] == [theirs.id]
    by_street = client.get(f"/api/v1/alarms?street_code={tree.street_b.code}", headers=h2).json()
    assert [a["id"] for a in by_street] == [theirs.id]
    assert client.get("/api/v1/alarms?type=fall", headers=h2).json() == []
    assert client.get("/api/v1/alarms/figures", headers=h1).status_code == 403
