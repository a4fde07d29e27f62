"""The caregiver's day: route, calls, care notes; check-out by the card; errors in words."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.console.test_family_home import CODES, visible
from tests.orders.builders import make_caregiver
from tests.visits.scene import POLICY, SECRET, Scene, gps, home
from tests.visits.scene import make_scene as make_bare_scene
from tests.web.test_order_pages import login
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role
from yiyang.visits import rules
from yiyang.visits import service as visit_service
from yiyang.visits.models import Visit


def make_scene(db: Session, clock: FakeClock) -> Scene:
    """The visit scene with its bathing item named as in the catalogue."""
    scene = make_bare_scene(db, clock)
    scene.d.item.name_zh, scene.d.item.name_en = "助浴·上门助浴", "Bathing at home"
    db.flush()
    return scene


def test_the_day_in_order_with_calls_and_care_notes(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    elder = db.get_one(Elder, scene.d.elder.id)
    elder.capability_level, elder.notes = 3, "右腿无力，洗澡时需扶稳"
    db.flush()
    login(client, scene.carer_user, "/m/today")
    assert client.get("/", follow_redirects=False).headers["location"] == "/m/today"
    page = client.get("/m/today?lang=en")
    assert page.status_code == 200 and "being prepared" not in page.text
    text = visible(page.text)
    start = (scene.order.planned_start_at or scene.order.window_start_at) + timedelta(hours=8)
    assert f"1. {start:%H:%M}" in text and "Window 11:00–13:00" in text
    assert elder.address in text
    assert f'href="tel:{elder.phone}"' in page.text  # accepted, today: she may call the elder
    assert 'href="tel:13900005678"' in page.text  # and the son who holds the key
    assert "1 visit · 0 done" in text
    assert "Severe loss of capability (level 3)" in text and "右腿无力" in text
    assert "李明 holds a key" in text
    assert not CODES.findall(text)
    zh = visible(client.get("/m/today?lang=zh_CN").text)
    assert "上门前须知" in zh and "能力重度受损（3 级）" in zh


def test_notes_and_phones_only_for_her_own_visits_on_their_day(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    other = make_caregiver(db, scene.d.f_a2, name="赵敏")
    user, _ = make_user(db, Role.CAREGIVER, provider=scene.d.p2, staff_id=other.id)
    login(client, user, "/m/today")
    page = client.get("/m/today?lang=en")
    assert scene.d.elder.name not in page.text and "13900005678" not in page.text
    clock.advance(days=-1)  # the day before, her visit is tomorrow's: no phones yet
    login(client, scene.carer_user, "/m/today")
    page = client.get("/m/today?day=tomorrow&lang=en")
    assert 'data-testid="visit"' in page.text
    assert "tel:13900005678" not in page.text and 'data-testid="call-elder"' not in page.text
    assert "phone shown on the day of the visit" in page.text


def test_check_out_with_the_card_and_errors_named_in_words(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    order = scene.order
    clock.now = (order.planned_start_at or order.window_start_at) + timedelta(minutes=1)
    visit_service.depart(db, scene.carer, order.id, now=clock.now)
    visit_service.check_in(
        db, scene.carer, order.id, gps(home(scene)), now=clock.now, secret_key=SECRET,
        policy=POLICY,
    )  # fmt: skip
    clock.advance(minutes=5)
    csrf = login(client, scene.carer_user, f"/m/visits/{order.id}")
    db.commit()  # a refused check-out rolls the request back: keep the scene and the login
    page = client.get(f"/m/visits/{order.id}?lang=en")
    assert 'data-testid="qr-check-out"' in page.text and 'action="/m/visits/' in page.text
    url = f"/m/visits/{order.id}/check-out?lang=en"
    code = rules.elder_card_code(order.elder_id, SECRET)
    short = client.post(url, data={"csrf_token": csrf, "method": "qr", "qr_code": code})
    assert short.status_code == 422
    text = visible(short.text)
    assert "Please correct: Why the visit was short." in text
    assert "Why the visit was short: The visit lasted 5 minutes" in text
    assert "short_reason" not in text and not CODES.findall(text)
    assert 'data-testid="qr-form" >' in short.text  # the card form stays open to try again
    wrong = client.post(
        url,
        data={
            "csrf_token": csrf,
            "method": "qr",
            "qr_code": "E1.0000",
            "short_reason": "tasks_done",
        },
    )
    assert wrong.status_code == 422 and "This QR code is not the card of this elder." in wrong.text
    db.expire_all()
    assert db.scalar(select(Visit.check_out_at).where(Visit.order_id == order.id)) is None
    done = client.post(
        url,
        data={"csrf_token": csrf, "method": "qr", "qr_code": code, "short_reason": "tasks_done"},
        follow_redirects=False,
    )
    assert done.status_code == 303, visible(done.text)
    db.expire_all()
    visit = db.scalar(select(Visit).where(Visit.order_id == order.id))
    assert visit is not None and visit.check_out_method == "qr" and visit.check_out_flag is None
