"""HTML pages in-process: login redirect, navigation by role, scope, htmx fragments, forms."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import (
    INSIDE,
    PASSWORD,
    make_catalog_item,
    make_elder,
    make_facility,
    make_provider,
    make_staff,
    make_tree,
    make_user,
    new_id_number,
)
from yiyang.registry.elders.models import Elder
from yiyang.registry.facilities.models import Facility
from yiyang.security.roles import Role
from yiyang.web.csrf import csrf_token
from yiyang.web.deps import SESSION_COOKIE


def login(client: TestClient, username: str) -> str:
    """Log in through the form; returns the CSRF token of the session."""
    resp = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text
    return csrf_token("test-secret", client.cookies[SESSION_COOKIE])


def elder_form(community_code: str, **overrides: str) -> dict[str, str]:
    form = {
        "id_number": new_id_number(),
        "name": "张桂兰",
        "phone": "13712345678",
        "community_code": community_code,
        "address": "北林路 18 号院",
        "lat": str(INSIDE[0]),
        "lon": str(INSIDE[1]),
        "geofence_m": "150",
        "living_situation": "alone",
        "economic_status": "none",
        "special_groups": "living_alone",
        "consent_given": "on",
        "contacts.0.name": "张伟",
        "contacts.0.relationship": "儿子",
        "contacts.0.phone": "13611112222",
        "contacts.0.has_key": "on",
    }
    form.update(overrides)
    return form


def field_block(html: str, name: str) -> str:
    match = re.search(
        rf'<div class="field [^"]*" data-field="{re.escape(name)}">(.*?)</div>\s*(?=<div class="field|</div>)',
        html,
        re.S,
    )
    assert match, f"no field {name}"
    return match.group(0)


def elder_count(db: Session) -> int:
    return db.scalar(select(func.count(Elder.id))) or 0


def test_pages_send_strangers_to_login(client: TestClient) -> None:
    resp = client.get("/elders?q=x", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=/elders?q=x"
    assert client.get("/login").status_code == 200


def test_navigation_follows_the_role(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    caregiver, _ = make_user(db, Role.CAREGIVER)
    login(client, caregiver.username)
    resp = client.get("/", headers={"Accept-Language": "en"}, follow_redirects=False)
    assert resp.headers["location"] == "/m/today"  # a caregiver's home is her day, on a phone
    home = client.get("/m/today", headers={"Accept-Language": "en"}).text
    assert 'href="/elders"' not in home and 'href="/staff"' not in home
    client.cookies.clear()
    staff_user, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    login(client, staff_user.username)
    home = client.get("/").text
    assert 'href="/elders"' in home and 'href="/facilities"' in home
    assert 'href="/staff"' not in home and 'href="/providers"' not in home


def test_home_pages_of_each_scope(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    make_elder(db, tree.comm_a1, groups=("living_alone",))
    make_elder(db, tree.comm_b1)
    provider = make_provider(db)
    facility = make_facility(db, tree.street_a, provider=provider, name="北林中心")
    make_staff(db, provider, facility=facility)
    for role, binding in (
        (Role.DISTRICT_ADMIN, {}),
        (Role.AUDITOR, {}),
        (Role.STREET_ADMIN, {"area": tree.street_a}),
        (Role.COMMUNITY_STAFF, {"area": tree.comm_a1}),
        (Role.PROVIDER_ADMIN, {"provider": provider}),
        (Role.FAMILY, {}),
    ):
        client.cookies.clear()
        user, _ = make_user(db, role, **binding)
        login(client, user.username)
        resp = client.get("/?lang=en")
        assert resp.status_code == 200, (role, resp.text)
        if role == Role.STREET_ADMIN:
            assert "Active elders by community" in resp.text
            assert 'data-key="elders_active"' in resp.text
        if role == Role.PROVIDER_ADMIN:
            assert "北林中心" in resp.text and 'data-key="staff_active"' in resp.text


def test_out_of_scope_elder_page_is_404(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    other = make_elder(db, tree.comm_b1, name="丰庆老人")
    mine = make_elder(db, tree.comm_a1, name="北林老人")
    admin, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    login(client, admin.username)
    assert client.get(f"/elders/{mine.id}").status_code == 200
    assert client.get(f"/elders/{other.id}").status_code == 404
    assert client.get(f"/elders/{other.id}/edit").status_code == 404
    listing = client.get("/elders").text
    assert "北林老人" in listing and "丰庆老人" not in listing


def test_list_fragment_for_htmx_keeps_a_clean_url(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    make_elder(db, tree.comm_a1, name="王秀英")
    make_elder(db, tree.comm_a1, name="李桂兰")
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin.username)
    resp = client.get(
        "/elders?q=王秀英&street_code=&age=bogus",
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert resp.status_code == 200
    assert "<html" not in resp.text and 'id="results"' in resp.text
    assert 'data-total="1"' in resp.text
    assert resp.headers["HX-Push-Url"] == "/elders?q=%E7%8E%8B%E7%A7%80%E8%8B%B1"


def test_list_masks_as_the_service_does(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    auditor, _ = make_user(db, Role.AUDITOR)
    login(client, auditor.username)
    html = client.get("/elders").text
    assert elder.id_number not in html
    assert elder.id_number[:6] + "*" * 12 in html  # the area code only: nothing to guess from
    assert "138****1234" in html


def test_bad_id_number_shows_next_to_its_field_and_saves_nothing(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    user, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    csrf = login(client, user.username)
    before = elder_count(db)
    form = elder_form(tree.comm_a1.code, id_number="410105194503081234", phone="12")
    resp = client.post("/elders/new?lang=en", data=form | {"csrf_token": csrf})
    assert resp.status_code == 422
    block = field_block(resp.text, "id_number")
    assert "invalid" in block and "checksum" in block
    assert "410105194503081234" in block  # what the user typed is kept
    assert "Not a valid phone number" in field_block(resp.text, "phone")
    assert 'value="张桂兰"' in resp.text
    assert elder_count(db) == before


def test_out_of_area_community_and_contact_phone_are_placed(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    user, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    csrf = login(client, user.username)
    form = elder_form(tree.comm_b1.code, **{"contacts.0.phone": "99999"})
    resp = client.post("/elders/new?lang=en", data=form | {"csrf_token": csrf})
    assert resp.status_code == 422
    assert "your own area" in field_block(resp.text, "community_code")
    assert 'data-error-for="contacts.0.phone"' in resp.text


def test_create_then_edit_an_elder_through_the_forms(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    user, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    csrf = login(client, user.username)
    resp = client.post(
        "/elders/new", data=elder_form(tree.comm_a2.code) | {"csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert resp.status_code == 303, resp.text
    elder_id = int(resp.headers["location"].split("/")[2].split("?")[0])
    elder = db.get(Elder, elder_id)
    assert elder is not None and elder.community_id == tree.comm_a2.id
    page = client.get(f"/elders/{elder_id}/edit?lang=en")
    assert page.status_code == 200 and 'name="version"' in page.text
    form = elder_form(tree.comm_a2.code, id_number=elder.id_number, name="张桂芬")
    form |= {"version": str(elder.version), "status": "active", "csrf_token": csrf}
    bad = client.post(f"/elders/{elder_id}/edit", data=form | {"phone": "123"})
    assert bad.status_code == 422
    db.expire_all()
    assert db.get(Elder, elder_id).name == "张桂兰"  # nothing half-written
    ok = client.post(f"/elders/{elder_id}/edit", data=form, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    db.expire_all()
    assert db.get(Elder, elder_id).name == "张桂芬"
    stale = client.post(f"/elders/{elder_id}/edit?lang=en", data=form)  # the old version again
    assert stale.status_code == 409 and "Someone else changed this record" in stale.text


def test_post_without_csrf_is_refused(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, user.username)
    resp = client.post("/elders/new", data=elder_form(tree.comm_a1.code))
    assert resp.status_code == 403


def test_facility_and_staff_pages(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    mine = make_provider(db, "颐康")
    theirs = make_provider(db, "惠民")
    facility = make_facility(db, tree.street_a, provider=mine, name="文雅中心")
    make_facility(db, tree.street_b, provider=theirs, name="四月天中心")
    make_staff(db, mine, facility=facility, name="刘芳")
    make_staff(db, theirs, name="赵丽", phone="13700002222")
    user, _ = make_user(db, Role.PROVIDER_ADMIN, provider=mine)
    login(client, user.username)
    staff = client.get("/staff").text
    assert "刘芳" in staff and "赵丽" not in staff
    facilities = client.get("/facilities").text
    assert "文雅中心" in facilities and "四月天中心" not in facilities
    assert client.get(f"/facilities/{facility.id}").status_code == 200
    assert client.get("/facilities/new").status_code == 403  # provider admins may not add
    assert client.get("/staff/new").status_code == 200
    assert client.get(f"/providers/{mine.id}").status_code == 200


def test_facility_form_error_is_placed(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, user.username)
    before = db.scalar(select(func.count(Facility.id)))
    resp = client.post(
        "/facilities/new?lang=en",
        data={
            "csrf_token": csrf, "code": "F-NEW", "name": "新中心", "kind": "day_care_centre",
            "street_code": tree.street_a.code, "address": "文化路", "lat": "34.6",
            "lon": "113.4", "beds_long_stay": "-1", "day_places": "0", "meals_per_day": "0",
        },
    )  # fmt: skip
    assert resp.status_code == 422
    assert "at least 0" in field_block(resp.text, "beds_long_stay")
    assert db.scalar(select(func.count(Facility.id))) == before


def test_language_follows_the_switch(client: TestClient, db: Session) -> None:
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, user.username)
    resp = client.get("/lang/en?next=/elders%3Fstatus%3Dactive", follow_redirects=False)
    assert resp.headers["location"] == "/elders?status=active"
    client.cookies.set("yiyang_lang", "en")
    assert "<h1>Elders</h1>" in client.get("/elders").text
    client.cookies.set("yiyang_lang", "zh_CN")
    assert "<h1>老人</h1>" in client.get("/elders").text


def test_community_selector_is_limited_to_the_scope(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    user, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    login(client, user.username)
    form = client.get("/elders/new").text
    assert f'value="{tree.comm_a1.code}"' in form
    for other in (tree.comm_a2, tree.comm_b1, tree.comm_b2):
        assert f'value="{other.code}"' not in form
    client.cookies.clear()
    admin, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_b)
    login(client, admin.username)
    form = client.get("/elders/new").text
    assert f'value="{tree.comm_b1.code}"' in form and f'value="{tree.comm_b2.code}"' in form
    assert f'value="{tree.comm_a1.code}"' not in form


def test_catalog_pages(client: TestClient, db: Session) -> None:
    item = make_catalog_item(db, code="CLEAN_2H")
    user, _ = make_user(db, Role.FAMILY)
    login(client, user.username)
    listing = client.get("/catalog?lang=en")
    assert listing.status_code == 200 and "CLEAN_2H" in listing.text and "¥50.00" in listing.text
    assert client.get(f"/catalog/{item.code}").status_code == 200
    assert client.get("/catalog/NOPE").status_code == 404
