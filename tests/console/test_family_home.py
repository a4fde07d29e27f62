"""The family's phone home and booking ahead: truthful status words, a date and a time, bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import FakeClock
from tests.web.test_order_pages import KEY, World, login, place
from tests.web.test_order_pages import world as world  # the fixture
from yiyang.orders.models import ServiceOrder

CODES = re.compile(r"\b[a-z]+_[a-z_]+\b")


def visible(html: str) -> str:
    """The page's text without tags, attributes, scripts and styles."""
    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", body))


def post(client: TestClient, csrf: str, order_id: int, action: str, **data: str) -> None:
    resp = client.post(
        f"/m/visits/{order_id}/{action}", data={"csrf_token": csrf} | data, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text


def named(world: World) -> None:
    """The builder names its item by its code: give it the catalogue's names."""
    world.d.item.name_zh, world.d.item.name_en = "助浴·上门助浴", "Bathing at home"


def test_family_lands_on_the_phone_home_with_truthful_words(
    client: TestClient, db: Session, world: World
) -> None:
    named(world)
    order_id, _, _ = place(client, world)  # bathing, tomorrow afternoon
    assert client.get("/", follow_redirects=False).headers["location"] == "/m/home"
    home = client.get("/m/home?lang=en")
    assert home.status_code == 200 and "being prepared" not in home.text
    text = visible(home.text)
    assert "Booked for tomorrow 14:00" in text
    assert "We are finding a caregiver for this visit." in text and "on the way" not in text
    login(client, world.users["provider"])
    csrf = login(client, world.users["provider"], f"/orders/{order_id}")
    client.post(f"/orders/{order_id}/act", data={"csrf_token": csrf, "event": "org_accept"})
    csrf = login(client, world.users["caregiver"], "/m/today")
    post(client, csrf, order_id, "answer", accept="1")

    login(client, world.users["family"], "/m/home")
    text = visible(client.get("/m/home?lang=en").text)
    assert "Booked for tomorrow 14:00" in text and "赵丽 from" in text
    assert "on the way" not in text and "Caregiver accepted" not in text
    assert not CODES.findall(text) and not re.search(r"#\d+|UTC", text)
    zh = visible(client.get("/m/home?lang=zh_CN").text)
    assert "已预约：明天 14:00" in zh and "已推送给服务机构" not in zh and "路上" not in zh
    assert "致电服务中心" in zh or "拨打 12349" in zh

    csrf = login(client, world.users["caregiver"], "/m/today")
    post(client, csrf, order_id, "depart")
    login(client, world.users["family"], "/m/home")
    assert "赵丽 is on the way" in visible(client.get("/m/home?lang=en").text)
    follow = visible(client.get(f"/m/orders/{order_id}?lang=en").text)
    assert "赵丽 is on the way" in follow


def test_history_offers_rating_and_order_again(
    client: TestClient, db: Session, world: World, clock: FakeClock
) -> None:
    order_id, _, _ = place(client, world)
    order = db.get_one(ServiceOrder, order_id)
    order.status = "completed"  # as after check-out
    db.flush()
    page = client.get("/m/home?lang=en")
    assert 'data-testid="rate-now"' in page.text
    assert 'href="/m/order/bath_home?day=tomorrow&amp;slot=at&amp;at=14:00"' in page.text
    again = client.get("/m/order/bath_home?day=tomorrow&slot=at&at=14:00")
    assert 'data-testid="quote"' in again.text


def test_booking_ahead_on_a_chosen_day_at_a_chosen_time(
    client: TestClient, db: Session, world: World, clock: FakeClock
) -> None:
    csrf = login(client, world.users["family"], "/m/order")
    picker = client.get("/m/order/bath_home", params={"day": "date", "on": "2026-12-03"})
    assert 'type="date"' in picker.text and 'max="2026-12-07"' in picker.text
    page = client.get(
        "/m/order/bath_home",
        params={"day": "date", "on": "2026-12-03", "slot": "at", "at": "10:30"},
    )
    assert 'data-testid="quote"' in page.text
    key = KEY.search(page.text)
    assert key
    form = {
        "csrf_token": csrf, "idempotency_key": key.group(1), "item_code": "bath_home",
        "day": "date", "on": "2026-12-03", "slot": "at", "at": "10:30",
    }  # fmt: skip
    resp = client.post("/m/order", data=form, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    order = db.get_one(ServiceOrder, int(resp.headers["location"].rsplit("/", 1)[1]))
    assert order.window_start_at.replace(tzinfo=UTC) == datetime(2026, 12, 3, 2, 30, tzinfo=UTC)


def test_bad_days_and_times_are_refused_on_their_field_in_words(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = login(client, world.users["family"], "/m/order")
    db.commit()  # a refused order rolls the request back: keep the world and the login
    before = db.scalar(select(ServiceOrder.id).order_by(ServiceOrder.id.desc()))
    for on, at, field, words in (
        ("2026-13-40", "10:00", "day", "Choose a day from the calendar"),
        ("2026-12-30", "10:00", "day", "Orders can be placed at most 14 days ahead."),
        ("2026-11-20", "10:00", "day", "That day is in the past."),
        ("2026-11-30", "25:00", "at", "Enter a time such as 09:30."),
        ("2026-11-30", "05:00", "at", "Choose a time between 07:00 and 20:00."),
    ):
        form = {
            "csrf_token": csrf, "idempotency_key": f"k-{on}-{at}", "item_code": "bath_home",
            "day": "date", "on": on, "slot": "at", "at": at,
        }  # fmt: skip
        resp = client.post("/m/order?lang=en", data=form, follow_redirects=False)
        assert resp.status_code == 422, (on, at, visible(resp.text))
        assert f'data-error-for="{field}"' in resp.text and words in resp.text, visible(resp.text)
        assert "window_start" not in visible(resp.text)
        page = client.get(
            "/m/order/bath_home",
            params={"lang": "en", "day": "date", "on": on, "slot": "at", "at": at},
        )
        assert (
            page.status_code == 200
            and words in page.text
            and 'data-testid="quote"' not in page.text
        )
    assert db.scalar(select(ServiceOrder.id).order_by(ServiceOrder.id.desc())) == before
