"""The service catalog through the JSON API: prices on a date, versioning, editing, audit."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_catalog_item, make_category, make_user
from tests.conftest import FakeClock
from yiyang.registry.catalog import repository as catalog_repository
from yiyang.registry.catalog.models import ServiceItem, ServicePrice
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def price_count(db: Session) -> int:
    return db.scalar(select(func.count(ServicePrice.id))) or 0


HISTORY = ((date(2025, 1, 1), 5000, 60), (date(2026, 12, 1), 5500, 50))


def test_items_show_the_price_in_force_on_a_date(client: TestClient, db: Session) -> None:
    item = make_catalog_item(db, prices=HISTORY)
    user, _ = make_user(db, Role.CAREGIVER)
    headers = auth(client, user.username)

    def shown(**params: str) -> dict[str, object]:
        resp = client.get("/api/v1/catalog/items", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        return next(i for i in resp.json() if i["code"] == item.code)

    today = shown()  # the fixed clock: 2026-11-23 in China
    assert today["on"] == "2026-11-23" and today["price_fen"] == 5000
    assert today["standard_minutes"] == 60
    assert shown(on="2026-11-30")["price_fen"] == 5000
    later = shown(on="2026-12-01")
    assert later["price_fen"] == 5500 and later["standard_minutes"] == 50
    assert shown(on="2024-12-31")["price_fen"] is None
    detail = client.get(f"/api/v1/catalog/items/{item.code}", headers=headers).json()
    assert [p["price_fen"] for p in detail["prices"]] == [5000, 5500]
    assert client.get("/api/v1/catalog/items/NOPE", headers=headers).status_code == 404


def test_price_in_force_repository_function(db: Session) -> None:
    item = make_catalog_item(db, prices=HISTORY)
    assert catalog_repository.price_in_force(db, item.id, date(2024, 12, 31)) is None
    found = catalog_repository.price_in_force(db, item.id, date(2026, 11, 30))
    assert found is not None and found.price_fen == 5000
    found = catalog_repository.price_in_force(db, item.id, date(2026, 12, 1))
    assert found is not None and found.price_fen == 5500


def test_filters_and_categories(client: TestClient, db: Session) -> None:
    bought = make_catalog_item(db, government_purchasable=True)
    private = make_catalog_item(db, government_purchasable=False)
    hidden = make_catalog_item(db, active=False)
    user, _ = make_user(db, Role.ELDER)
    headers = auth(client, user.username)
    cats = client.get("/api/v1/catalog/categories", headers=headers).json()
    assert "daily_living" in {c["code"] for c in cats}
    codes = {
        i["code"]
        for i in client.get(
            "/api/v1/catalog/items", params={"government_purchasable": "true"}, headers=headers
        ).json()
    }
    assert bought.code in codes and private.code not in codes
    codes = {
        i["code"]
        for i in client.get(
            "/api/v1/catalog/items", params={"category": "daily_living"}, headers=headers
        ).json()
    }
    assert {bought.code, private.code} <= codes and hidden.code not in codes  # inactive hidden
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    codes = {
        i["code"]
        for i in client.get("/api/v1/catalog/items", headers=auth(client, admin.username)).json()
    }
    assert hidden.code in codes  # editors see inactive items


def test_add_price_version_then_it_takes_effect(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    item = make_catalog_item(db)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    headers = auth(client, admin.username)
    resp = client.post(
        f"/api/v1/catalog/items/{item.code}/prices",
        json={"effective_date": "2026-12-01", "price_fen": 6000, "standard_minutes": 45},
        headers=headers,
    )
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["price_fen"] == 5000  # still the old price today
    assert [p["effective_date"] for p in data["prices"]] == ["2025-01-01", "2026-12-01"]
    row = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "add_price", AuditEvent.entity_id == item.id)
    )
    assert row is not None and row.before is None
    assert row.after == {"effective_date": "2026-12-01", "price_fen": 6000, "standard_minutes": 45}
    clock.advance(days=8)  # 2026-12-01 in China
    shown = client.get(f"/api/v1/catalog/items/{item.code}", headers=headers).json()
    assert shown["price_fen"] == 6000 and shown["standard_minutes"] == 45
    # a version today is allowed
    resp = client.post(
        f"/api/v1/catalog/items/{item.code}/prices",
        json={"effective_date": "2026-12-01", "price_fen": 6100, "standard_minutes": 45},
        headers=headers,
    )
    assert resp.status_code == 409  # but not twice on the same day


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        (
            {"effective_date": "2026-11-22", "price_fen": 6000, "standard_minutes": 45},
            "effective_date",
            422,
        ),
        (
            {"effective_date": "2025-01-01", "price_fen": 6000, "standard_minutes": 45},
            "effective_date",
            422,
        ),
        (
            {"effective_date": "2027-01-01", "price_fen": 6000, "standard_minutes": 45},
            "effective_date",
            409,
        ),
        (
            {"effective_date": "2027-02-01", "price_fen": -1, "standard_minutes": 45},
            "price_fen",
            422,
        ),
        (
            {"effective_date": "2027-02-01", "price_fen": 100, "standard_minutes": 0},
            "standard_minutes",
            422,
        ),
        (
            {"effective_date": "someday", "price_fen": 100, "standard_minutes": 30},
            "effective_date",
            422,
        ),
    ],
)
def test_past_duplicate_or_bad_price_versions_are_refused(
    client: TestClient, db: Session, body: dict[str, object], field: str, status: int
) -> None:
    item = make_catalog_item(
        db, prices=((date(2025, 1, 1), 5000, 60), (date(2027, 1, 1), 5200, 60))
    )
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    before = price_count(db)
    resp = client.post(
        f"/api/v1/catalog/items/{item.code}/prices", json=body, headers=auth(client, admin.username)
    )
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["field"] == field or any(p["field"] == field for p in err["problems"]), err
    assert price_count(db) == before
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "add_price")) == 0


def test_create_and_update_item_with_audit(client: TestClient, db: Session) -> None:
    make_category(db)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    headers = auth(client, admin.username)
    price = {"effective_date": "2026-11-23", "price_fen": 12000, "standard_minutes": 90}
    body: dict[str, object] = {
        "code": "BATH-HOME",
        "category_code": "daily_living",
        "name_zh": "上门助浴",
        "name_en": "Bathing at home",
        "required_skills": ["bathing", "bathing", "personal_care"],
        "government_purchasable": True,
        "price": price,
    }
    resp = client.post("/api/v1/catalog/items", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["price_fen"] == 12000 and data["required_skills"] == ["bathing", "personal_care"]
    resp = client.patch(
        "/api/v1/catalog/items/BATH-HOME", json={"name_en": "Home bathing"}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    rows = db.scalars(
        select(AuditEvent).where(AuditEvent.entity == "service_item").order_by(AuditEvent.id)
    ).all()
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[0].after is not None and rows[0].after["prices"][0]["price_fen"] == 12000
    assert rows[1].before == {"name_en": "Bathing at home"}
    assert rows[1].after == {"name_en": "Home bathing"}
    # bad input: past first price, unknown category, unknown skill, duplicate code
    count = db.scalar(select(func.count(ServiceItem.id)))
    for override, field, status in (
        (
            {"code": "X1", "price": price | {"effective_date": "2020-01-01"}},
            "price.effective_date",
            422,
        ),
        ({"code": "X2", "category_code": "nope"}, "category_code", 422),
        ({"code": "X3", "required_skills": ["juggling"]}, "required_skills.0", 422),
        ({}, "code", 409),
    ):
        resp = client.post("/api/v1/catalog/items", json=body | override, headers=headers)
        assert resp.status_code == status, resp.text
        err = resp.json()["error"]
        assert err["field"] == field or any(p["field"] == field for p in err["problems"]), err
    assert db.scalar(select(func.count(ServiceItem.id))) == count
    bad = client.patch(
        "/api/v1/catalog/items/BATH-HOME", json={"category_code": "nope"}, headers=headers
    )
    assert bad.status_code == 422


def test_only_catalog_editors_write(client: TestClient, db: Session) -> None:
    item = make_catalog_item(db)
    user, _ = make_user(db, Role.STREET_ADMIN)
    headers = auth(client, user.username)
    resp = client.post(
        f"/api/v1/catalog/items/{item.code}/prices",
        json={"effective_date": "2027-01-01", "price_fen": 1, "standard_minutes": 1},
        headers=headers,
    )
    assert resp.status_code == 403
    resp = client.patch(
        f"/api/v1/catalog/items/{item.code}", json={"active": False}, headers=headers
    )
    assert resp.status_code == 403
