"""The page of an elder's alarm thresholds: defaults shown, own limits saved, nonsense refused
with the reason and the typed values kept, back to the defaults."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder, make_tree, make_user
from yiyang.alarms import rule_repository
from yiyang.security.roles import Role
from yiyang.web.csrf import csrf_token
from yiyang.web.deps import SESSION_COOKIE


def login(client: TestClient, username: str) -> str:
    resp = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text
    return csrf_token("test-secret", client.cookies[SESSION_COOKIE])


def test_an_operator_sets_own_limits_on_the_page_and_goes_back_to_the_defaults(
    client: TestClient, db: Session
) -> None:
    elder = make_elder(db, make_tree(db).comm_a1)
    user, _ = make_user(db, Role.OPERATOR)
    csrf = login(client, user.username)
    url = f"/elders/{elder.id}/alarm-thresholds"
    page = client.get(f"{url}?lang=en")
    assert page.status_code == 200
    assert "Heart rate" in page.text and "not clinical advice" in page.text
    form = {"csrf_token": csrf, "major_high": "110", "critical_high": "130", "major_low": "55",
            "critical_low": "45", "consecutive": "2", "silence_minutes": "30",
            "window_start": "", "window_end": "", "note": "on beta blockers"}  # fmt: skip
    saved = client.post(f"{url}/heart_rate", data=form, follow_redirects=False)
    assert saved.status_code == 303
    row = rule_repository.threshold(db, elder.id, "heart_rate")
    assert row is not None and row.major_high == 110 and row.note == "on beta blockers"
    assert "Own limits" in client.get(f"{url}?lang=en").text
    bad = client.post(f"{url}/heart_rate?lang=en", data={**form, "major_low": "120"})
    assert bad.status_code == 422
    assert "The low limits must be below the high limits." in bad.text
    assert 'value="120"' in bad.text  # what was typed stays in the form
    db.refresh(row)
    assert row.major_low == 55
    reset = client.post(
        f"{url}/heart_rate/reset", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert reset.status_code == 303
    assert rule_repository.threshold(db, elder.id, "heart_rate") is None


def test_a_reader_without_the_right_sees_no_forms_and_out_of_scope_is_404(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    far = make_elder(db, tree.comm_b1, name="赵淑珍")
    user, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    login(client, user.username)
    page = client.get(f"/elders/{elder.id}/alarm-thresholds")
    assert page.status_code == 200
    can_write = 'data-testid="threshold-form-heart_rate"' in page.text
    from yiyang.security.roles import ROLE_PERMISSIONS, Perm

    perms = ROLE_PERMISSIONS[Role.COMMUNITY_STAFF]
    assert can_write == (Perm.ALARM_HANDLE in perms or Perm.ELDER_WRITE in perms)
    assert client.get(f"/elders/{far.id}/alarm-thresholds").status_code == 404
