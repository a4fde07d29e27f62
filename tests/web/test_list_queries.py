"""List pages read the area tree in a fixed number of queries, however many streets and
rows there are (no query per street or per row)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.builders import make_area, make_elder, make_tree, make_user
from tests.web.test_registry_pages import login
from yiyang.security.roles import Role

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
