"""Pages say words, not codes: the order page, candidates, day plan, catalog and facility pages
read as several roles in both languages, scanned by tests/web/text_scan.py; a 403 in words."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.web.test_order_pages import World, login, place, world  # noqa: F401 (fixture)
from tests.web.text_scan import assert_words, raw_codes
from yiyang.kit.hours import describe, runs
from yiyang.orders.models import ServiceOrder
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceCategory
from yiyang.registry.elders.models import Elder, ElderContact
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.web.i18n import translations

LOCALES = ("zh_CN", "en")


def names_and_addresses(db: Session) -> list[str]:
    """Every name and address of the district: Chinese a reader may meet on English pages."""
    found: list[str] = []
    for model, columns in (
        (Area, ("name",)), (Elder, ("name", "address")), (ElderContact, ("name",)),
        (Facility, ("name", "address")), (Provider, ("name", "address")),
        (Staff, ("name",)), (UserAccount, ("display_name",)),
    ):  # fmt: skip
        for row in db.scalars(select(model)):
            found += [str(getattr(row, c)) for c in columns if getattr(row, c, None)]
    initials = [name[0] for name in found]  # avatars show a person's first character
    return [*found, *initials, "中文"]  # the language switch names itself


@pytest.fixture
def named(db: Session, world: World) -> World:  # noqa: F811
    """The world's service with real names (the builders name it by its code)."""
    world.d.item.name_zh, world.d.item.name_en = "助浴", "Bathing at home"
    category = db.get(ServiceCategory, world.d.item.category_id)
    assert category is not None
    category.name_zh, category.name_en = "生活照料", "Daily living"
    db.flush()
    return world


def _get(client: TestClient, path: str, locale: str) -> str:
    resp = client.get(path, params={"lang": locale})
    assert resp.status_code == 200, (path, resp.status_code, resp.text[:300])
    return resp.text


