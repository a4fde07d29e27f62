"""Subsidy policies as data: versions from a date, retire, the pages, and the quote's reasons."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from tests.orders.builders import make_district, make_policy, window
from tests.web.test_order_pages import login
from yiyang.orders import policies
from yiyang.orders.policy_schemas import PolicyRetire, PolicyVersionIn
from yiyang.orders.seed import seed_policies
from yiyang.security.roles import Role

TODAY = date(2026, 11, 23)  # the test clock's day in China


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}", "Accept-Language": "en"}


def quote(client: TestClient, headers: dict[str, str], elder_id: int, days: int, clock: FakeClock):  # type: ignore[no-untyped-def]
    start, end = window(clock.now + timedelta(days=days))
    body = {
        "elder_id": elder_id, "item_code": "bath_home",
        "window_start": start.isoformat(), "window_end": end.isoformat(),
    }  # fmt: skip
    resp = client.post("/api/v1/orders/quote", json=body, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_the_quote_uses_the_version_of_the_service_date(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    make_policy(db, code="all", name="全员", effective_date=date(2026, 1, 1), share_percent=100)
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    data = PolicyVersionIn(
        name="全员（减半）", name_en="Everyone, half", effective_date=TODAY + timedelta(days=2),
        share_percent=50,
    )  # fmt: skip
    policies.add_version(db, admin, "all", data, today=TODAY, now=clock.now)
    h = auth(client, make_user(db, Role.OPERATOR)[0].username)
    assert quote(client, h, d.elder.id, 0, clock)["government_fen"] == 5000
    assert quote(client, h, d.elder.id, 3, clock)["government_fen"] == 2500
    policies.retire(
        db, admin, "all", PolicyRetire(effective_date=TODAY + timedelta(days=5)), today=TODAY,
        now=clock.now,
    )  # fmt: skip
    gone = quote(client, h, d.elder.id, 6, clock)
    assert gone["government_fen"] == 0 and gone["subsidy_reason"] == "no_policy"
    assert gone["subsidy_why"] == ["No government-purchase policy is in force on that day."] or (
        gone["subsidy_why"][0].startswith("当日")
    )
    summary, versions = policies.read_policy(db, admin, "all", TODAY)
    assert [v.retired for v in versions] == [False, False, True]
    assert summary.state == "in_force" and summary.current and summary.current.share_percent == 100


def test_not_eligible_says_why_in_the_api(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    make_policy(
        db, code="poor", name="特困供养", name_en="Extreme poverty care",
        eligibility=[{"economic_statuses": ["extreme_poverty"]}, {"min_age": 100}],
    )  # fmt: skip
    h = auth(client, make_user(db, Role.OPERATOR)[0].username) | {"Accept-Language": "en"}
    q = quote(client, h, d.elder.id, 0, clock)
    assert q["subsidy_reason"] == "not_eligible"
    assert q["subsidy_misses"][0]["clauses"][1] == [
        {"condition": "min_age", "required": 100, "actual": 86}
    ]
    (why,) = q["subsidy_why"]
    assert why.startswith("Extreme poverty care — not eligible: economic status is None")
    assert "aged 86 (needs 100 or older)" in why
    start, end = window(clock.now)
    insisted = client.post(
        "/api/v1/orders/quote",
        json={
            "elder_id": d.elder.id, "item_code": "bath_home", "window_start": start.isoformat(),
            "window_end": end.isoformat(), "government_purchase": True,
        },
        headers=h,
    )  # fmt: skip
    assert insisted.status_code == 422
    messages = [p["message"] for p in insisted.json()["error"]["problems"]]
    assert "Aged 86; the policy needs 100 or older." in messages


def test_version_dates_and_who_may_write(client: TestClient, db: Session, clock: FakeClock) -> None:
    seed_policies(db, TODAY)
    admin_user, _ = make_user(db, Role.DISTRICT_ADMIN)
    operator, _ = make_user(db, Role.OPERATOR)
    csrf = login(client, operator)
    page = client.get("/policies?lang=en")
    assert page.status_code == 200 and "Meal subsidy" in page.text and "助餐" not in page.text
    refused = client.post(
        "/policies/meal_subsidy/new-version?lang=en", data={"csrf_token": csrf, "name": "x"}
    )
    assert refused.status_code == 403
    csrf = login(client, admin_user)
    assert client.get("/policies/meal_subsidy/new-version").status_code == 200
    form = {
        "csrf_token": csrf, "name": "助餐补贴（每餐4元）", "name_en": "Meal subsidy (4 yuan)",
        "share_percent": "100", "per_order_cap_yuan": "4", "weekly_quota_count": "5",
        "item_codes": "meal_delivery, meal_centre", "c0_min_age": "60",
    }  # fmt: skip
    past = client.post(
        "/policies/meal_subsidy/new-version?lang=en", data=form | {"effective_date": "2026-11-01"}
    )
    assert past.status_code == 422 and "already priced" in past.text
    same = client.post(
        "/policies/meal_subsidy/new-version?lang=en", data=form | {"effective_date": "2026-01-01"}
    )
    assert same.status_code in (409, 422)
    bad = client.post(
        "/policies/meal_subsidy/new-version?lang=en",
        data=form | {"effective_date": "2026-12-01", "c0_min_age": "300"},
    )
    assert bad.status_code == 422
    ok = client.post(
        "/policies/meal_subsidy/new-version?lang=en",
        data=form | {"effective_date": "2026-12-01"},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    view = client.get("/policies/meal_subsidy")
    assert view.status_code == 200
    assert len(re.findall(r"<tr><td>2026-", view.text)) == 2
    _, versions = policies.read_policy(db, make_user(db, Role.OPERATOR)[1], "meal_subsidy", TODAY)
    assert versions[-1].per_order_cap_fen == 400 and versions[-1].eligibility == [{"min_age": 60}]
    assert versions[0].per_order_cap_fen == 300  # history as it was
    assert client.get("/policies/nope").status_code == 404
