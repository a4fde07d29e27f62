"""Filter codes on the elder and order lists: a value that is no choice is left out, and said so."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, Tree, make_elder, make_tree, make_user
from yiyang.security.roles import Role

PAYLOAD = "'+alert(1)+'"


@pytest.fixture
def tree_and_admin(client: TestClient, db: Session) -> Tree:
    tree = make_tree(db)
    make_elder(db, tree.comm_a1, name="北林老人")
    make_elder(db, tree.comm_b1, name="丰庆老人")
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    resp = client.post("/login", data={"username": admin.username, "password": PASSWORD})
    assert resp.status_code == 200
    return tree


@pytest.mark.parametrize("path", ["/elders", "/orders"])
@pytest.mark.parametrize(
    "params",
    [
        {"street_code": PAYLOAD},
        {"community_code": PAYLOAD},
        {"street_code": "410105999"},  # well formed, no such street
        {"community_code": "410105011"},  # a street is no community
        {"street_code": "4101050\x0019"},
        {"status": PAYLOAD},
        {"status": "lost"},
    ],
)
def test_a_value_that_is_no_choice_is_left_out_with_a_message(
    client: TestClient, tree_and_admin: Tree, path: str, params: dict[str, str]
) -> None:
    resp = client.get(path, params=params, headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    assert 'data-testid="filter-error"' in resp.text
    assert "A filter value that is not one of the choices was left out." in resp.text
    (value,) = params.values()
    assert f'value="{value}" selected' not in resp.text and "alert(1)" not in resp.text
    assert 'data-street=""' in resp.text  # the form knows no street
    fragment = client.get(path, params=params, headers={"HX-Request": "1", "HX-Target": "results"})
    assert fragment.headers["HX-Push-Url"] == path  # the address bar drops it too


def test_a_known_area_filters_and_is_kept(client: TestClient, tree_and_admin: Tree) -> None:
    code = tree_and_admin.street_a.code
    resp = client.get("/elders", params={"street_code": code})
    assert resp.status_code == 200 and 'data-testid="filter-error"' not in resp.text
    assert f'data-street="{code}"' in resp.text
    assert "北林老人" in resp.text and "丰庆老人" not in resp.text