def test_the_scanner_finds_codes_ids_utc_and_stray_chinese() -> None:
    page = "<p>bath_home #85 at 10:00 UTC 助浴 王芳</p><a href='/x_y'>ok</a>"
    assert raw_codes(page, "en", allowed=["王芳"]) == ["#85", "UTC", "bath_home", "助浴"]
    assert raw_codes(page, "zh_CN") == ["#85", "UTC", "bath_home"]
    assert raw_codes("<p>order.dispatch e.g. this</p>", "en") == ["order.dispatch"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", ["operator", "provider", "admin"])
def test_order_page_reads_in_words(
    client: TestClient, db: Session, named: World, locale: str, role: str
) -> None:
    order_id, _, _ = place(client, named)
    login(client, named.users[role])
    page = _get(client, f"/orders/{order_id}", locale)
    assert_words(page, locale, names_and_addresses(db))
    assert 'data-testid="provider"' in page and 'data-testid="elder-address"' in page
    assert named.d.elder.address in page
    if role != "admin":
        assert 'for="reason-cancel"' in page or "act-form-" not in page  # every box has a label
    if role == "operator":
        assert 'data-testid="act-org_accept"' not in page  # the provider's own word
    if locale == "en":
        assert "Bathing at home" in page


def test_the_operator_sees_no_provider_acceptance_but_the_provider_does(
    client: TestClient, named: World
) -> None:
    order_id, _, _ = place(client, named)
    login(client, named.users["operator"])
    page = client.get(f"/orders/{order_id}").text
    assert 'data-testid="act-org_accept"' not in page and 'data-testid="act-cancel"' in page
    assert 'for="reason-cancel"' in page  # the reason box is labelled
    login(client, named.users["provider"])
    assert 'data-testid="act-org_accept"' in client.get(f"/orders/{order_id}").text


@pytest.mark.parametrize("locale", LOCALES)
def test_candidates_and_day_plan_read_in_words(
    client: TestClient, db: Session, named: World, locale: str
) -> None:
    order_id, _, _ = place(client, named)
    login(client, named.users["operator"])
    allowed = names_and_addresses(db)
    assign = _get(client, f"/dispatch/orders/{order_id}/assign", locale)
    assert_words(assign, locale, allowed)
    detail = _get(client, f"/orders/{order_id}", locale)
    assert 'data-testid="cost-legend"' in detail
    assert_words(_get(client, "/dispatch/day-plan", locale), locale, allowed)
    assert_words(_get(client, "/dispatch/queue", locale), locale, allowed)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", ["operator", "provider", "admin"])
def test_catalog_and_facility_pages_read_in_words(
    client: TestClient, db: Session, named: World, locale: str, role: str
) -> None:
    login(client, named.users[role])
    allowed = names_and_addresses(db)
    named.d.f_a1.opening_hours = {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed")}
    db.flush()
    for path in ("/catalog", f"/catalog/{named.d.item.code}", f"/facilities/{named.d.f_a1.id}"):
        assert_words(_get(client, path, locale), locale, allowed)
    facility = _get(client, f"/facilities/{named.d.f_a1.id}", locale)
    assert ("周一至周三 全天" if locale == "zh_CN" else "Mon–Wed, all day") in facility


def test_opening_hours_group_days_and_say_hours_as_people_do() -> None:
    hours = {
        "mon": ["08:00", "17:30"], "tue": ["08:00", "17:30"], "wed": ["08:00", "17:30"],
        "thu": ["08:00", "17:30"], "fri": ["08:00", "17:30"], "sat": [], "sun": ["00:00", "24:00"],
    }  # fmt: skip
    assert [r[:2] for r in runs(hours)] == [("mon", "fri"), ("sat", "sat"), ("sun", "sun")]
    assert describe(hours, str) == ["Mon–Fri, 8:00–17:30", "Sat, closed", "Sun, all day"]
    zh = translations("zh_CN").gettext
    assert describe({"mon": ["08:00", "17:30"]}, zh) == ["周一 8:00–17:30"]
    assert describe({}, str) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_a_403_says_in_words_what_the_role_may_not_do(
    client: TestClient, db: Session, named: World, locale: str
) -> None:
    family = make_user(db, Role.FAMILY, elder=named.d.elder)[0]
    login(client, family, "/m/order")
    page = client.get("/dispatch/queue", params={"lang": locale})
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "order.dispatch" not in page.text
    sentence = "您的角色不能派单" if locale == "zh_CN" else "Your role may not dispatch orders"
    assert sentence in page.text
    assert_words(page.text, locale, names_and_addresses(db))
    api = client.get("/api/v1/dispatch/queue", headers={"Accept-Language": locale})
    assert api.status_code == 403
    message = api.json()["error"]["message"]
    assert sentence in message and "order.dispatch" not in message


def test_the_order_list_marks_and_filters_orders_served_from_another_street(
    client: TestClient, db: Session, named: World
) -> None:
    order_id, _, _ = place(client, named)
    order = db.get(ServiceOrder, order_id)
    assert order is not None
    login(client, named.users["admin"])
    home = client.get("/orders", params={"cross_street": "1"}).text
    crossing = order.staff_id is not None and (
        db.get_one(Facility, db.get_one(Staff, order.staff_id).facility_id).street_id
        != named.d.elder.street_id
    )
    assert (f'data-order="{order_id}"' in home) == crossing
    far = db.get_one(Staff, named.other_staff.id)
    order.staff_id, order.provider_id = far.id, far.provider_id
    db.flush()
    listed = client.get("/orders", params={"cross_street": "1", "lang": "en"}).text
    assert f'data-order="{order_id}"' in listed and 'data-testid="cross-street"' in listed
    assert 'name="cross_street" value="1" checked' in listed
    assert_words(listed, "en", names_and_addresses(db))


def test_the_district_outline_is_served_and_the_elder_page_maps_the_home(
    client: TestClient, db: Session, named: World
) -> None:
    allowed = [*names_and_addresses(db), "410105"]  # the masked ID number's visible part
    outline = client.get("/geo/district.geojson")
    assert outline.status_code == 200 and outline.json()["type"] == "FeatureCollection"
    login(client, named.users["admin"])
    page = client.get(f"/elders/{named.d.elder.id}").text
    assert 'data-map="elder-home"' in page and 'src="/static/maps.js"' in page
    assert '"lat": ' in page and "<script>" not in page  # data, never code
    for locale in LOCALES:  # the record's times in China time, never "UTC"
        assert_words(_get(client, f"/elders/{named.d.elder.id}", locale), locale, allowed)
