"""Dispatch pages and API in both languages: queue, candidate picker, assignment by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import INSIDE_2, make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, make_caregiver, make_district, window
from tests.orders.test_api import auth
from tests.web.test_order_pages import login
from yiyang.config import Settings
from yiyang.dispatch import service
from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role


@dataclass
class Scene:
    """One caregiver busy with a first order; the next two wait in the queue.

    `queued` must start as the first ends, across the district: no time for the trip, but no
    overlap either (a dispatcher may override that). `clash` is at the first one's hour.
    """

    d: District
    busy: Staff
    off: Staff
    first: ServiceOrder
    queued: ServiceOrder
    clash: ServiceOrder
    operator: UserAccount


def _login(client: TestClient, db: Session, user: UserAccount) -> str:
    """Log in and keep it: a refused form rolls the request back to here (the test still will)."""
    csrf = login(client, user)
    db.commit()
    return csrf


@pytest.fixture
def scene(db: Session, clock: FakeClock) -> Scene:
    d = make_district(db)
    busy = make_caregiver(db, d.f_a1, name="赵丽")
    operator, subject = make_user(db, Role.OPERATOR)
    start, end = window(clock.now, length_min=60)
    data = OrderCreate(
        elder_id=d.elder.id, item_code="bath_home", window_start=start, window_end=end
    )
    settings = Settings(secret_key="x")
    first = service.submit_order(db, subject, data, now=clock.now, settings=settings)
    away = make_elder(db, d.tree.comm_b1, name="张桂兰", lat_lon=INSIDE_2)
    after = data.model_copy(
        update={"elder_id": away.id, "window_start": end, "window_end": end + timedelta(hours=1)}
    )
    queued = service.submit_order(db, subject, after, now=clock.now, settings=settings)
    clash = service.submit_order(db, subject, data, now=clock.now, settings=settings)
    assert (first.staff_id, queued.status, clash.status) == (busy.id, "queued", "queued")
    off = make_caregiver(db, d.f_b1, pattern={}, name="孙敏")  # joined after the dispatch
    return Scene(d, busy, off, first, queued, clash, operator)


def test_queue_explains_why_in_the_readers_language(client: TestClient, scene: Scene) -> None:
    login(client, scene.operator)
    zh = client.get("/dispatch/queue", params={"lang": "zh_CN"})
    assert zh.status_code == 200
    assert "助浴" in zh.text and "is busy at that time" not in zh.text
    assert f'hx-get="/dispatch/orders/{scene.queued.id}/picker' in zh.text
    en = client.get("/dispatch/queue", params={"lang": "en"})
    assert "Every caregiver with Bathing is busy at that time." in en.text


def test_picker_lists_the_ranked_candidates_with_translated_reasons(
    client: TestClient, scene: Scene
) -> None:
    login(client, scene.operator)
    url = f"/dispatch/orders/{scene.queued.id}/picker"
    page = client.get(url, params={"lang": "en", "next": f"/orders/{scene.queued.id}"})
    assert page.status_code == 200
    assert f'data-staff="{scene.busy.id}" data-fit="busy"' in page.text
    assert f'data-staff="{scene.off.id}" data-fit="shift"' in page.text
    assert page.text.index("赵丽") < page.text.index("孙敏")
    assert "Busy at that time" in page.text and "Not on shift then" in page.text
    assert f'name="next" value="/orders/{scene.queued.id}"' in page.text
    zh = client.get(url, params={"lang": "zh_CN"}).text
    assert "该时段忙碌" in zh and "该时段不在班" in zh and "忽略忙碌" in zh
    # Off-site targets are not followed.
    assert (
        'value="https://evil.example"'
        not in client.get(url, params={"next": "https://evil.example"}).text
    )


def _busy_form(
    client: TestClient, db: Session, scene: Scene, order: ServiceOrder, **fields: str
) -> tuple[str, dict[str, str]]:
    """Logged in as the operator: the assign URL of an order and a form picking the busy one."""
    csrf = _login(client, db, scene.operator)
    form = {"csrf_token": csrf, "staff_id": str(scene.busy.id), "reason": "老人点名"}
    return f"/dispatch/orders/{order.id}/assign", form | fields


def test_assign_by_hand_refuses_busy_then_accepts_the_override(
    client: TestClient, db: Session, scene: Scene
) -> None:
    url, form = _busy_form(client, db, scene, scene.queued, next=f"/orders/{scene.queued.id}")
    refused = client.post(url, data=form, params={"lang": "en"}, follow_redirects=False)
    assert refused.status_code == 422
    assert "赵丽 is busy with another visit at that time" in refused.text
    assert 'data-error-for="override_busy"' in refused.text
    assert f'value="{scene.busy.id}" aria-label="赵丽" checked' in refused.text  # kept
    assert 'value="老人点名"' in refused.text
    assert scene.queued.status == "queued"
    done = client.post(url, data=form | {"override_busy": "1"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/orders/{scene.queued.id}"
    db.refresh(scene.queued)
    assert (scene.queued.status, scene.queued.staff_id) == ("assigned", scene.busy.id)
    assert scene.queued.planned_start_at == scene.first.planned_end_at  # as the first ends
    detail = client.get(f"/orders/{scene.queued.id}", params={"lang": "zh_CN"}).text
    assert (
        'data-testid="busy-overridden"' in detail
        and "由 operator user 人工指派：老人点名" in detail
    )


def test_an_override_never_puts_a_visit_on_top_of_another(
    client: TestClient, db: Session, scene: Scene
) -> None:
    url, form = _busy_form(client, db, scene, scene.clash, override_busy="1")
    refused = client.post(url, data=form, params={"lang": "en"}, follow_redirects=False)
    assert refused.status_code == 409
    local = scene.first.window_start_at.astimezone(CHINA_TZ)
    assert (
        f"赵丽 already has a visit on {local:%Y-%m-%d} from {local:%H:%M} to "
        f"{local + timedelta(hours=1):%H:%M} (order {scene.first.id}, elder 王**)."
    ) in refused.text
    zh = client.post(url, data=form, params={"lang": "zh_CN"}, follow_redirects=False)
    assert zh.status_code == 409 and f"订单 {scene.first.id}" in zh.text
    db.refresh(scene.clash)
    assert (scene.clash.status, scene.clash.staff_id) == ("queued", None)
    h = auth(client, scene.operator.username)
    body = {"staff_id": scene.busy.id, "reason": "elder asked", "override_busy": True}
    api = client.post(f"/api/v1/orders/{scene.clash.id}/assign", json=body, headers=h)
    assert api.status_code == 409 and api.json()["error"]["code"] == "double_booked"
    assert api.json()["error"]["field"] == "staff_id"


def test_assign_needs_a_caregiver_and_a_reason(
    client: TestClient, db: Session, scene: Scene
) -> None:
    csrf = _login(client, db, scene.operator)
    url = f"/dispatch/orders/{scene.queued.id}/assign"
    none = client.post(url, data={"csrf_token": csrf, "reason": "x"}, params={"lang": "en"})
    assert none.status_code == 422 and "Choose a caregiver." in none.text
    blank = client.post(
        url, data={"csrf_token": csrf, "staff_id": str(scene.off.id), "reason": " "},
        params={"lang": "en"},
    )  # fmt: skip
    assert blank.status_code == 422 and "Give a reason for the manual assignment." in blank.text


def test_order_page_loads_the_picker_for_dispatchers_only(
    client: TestClient, db: Session, scene: Scene
) -> None:
    login(client, scene.operator)
    page = client.get(f"/orders/{scene.queued.id}", params={"lang": "en"}).text
    assert 'data-testid="assign-card"' in page
    picker = f"/dispatch/orders/{scene.queued.id}/picker?next=/orders/{scene.queued.id}&lang=en"
    assert f'hx-get="{picker}"' in page
    assert "The offer expired" not in page and "Everyone with the skills is busy" in page
    family, _ = make_user(db, Role.FAMILY, elder=scene.d.elder)
    login(client, family, "/m/orders")
    assert 'data-testid="assign-card"' not in client.get(f"/orders/{scene.queued.id}").text
    assert client.get(f"/dispatch/orders/{scene.queued.id}/picker").status_code == 403


def test_api_returns_the_lines_and_the_explanation_in_the_requests_language(
    client: TestClient, scene: Scene
) -> None:
    h = auth(client, scene.operator.username)
    zh = client.get(f"/api/v1/orders/{scene.queued.id}", headers=h | {"Accept-Language": "zh-CN"})
    en = client.get(f"/api/v1/orders/{scene.queued.id}", headers=h | {"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 200
    zd, ed = zh.json()["decisions"][-1], en.json()["decisions"][-1]
    assert ed["explanation"].startswith("Every caregiver with Bathing is busy at that time.")
    assert "助浴" in zd["explanation"] and zd["explanation_lines"] == ed["explanation_lines"]
    assert zd["explanation_lines"][0]["p"]["skills"] == {"vocab": "skill", "codes": ["bathing"]}
    queue = next(e for e in en.json()["timeline"] if e["event"] == "queue")
    assert (queue["reason"], queue["reason_label"]) == ("busy", "Everyone with the skills is busy")
    body = {"staff_id": scene.busy.id, "reason": "elder asked"}
    refused = client.post(f"/api/v1/orders/{scene.queued.id}/assign", json=body, headers=h)
    assert refused.status_code == 422, refused.text
    ok = client.post(
        f"/api/v1/orders/{scene.queued.id}/assign", json=body | {"override_busy": True}, headers=h
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["decisions"][-1]["busy_overridden"] is True
