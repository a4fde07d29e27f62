"""List pages read the area tree and their rows in a fixed number of queries, however many
streets and rows there are (no query per street or per row), counted on the real engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.builders import make_area, make_elder, make_tree, make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, make_caregiver, make_district, window
from tests.web.test_registry_pages import login
from yiyang.config import Settings
from yiyang.orders import service as order_service
from yiyang.orders.schemas import OrderCreate
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

SETTINGS = Settings(secret_key="x")

PAGES = ("/elders", "/elders?q=王", "/staff", "/facilities", "/providers", "/orders")


@contextmanager
def counted(db: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    conn = db.connection()

    def seen(_c: object, _cur: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(conn, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(conn, "before_cursor_execute", seen)


@pytest.mark.parametrize("path", PAGES)
def test_more_streets_and_rows_take_no_more_queries(
    client: TestClient, db: Session, path: str
) -> None:
    tree = make_tree(db)
    make_elder(db, tree.comm_a1)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin.username)
    client.get(path)  # warm: the session's token touch, caches
    with counted(db) as before:
        assert client.get(path).status_code == 200
    for n in range(3):
        street = make_area(db, f"41010502{n}", f"新街道{n}", "street", tree.district)
        for m in range(2):
            make_area(db, f"41010502{n}00{m}", f"新社区{n}{m}", "community", street)
            make_elder(db, tree.comm_b1 if m else tree.comm_a2)
    with counted(db) as after:
        assert client.get(path).status_code == 200
    assert len(after) == len(before), "\n".join(after)


def _rows(db: Session, d: District, clock: FakeClock, admin: Subject, n: int) -> None:
    """n more orders, each of its own elder with a caregiver of its own, and n more staff."""
    centres = (d.f_a1, d.f_a2, d.f_b1)
    communities = (d.tree.comm_a1, d.tree.comm_a2, d.tree.comm_b1)
    for i in range(n):
        caregiver = make_caregiver(db, centres[i % 3], skills={"bathing": 3, "cleaning": 2})
        elder = make_elder(db, communities[i % 3])
        start, end = window(clock.now, hours=24 + i)
        data = OrderCreate(elder_id=elder.id, item_code=d.item.code, window_start=start,
                           window_end=end)  # fmt: skip
        order, _ = order_service.create_order(db, admin, data, now=clock.now, settings=SETTINGS)
        order.provider_id, order.staff_id = caregiver.provider_id, caregiver.id
    db.flush()


@pytest.mark.parametrize("role", [Role.DISTRICT_ADMIN, Role.STREET_ADMIN])
@pytest.mark.parametrize("path", ["/orders", "/staff", "/elders"])
def test_more_rows_on_the_page_take_no_more_queries(
    client: TestClient, db: Session, clock: FakeClock, path: str, role: Role
) -> None:
    d = make_district(db)
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    user, _ = make_user(db, role, area=d.tree.street_a if role == Role.STREET_ADMIN else None)
    _rows(db, d, clock, admin, 1)
    login(client, user.username)
    client.get(path)  # warm: the session's token touch, caches
    with counted(db) as before:
        first = client.get(path)
    _rows(db, d, clock, admin, 6)
    with counted(db) as after:
        second = client.get(path)
    assert first.status_code == second.status_code == 200
    assert second.text.count("<tr") > first.text.count("<tr")  # the page really grew
    assert len(after) == len(before), "\n".join(after)
