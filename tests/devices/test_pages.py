"""Device pages: the list with counts, register with the secret once, bind, replace, retire."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree, make_user
from tests.devices.builders import new_imei
from tests.web.test_registry_pages import login
from yiyang.devices import repository as repo
from yiyang.security.roles import Role


def _register(client: TestClient, csrf: str, imei: str, kind: str = "pull_cord") -> int:
    resp = client.post(
        "/devices/new",
        data={"csrf_token": csrf, "kind": kind, "vendor": "颐家", "model": "PC-1",
              "protocol": "house", "identity_imei": imei},
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert 'data-testid="device-secret"' in resp.text
    found = re.search(r"/devices/(\d+)/bind", resp.text)
    assert found
    return int(found.group(1))


def test_register_bind_replace_and_retire_through_the_pages(
    client: TestClient, db: Session
) -> None:
    t = make_tree(db)
    elder = make_elder(db, t.comm_a1)
    user, subject = make_user(db, Role.STREET_ADMIN, area=t.street_a)
    csrf = login(client, user.username)
    client.cookies.set("yiyang_lang", "en")
    first = _register(client, csrf, new_imei())
    page = client.get(f"/devices/{first}")
    assert page.status_code == 200 and 'data-testid="device-secret"' not in page.text
    bound = client.post(
        f"/devices/{first}/bind",
        data={"csrf_token": csrf, "elder": elder.id_number, "location_note": "by the bed"},
        follow_redirects=False,
    )
    assert bound.status_code == 303, bound.text
    record = client.get(f"/devices/{first}").text
    assert "by the bed" in record and elder.name in record and "Pull-cord alarm" in record
    second = _register(client, csrf, new_imei())
    imei = repo.get(db, subject, second).identities[0].value
    rep = client.post(f"/devices/{first}/replace", data={"csrf_token": csrf, "new_device": imei},
                      follow_redirects=False)  # fmt: skip
    assert rep.status_code == 303 and rep.headers["location"].startswith(f"/devices/{second}")
    no_reason = client.post(f"/devices/{second}/retire", data={"csrf_token": csrf})
    assert no_reason.status_code == 422 and "Say why" in no_reason.text
    listing = client.get("/devices").text
    assert 'data-testid="device-counts"' in listing and f'data-device="{second}"' in listing


def test_bad_identity_is_shown_in_words_and_nothing_saved(client: TestClient, db: Session) -> None:
    user, subject = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, user.username)
    client.cookies.set("yiyang_lang", "en")
    resp = client.post(
        "/devices/new",
        data={"csrf_token": csrf, "kind": "pull_cord", "vendor": "v", "model": "m",
              "protocol": "house", "identity_imei": "490154203237519"},
    )  # fmt: skip
    assert resp.status_code == 422 and "check digit" in resp.text
    assert repo.find_one(db, subject, "490154203237519") is None


def test_out_of_scope_device_page_is_404(client: TestClient, db: Session) -> None:
    t = make_tree(db)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    user, _ = make_user(db, Role.STREET_ADMIN, area=t.street_b)
    csrf = login(client, admin.username)
    device_id = _register(client, csrf, new_imei())
    client.cookies.clear()
    login(client, user.username)
    assert client.get(f"/devices/{device_id}").status_code == 404


def test_the_elder_page_shows_the_elders_devices(client: TestClient, db: Session) -> None:
    t = make_tree(db)
    elder, other = make_elder(db, t.comm_a1), make_elder(db, t.comm_b1)
    user, _ = make_user(db, Role.STREET_ADMIN, area=t.street_a)
    csrf = login(client, user.username)
    client.cookies.set("yiyang_lang", "en")
    device_id = _register(client, csrf, new_imei())
    client.post(f"/devices/{device_id}/bind", data={"csrf_token": csrf, "elder": elder.id_number})
    assert 'hx-get="/console/devices/elders/' in client.get(f"/elders/{elder.id}").text
    part = client.get(f"/console/devices/elders/{elder.id}", headers={"HX-Request": "true"})
    assert part.status_code == 200 and f'data-device="{device_id}"' in part.text
    assert "Pull-cord alarm" in part.text
    assert client.get(f"/console/devices/elders/{other.id}").status_code == 404
