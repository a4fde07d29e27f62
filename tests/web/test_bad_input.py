"""Bad input never becomes a 500: the outside review's cases, each answered with a clear error."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import elder_payload, make_tree, make_user
from tests.conftest import FakeClock, Live
from tests.orders.builders import make_caregiver, make_district, window
from tests.orders.test_api import auth
from tests.web.test_registry_pages import elder_form, login
from yiyang.kit.sheets import cell_value
from yiyang.kit.types import parse_page, parse_row_id
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role
from yiyang.web.limits import BodyLimit

HUGE = "99999999999999999999"


def admin(client: TestClient, db: Session) -> dict[str, str]:
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    return auth(client, user.username)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/elders/{HUGE}",
        f"/api/v1/orders/{HUGE}",
        f"/api/v1/visits/{HUGE}",
        f"/api/v1/orders/{HUGE}/return-visits",
        f"/api/v1/elders/{HUGE}/orderable-services",
        "/api/v1/elders?page=4611686018427387904",
        "/api/v1/orders?page=4611686018427387904",
        f"/api/v1/staff?provider_id={HUGE}",
        f"/api/v1/orders?elder_id={HUGE}",
        "/api/v1/settlements?month=0000-01",
        "/api/v1/settlements?month=2026-13",
        "/api/v1/catalog/items?on=0001-01-01",
        "/api/v1/orders?date=9999-12-31",
    ],
)
def test_out_of_range_paths_and_queries_are_422(client: TestClient, db: Session, url: str) -> None:
    resp = client.get(url, headers=admin(client, db))
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "validation"


@pytest.mark.parametrize("q", ["²", "#²", "٣", HUGE, "\x00", "张\x00"])
def test_odd_searches_answer_a_list_or_a_422(client: TestClient, db: Session, q: str) -> None:
    h = admin(client, db)
    for url in ("/api/v1/orders", "/api/v1/elders", "/api/v1/staff", "/api/v1/visits/alerts"):
        resp = client.get(url, params={"q": q, "elder": q}, headers=h)
        assert resp.status_code in (200, 422), (url, resp.text)
        if "\x00" in q:
            assert resp.status_code == 422, (url, resp.text)


@pytest.mark.parametrize(
    "start",
    ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1899-12-31T23:00:00+00:00"],
)
def test_windows_at_the_ends_of_time_are_422(
    client: TestClient, db: Session, clock: FakeClock, start: str
) -> None:
    d = make_district(db)
    h = admin(client, db)
    body = {"elder_id": d.elder.id, "item_code": d.item.code, "window_start": start,
            "window_end": start}  # fmt: skip
    for url in ("/api/v1/orders", "/api/v1/orders/quote"):
        resp = client.post(url, json=body, headers=h)
        assert resp.status_code == 422, resp.text
        assert "window_start" in resp.text


def test_a_window_of_days_is_refused(client: TestClient, db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    h = admin(client, db)
    start, _ = window(clock.now)
    body = {"elder_id": d.elder.id, "item_code": d.item.code,
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(days=3)).isoformat()}  # fmt: skip
    resp = client.post("/api/v1/orders", json=body, headers=h)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["problems"][0]["code"] == "too_long"


@pytest.mark.parametrize("name", ["张\x00兰", "张\x1b[31m兰", "   ", "\u2028"])
def test_names_with_control_characters_or_only_spaces_are_422(
    client: TestClient, db: Session, name: str
) -> None:
    tree = make_tree(db)
    h = admin(client, db)
    before = db.scalar(select(func.count()).select_from(Elder))
    resp = client.post("/api/v1/elders", json=elder_payload(tree.comm_a1, name=name), headers=h)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["problems"][0]["field"] == "name"
    contact = {"name": name, "relationship": "son", "phone": "13611112222"}
    resp = client.post(
        "/api/v1/elders", json=elder_payload(tree.comm_a1, contacts=[contact]), headers=h
    )
    assert resp.status_code == 422, resp.text
    assert db.scalar(select(func.count()).select_from(Elder)) == before


def test_names_are_trimmed(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    resp = client.post(
        "/api/v1/elders",
        json=elder_payload(tree.comm_a1, name="  王秀英 "),
        headers=admin(client, db),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == "王秀英"


@pytest.mark.parametrize("consent", ["1930-01-01", "2027-06-01"])
def test_consent_before_birth_or_in_the_future_is_422(
    client: TestClient, db: Session, consent: str
) -> None:
    tree = make_tree(db)  # the fake clock stands at 2026-11-23; the builder's elder is born 1945
    body = elder_payload(tree.comm_a1, consent_date=consent)
    resp = client.post("/api/v1/elders", json=body, headers=admin(client, db))
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["problems"][0]["field"] == "consent_date"


def test_the_elder_form_shows_a_control_character_as_a_form_error(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, user.username)
    form = elder_form(tree.comm_a1.code, name="张\x00兰")
    resp = client.post("/elders/new?lang=en", data=form | {"csrf_token": csrf})
    assert resp.status_code == 422, resp.text
    assert "Remove the control characters (such as U+0000)" in resp.text
    assert db.scalar(select(func.count()).select_from(Elder)) == 0


def test_pages_with_impossible_ids_are_404(client: TestClient, db: Session) -> None:
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, user.username)
    for url in (
        f"/elders/{HUGE}",
        f"/orders/{HUGE}",
        "/alerts?page=²",
        "/orders/new?elder_id=²",
    ):
        resp = client.get(url)
        assert resp.status_code in (200, 404, 422), (url, resp.status_code)
        assert "<html" in resp.text
    assert client.get(f"/elders/{HUGE}").status_code == 404


def test_order_form_and_day_plan_at_the_ends_of_time_answer_a_page(
    client: TestClient, db: Session
) -> None:
    d = make_district(db)
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, user.username)
    for day in ("0001-01-01", "9999-12-31"):
        params = {"elder_id": str(d.elder.id), "item_code": d.item.code, "date": day,
                  "start": "00:00", "end": "01:00"}  # fmt: skip
        resp = client.get("/orders/new", params=params)
        assert resp.status_code == 200, resp.text
        resp = client.get("/dispatch/day-plan", params={"day": day})
        assert resp.status_code in (200, 422) and "<html" in resp.text, resp.text


def test_one_name_with_control_characters_does_not_break_the_export(
    client: TestClient, db: Session
) -> None:
    d = make_district(db)
    d.elder.name = "张\x07兰"  # as an old import may have left it
    db.flush()
    resp = client.get("/api/v1/elders/export", params={"format": "xlsx"}, headers=admin(client, db))
    assert resp.status_code == 200, resp.text
    sheet = load_workbook(io.BytesIO(resp.content)).active
    assert sheet is not None
    assert "张\ufffd兰" in [c.value for c in sheet[2]]


def test_cell_value_guards_formulas_and_control_characters() -> None:
    assert cell_value("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert cell_value("+1") == "'+1" and cell_value("@x") == "'@x" and cell_value("-2") == "'-2"
    assert cell_value("a\x00b\x1fc") == "a\ufffdb\ufffdc"
    assert cell_value("line\nbreak") == "line\nbreak"
    assert cell_value("=x", guard=False) == "=x"
    assert cell_value(5) == 5 and cell_value(None) is None


def test_row_ids_and_pages_from_text() -> None:
    assert [parse_row_id(t) for t in ("12", " 7 ", "²", "-1", "0", HUGE, "", None)] == [
        12, 7, None, None, None, None, None, None,
    ]  # fmt: skip
    assert [parse_page(t) for t in ("3", "²", "0", "4611686018427387904", None)] == [3, 1, 1, 1, 1]


def test_bodies_past_the_limit_are_413(client: TestClient, db: Session) -> None:
    h = admin(client, db)
    big = {"name": "x" * (2 * 1024 * 1024)}
    resp = client.post("/api/v1/providers", json=big, headers=h)
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"]["code"] == "too_large"
    chunks = (b"{" + b" " * 1024 * 1024 + b"}" for _ in range(1))  # no Content-Length
    resp = client.post(
        "/api/v1/providers", content=chunks, headers=h | {"Content-Type": "application/json"}
    )
    assert resp.status_code == 413, resp.text
    limit = BodyLimit(client.app, max_bytes=1024 * 1024, upload_bytes=10 * 1024 * 1024)
    assert limit.limit_for("/api/v1/elders/import") > 10 * 1024 * 1024
    assert limit.limit_for("/api/v1/orders") == 1024 * 1024


def test_a_reused_idempotency_key_with_another_body_is_422(live: Live) -> None:
    with live.factory() as session:
        d = make_district(session)
        make_caregiver(session, d.f_a1)
        user, _ = make_user(session, Role.OPERATOR)
        session.commit()
        elder_id, item_code, name = d.elder.id, d.item.code, user.username
    h = auth(live.client, name)
    start, end = window(live.clock.now)
    body = {"elder_id": elder_id, "item_code": item_code,
            "window_start": start.isoformat(), "window_end": end.isoformat()}  # fmt: skip
    key = {"Idempotency-Key": "same-key"}
    first = live.client.post("/api/v1/orders", json=body, headers=h | key)
    again = live.client.post("/api/v1/orders", json=body, headers=h | key)
    assert first.status_code == again.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"]
    other = live.client.post("/api/v1/orders", json=body | {"notes": "other"}, headers=h | key)
    assert other.status_code == 422, other.text
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert live.client.get("/api/v1/orders", headers=h).json()["total"] == 1


def test_error_statuses_are_documented_on_every_api_route(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert {"401", "404", "413", "422"} <= set(op["responses"]), (method, path)


def test_consent_rule_is_pure() -> None:
    from yiyang.registry.elders.rules import consent_date_problem

    born, today = date(1945, 3, 8), date(2026, 11, 23)
    assert consent_date_problem(date(2020, 1, 1), born, today) is None
    assert consent_date_problem(date(1944, 1, 1), born, today) is not None
    assert consent_date_problem(date(2026, 11, 24), born, today) is not None
