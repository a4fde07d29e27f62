"""A family member follows several elders: the administrator links them, the phone home switches
between them, and the data scope is always the one elder chosen (never both, never another)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder
from tests.console.test_family_home import visible
from tests.orders.test_api import auth
from tests.web.test_order_pages import World, login, place
from tests.web.test_order_pages import world as world  # the fixture
from yiyang.registry.elders.models import Elder
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import UserAccount


def _new_family(client: TestClient, admin: dict[str, str], elder: Elder) -> int:
    """A family account made the way the district makes one: through the accounts API."""
    body = {
        "username": f"son{elder.id}", "password": PASSWORD, "display_name": "刘强",
        "role": "family", "elder_id": elder.id,
    }  # fmt: skip
    resp = client.post("/api/v1/users", json=body, headers=admin)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def _switch(client: TestClient, csrf: str, elder_id: object) -> int:
    data = {"csrf_token": csrf, "elder_id": str(elder_id)}
    return client.post("/m/elder", data=data, follow_redirects=False).status_code


def test_a_son_follows_his_mother_and_his_father_in_law(
    client: TestClient, db: Session, world: World
) -> None:
    mother = world.d.elder
    father_in_law = make_elder(db, world.d.tree.comm_b1, name="陈德明")
    first_order, _, _ = place(client, world)  # booked for the mother by the world's family user
    admin = auth(client, world.users["admin"].username)
    user_id = _new_family(client, admin, mother)
    links = client.get(f"/api/v1/users/{user_id}/elders", headers=admin).json()
    assert [(x["elder_id"], x["current"]) for x in links] == [(mother.id, True)]
    put = client.put(
        f"/api/v1/users/{user_id}/elders/{father_in_law.id}",
        json={"relationship": "女婿"}, headers=admin,
    )  # fmt: skip
    assert put.status_code == 200, put.text
    assert [(x["elder_id"], x["current"], x["relationship"]) for x in put.json()] == [
        (mother.id, True, None), (father_in_law.id, False, "女婿"),
    ]  # fmt: skip

    son = db.get_one(UserAccount, user_id)
    csrf = login(client, son, "/m/home")
    home = client.get("/m/home?lang=en")
    assert home.text.count('data-testid="follow-elder"') == 2
    text = visible(home.text)
    assert "Care for 王秀英" in text and "陈德明" in text
    assert client.get(f"/m/orders/{first_order}").status_code == 200

    assert _switch(client, csrf, father_in_law.id) == 303
    text = visible(client.get("/m/home?lang=en").text)
    assert "Care for 陈德明" in text and "No visit booked." in text
    assert client.get(f"/m/orders/{first_order}").status_code == 404  # the mother's, not now
    assert _switch(client, csrf, mother.id) == 303
    assert client.get(f"/m/orders/{first_order}").status_code == 200
    actions = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity == "user", AuditEvent.entity_id == user_id
        )
    ).all()
    assert {"create", "family_link", "family_switch"} <= set(actions)


def test_nobody_switches_to_an_elder_they_do_not_follow(
    client: TestClient, db: Session, world: World
) -> None:
    stranger = make_elder(db, world.d.tree.comm_b1, name="赵大爷")
    family = world.users["family"]
    csrf = login(client, family, "/m/home")
    for bad in (stranger.id, 0, "abc", "²", "9" * 40, ""):
        assert _switch(client, csrf, bad) == 404, bad
    db.expire_all()
    assert db.get_one(UserAccount, family.id).elder_id == world.d.elder.id
    assert 'data-testid="family-follow"' not in client.get("/m/home").text  # one elder: no switch
    operator = world.users["operator"]
    csrf = login(client, operator, "/account/password")
    assert _switch(client, csrf, world.d.elder.id) == 404  # only family accounts switch


def test_linking_is_for_administrators_and_says_what_is_wrong(
    client: TestClient, db: Session, world: World
) -> None:
    family, elder = world.users["family"], world.d.elder
    operator = auth(client, world.users["operator"].username)
    url = f"/api/v1/users/{family.id}/elders/{elder.id}"
    assert client.put(url, json={}, headers=operator).status_code == 403
    assert client.get(f"/api/v1/users/{family.id}/elders", headers=operator).status_code == 403
    admin = auth(client, world.users["admin"].username)
    not_family = client.put(
        f"/api/v1/users/{world.users['provider'].id}/elders/{elder.id}", json={}, headers=admin
    )
    assert not_family.status_code == 422 and '"field":"user_id"' in not_family.text
    missing = client.put(f"/api/v1/users/{family.id}/elders/999999", json={}, headers=admin)
    assert missing.status_code == 422 and "elder_id" in missing.text
    too_long = client.put(url, json={"relationship": "x" * 33}, headers=admin)
    assert too_long.status_code == 422
    nobody = client.get("/api/v1/users/999999/elders", headers=admin)
    assert nobody.status_code == 404


def test_unlinking_the_elder_on_screen_turns_to_the_next_then_to_nobody(
    client: TestClient, db: Session, world: World
) -> None:
    family, mother = world.users["family"], world.d.elder
    aunt = make_elder(db, world.d.tree.comm_a2, name="周桂芝")
    admin = auth(client, world.users["admin"].username)
    assert client.put(
        f"/api/v1/users/{family.id}/elders/{aunt.id}", json={}, headers=admin
    ).status_code == 200  # fmt: skip
    gone = client.delete(f"/api/v1/users/{family.id}/elders/{mother.id}", headers=admin)
    assert gone.status_code == 204
    db.expire_all()
    assert db.get_one(UserAccount, family.id).elder_id == aunt.id
    again = client.delete(f"/api/v1/users/{family.id}/elders/{mother.id}", headers=admin)
    assert again.status_code == 404
    assert client.delete(
        f"/api/v1/users/{family.id}/elders/{aunt.id}", headers=admin
    ).status_code == 204  # fmt: skip
    db.expire_all()
    assert db.get_one(UserAccount, family.id).elder_id is None
    login(client, family, "/account/password")
    home = client.get("/m/home")
    assert home.status_code == 200 and 'data-testid="next-visit"' not in home.text
