"""The elder page's family accounts card: the district admin links a family account by its
sign-in name and unlinks it (audited, as the API does); a wrong name or a staff account is
named beside its field and links nothing; other roles are refused, elders outside scope 404."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree, make_user
from tests.web.test_order_pages import login
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import FamilyLink, UserAccount
from yiyang.security.roles import Role


def test_the_admin_links_a_family_account_and_unlinks_it(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    son, _ = make_user(db, Role.FAMILY)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, admin, f"/elders/{elder.id}")
    page = client.get(f"/elders/{elder.id}?lang=en").text
    assert f'hx-get="/elders/{elder.id}/family"' in page
    empty = client.get(f"/elders/{elder.id}/family?lang=en")
    assert empty.status_code == 200 and "No family account follows this elder." in empty.text
    linked = client.post(
        f"/elders/{elder.id}/family?lang=en",
        data={"username": f" {son.username} ", "relationship": "son", "csrf_token": csrf},
    )
    assert linked.status_code == 200, linked.text
    assert f'data-follower="{son.username}"' in linked.text and "son" in linked.text
    db.expire_all()
    assert db.scalar(select(UserAccount.elder_id).where(UserAccount.id == son.id)) == elder.id
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "user")).all()
    assert "family_link" in actions
    gone = client.post(
        f"/elders/{elder.id}/family/{son.id}/unlink?lang=en", data={"csrf_token": csrf}
    )
    assert gone.status_code == 200 and "No family account follows this elder." in gone.text
    db.expire_all()
    assert db.scalar(select(FamilyLink).where(FamilyLink.user_id == son.id)) is None


def test_a_wrong_name_or_a_staff_account_is_named_beside_the_field(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    operator, _ = make_user(db, Role.OPERATOR)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, admin, f"/elders/{elder.id}")
    for name, words in (
        ("nobody-here", "No account signs in as nobody-here."),
        (operator.username, "Only a family account follows elders."),
        ("", "Enter the family member&#39;s sign-in name."),
    ):
        resp = client.post(
            f"/elders/{elder.id}/family?lang=en",
            data={"username": name, "relationship": "son", "csrf_token": csrf},
        )
        assert resp.status_code == 422, resp.text
        assert 'data-field="username"' in resp.text and words in resp.text
        assert f'value="{name}"' in resp.text  # what was typed stays
    assert db.scalar(select(FamilyLink)) is None


def test_other_roles_may_not_and_an_unknown_elder_is_not_found(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    street, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    csrf = login(client, street, f"/elders/{elder.id}")
    assert (
        'hx-get="/elders/' + str(elder.id) + '/family"'
        not in client.get(f"/elders/{elder.id}").text
    )
    assert client.get(f"/elders/{elder.id}/family").status_code == 403
    refused = client.post(f"/elders/{elder.id}/family", data={"username": "x", "csrf_token": csrf})
    assert refused.status_code == 403
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin, f"/elders/{elder.id}")
    assert client.get("/elders/99999999/family").status_code == 404
