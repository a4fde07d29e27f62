"""The day plan page: preview changes nothing, apply needs CSRF and a district dispatcher."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.dispatch.test_day_plan import crossed, tomorrow
from tests.orders.builders import make_district
from tests.web.test_order_pages import login
from yiyang.security.roles import Role


def test_preview_lists_the_moves_and_apply_makes_them(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    near, far, (first, second) = crossed(db, d, clock)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    db.commit()
    csrf = login(client, admin, "/dispatch/day-plan")
    day = tomorrow(clock, "00:00").date().isoformat()
    page = client.get("/dispatch/day-plan", params={"day": day, "preview": "1"})
    assert page.status_code == 200
    assert page.text.count('data-testid="plan-move"') == 2 and "plan-apply" in page.text
    calm = client.get("/dispatch/day-plan", params={"day": day, "keep": "8", "preview": "1"})
    assert 'data-testid="plan-move"' not in calm.text and 'value="8" selected' in calm.text
    db.refresh(first)
    assert first.staff_id == far.id  # a preview changes nothing
    refused = client.post("/dispatch/day-plan", data={"day": day})
    assert refused.status_code == 403  # no CSRF token
    done = client.post("/dispatch/day-plan", data={"day": day, "csrf_token": csrf})
    assert done.status_code == 200 and 'data-testid="plan-applied"' in done.text
    db.refresh(first)
    db.refresh(second)
    assert (first.staff_id, second.staff_id) == (near.id, far.id)
    order_page = client.get(f"/orders/{first.id}").text
    assert "与当天其他服务统一重新规划" in order_page and ">day_plan<" not in order_page
    assert 'data-testid="act-reassign"' not in order_page  # the picker assigns, not a button


def test_bad_day_and_wrong_roles_are_refused_clearly(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    street, _ = make_user(db, Role.STREET_ADMIN, area=d.tree.street_a)
    family, _ = make_user(db, Role.FAMILY, elder=d.elder)
    db.commit()
    login(client, admin, "/dispatch/day-plan")
    bad = client.get("/dispatch/day-plan", params={"day": "24/11/2026", "preview": "1"})
    assert bad.status_code == 422 and 'data-testid="plan-error"' in bad.text
    login(client, admin, "/dispatch/day-plan")  # the refused request rolled the session back
    keep = client.get("/dispatch/day-plan", params={"keep": "many", "preview": "1"})
    assert keep.status_code == 422 and 'data-testid="plan-error"' in keep.text
    login(client, admin, "/dispatch/day-plan")
    past = client.get("/dispatch/day-plan", params={"day": "2026-01-01", "preview": "1"})
    assert past.status_code == 422 and "2026-01-01" in past.text
    login(client, street, "/orders")
    assert client.get("/dispatch/day-plan", params={"preview": "1"}).status_code == 403
    login(client, family, "/m/orders")
    assert client.get("/dispatch/day-plan").status_code == 403
