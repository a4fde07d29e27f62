"""Aftercare against a database: complaints to the end, the return-visit sample and queue,
continuity per elder and per provider."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_provider, make_user
from tests.conftest import FakeClock
from tests.visits.scene import SETTINGS, deliver, make_scene, place_order
from tests.visits.scene import accept as accept_order
from tests.web.test_order_pages import login
from yiyang.events.models import OutboxMessage
from yiyang.kit.localtime import local_today
from yiyang.security.roles import Role
from yiyang.visits import care_repository, care_tasks, continuity, return_visits
from yiyang.visits.care_models import ReturnVisitDue
from yiyang.visits.care_rules import sample, sample_size
from yiyang.visits.care_schemas import CallIn
from yiyang.visits.models import ReturnVisit


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}", "Accept-Language": "en"}


def _sms(db: Session, order_id: int) -> list[str]:
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    return [m.payload["text"] for m in rows if m.payload.get("complaint_id")]


def test_a_complaint_goes_to_the_end(client: TestClient, db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    deliver(db, scene, scene.order, scene.carer, clock)
    family, _ = make_user(db, Role.FAMILY, elder=scene.d.elder)
    operator, _ = make_user(db, Role.OPERATOR)
    provider_user, _ = make_user(db, Role.PROVIDER_ADMIN, provider=scene.d.p1)
    other_provider, _ = make_user(db, Role.PROVIDER_ADMIN, provider=make_provider(db, "别家"))
    fam, op, prov = (auth(client, u.username) for u in (family, operator, provider_user))
    filed = client.post(
        f"/api/v1/orders/{scene.order.id}/complaints",
        json={"category": "attitude", "text": "态度不好"}, headers=fam,
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    cid = filed.json()["id"]
    url = f"/api/v1/complaints/{cid}"
    # the family cannot handle it; another provider does not see it at all
    assert (
        client.post(
            f"{url}/close", json={"outcome": "withdrawn", "text": "x"}, headers=fam
        ).status_code
        == 403
    )
    other = auth(client, other_provider.username)
    assert client.get(url, headers=other).status_code == 404
    assert client.post(f"{url}/respond", json={"text": "x"}, headers=other).status_code == 404
    # the provider admin may answer but not assign
    assert (
        client.post(f"{url}/assign", json={"provider_id": scene.d.p1.id}, headers=prov).status_code
        == 403
    )
    neither = client.post(f"{url}/assign", json={}, headers=op)
    assert neither.status_code == 422 and neither.json()["error"]["field"] == "provider_id"
    assigned = client.post(
        f"{url}/assign", json={"provider_id": scene.d.p1.id, "note": "请核实"}, headers=op
    )
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    answered = client.post(f"{url}/respond", json={"text": "已向家属致歉并培训"}, headers=prov)
    assert answered.status_code == 200 and answered.json()["status"] == "responded"
    twice = client.post(f"{url}/respond", json={"text": "again"}, headers=prov)
    assert twice.status_code == 409 and "answered already" in twice.json()["error"]["message"]
    bad = client.post(f"{url}/close", json={"outcome": "shrug", "text": "x"}, headers=op)
    assert bad.status_code == 422
    blank = client.post(f"{url}/close", json={"outcome": "upheld_fixed", "text": ""}, headers=op)
    assert blank.status_code == 422
    closed = client.post(
        f"{url}/close", json={"outcome": "upheld_fixed", "text": "已整改"}, headers=op
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["outcome"] == "upheld_fixed"
    assert [s["action"] for s in body["steps"]] == ["file", "assign", "respond", "close"]
    assert all(s["by_name"] and s["at"] for s in body["steps"])
    again = client.post(f"{url}/assign", json={"provider_id": scene.d.p1.id}, headers=op)
    assert again.status_code == 409 and "closed" in again.json()["error"]["message"]
    texts = _sms(db, scene.order.id)
    assert len(texts) == 3 and "已整改" in texts[-1] and "已向家属致歉" in texts[1]
    # the complaints page and the order page show it
    login(client, operator)
    page = client.get("/complaints?status=all")
    assert page.status_code == 200 and "态度不好" in page.text
    assert "态度不好" not in client.get("/complaints").text  # closed ones are not open
    order_page = client.get(f"/orders/{scene.order.id}")
    assert 'data-testid="order-complaint"' in order_page.text
    # a street admin of the other street does not find it, on the list or by its address
    login(client, make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_b)[0])
    assert client.get(f"/complaints/{cid}").status_code == 404
    assert "态度不好" not in client.get("/complaints?status=all").text
    login(client, make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)[0])
    assert "态度不好" in client.get(f"/complaints/{cid}").text
    order_page = client.get(f"/orders/{scene.order.id}")
    assert 'data-testid="order-complaint"' in order_page.text


def test_return_visit_sample_is_stable_and_never_doubles(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock, spare=True)
    deliver(db, scene, scene.order, scene.carer, clock)
    day = local_today(clock.now)
    settings = SETTINGS.model_copy(update={"return_visit_share_percent": 100})
    assert return_visits.sample_day(db, day, settings, now=clock.now) == 1
    assert return_visits.sample_day(db, day, settings, now=clock.now) == 0  # same day again
    # a second visit completed later that day: a later run adds only it
    order2 = place_order(db, scene.d, clock, scene.operator, hours=1)
    accept_order(db, order2, scene.provider_admin, scene.carer, clock.now)
    deliver(db, scene, order2, scene.carer, clock)
    assert return_visits.sample_day(db, day, settings, now=clock.now) == 1
    assert return_visits.sample_day(db, day, settings, now=clock.now) == 0
    dues = db.scalars(select(ReturnVisitDue)).all()
    assert sorted(d.order_id for d in dues) == sorted([scene.order.id, order2.id])
    # the next day the operator sees them due and records the calls
    clock.now += timedelta(days=1)
    summary = care_repository.return_visits_due(db, scene.operator, clock.now)
    assert (summary.due_today, summary.overdue, len(summary.first)) == (2, 0, 2)
    assert return_visits.due_summary(db, scene.carer, clock.now).due_today == 0
    first, second = sorted(dues, key=lambda d: d.id)
    op_user = make_user(db, Role.OPERATOR)[0]
    login(client, op_user)
    home = client.get("/").text  # the operator's work page lists them
    assert home.count('data-testid="return-visit"') == 2 and scene.d.elder.name in home
    headers = auth(client, op_user.username)
    url = f"/api/v1/return-visits/{first.id}/calls"
    no_score = client.post(url, json={"result": "reached"}, headers=headers)
    assert no_score.status_code == 422 and no_score.json()["error"]["field"] == "satisfaction"
    wrong = client.post(url, json={"result": "not_reached", "satisfaction": 4}, headers=headers)
    assert wrong.status_code == 422
    ok = client.post(
        url, json={"result": "reached", "satisfaction": 5, "notes": "满意"}, headers=headers
    )
    assert ok.status_code == 201 and ok.json()["done"] is True
    assert (
        client.post(url, json={"result": "reached", "satisfaction": 5}, headers=headers).status_code
        == 409
    )
    again = return_visits.record_call(
        db, scene.operator, second.id, CallIn(result="not_reached"), now=clock.now
    )
    assert again.done is False and again.due_date == local_today(clock.now) + timedelta(days=1)
    stored = db.scalars(select(ReturnVisit).order_by(ReturnVisit.id)).all()
    assert [(r.result, r.satisfaction) for r in stored] == [("reached", 5), ("not_reached", None)]
    login(client, op_user)
    page = client.get("/return-visits?tab=done")
    assert page.status_code == 200 and scene.d.elder.name in page.text
    assert page.text.count('data-testid="rv-row"') == 1
    assert client.get("/return-visits?tab=today").text.count('data-testid="rv-form"') == 0


def test_sample_choice_is_deterministic_per_day() -> None:
    from datetime import date

    ids = list(range(1, 101))
    assert sample_size(100, 10, 30) == 10 and sample_size(100, 50, 30) == 30
    assert sample_size(3, 10, 30) == 1 and sample_size(0, 10, 30) == 0
    one = sample(ids, date(2026, 11, 23), 10, 30)
    assert one == sample(list(reversed(ids)), date(2026, 11, 23), 10, 30) and len(one) == 10
    assert one != sample(ids, date(2026, 11, 24), 10, 30)
    assert sample(ids[:90], date(2026, 11, 23), 10, 30, already=10) == []
    assert len(sample(ids, date(2026, 11, 23), 10, 30, already=10)) == 1  # 110 in all: 11


def test_continuity_per_elder_and_provider(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    deliver(db, scene, scene.order, scene.carer, clock)
    assert continuity.for_elder(db, scene.operator, scene.d.elder.id, now=clock.now) == 1
    found = continuity.for_provider(db, scene.operator, scene.d.p1.id, now=clock.now)
    assert (found.elders, found.average, found.distribution["1"]) == (1, 1.0, 1)
    none = continuity.for_provider(
        db, scene.operator, scene.d.p1.id, now=clock.now + timedelta(days=31)
    )
    assert (none.elders, none.average) == (0, None)
    assert continuity.distribution({1: 1, 2: 3, 3: 6}).distribution == {
        "1": 1,
        "2": 0,
        "3": 1,
        "4+": 1,
    }
    login(client, make_user(db, Role.OPERATOR)[0])
    frag = client.get(f"/console/continuity/providers/{scene.d.p1.id}")
    assert frag.status_code == 200 and 'data-testid="continuity-bands"' in frag.text
    elder = client.get(f"/console/continuity/elders/{scene.d.elder.id}")
    assert elder.status_code == 200 and ">1<" in elder.text


def test_the_daily_sample_timer_runs_at_six_china_time(db: Session, clock: FakeClock) -> None:
    from datetime import UTC, datetime

    assert care_tasks.next_run(datetime(2026, 11, 22, 21, 0, tzinfo=UTC)) == datetime(
        2026, 11, 22, 22, 0, tzinfo=UTC
    )  # 05:00 in China → 06:00 the same day
    assert care_tasks.next_run(clock.now) == datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    care_tasks.ensure_timer(db, clock.now)
    care_tasks.ensure_timer(db, clock.now)
    from yiyang.jobs import timers

    assert len(timers.pending(db, care_tasks.SAMPLE)) == 1
