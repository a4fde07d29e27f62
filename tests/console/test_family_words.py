"""The family's words for an order's status: truthful, never the platform's internal states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yiyang.console.family_words import family_status, when_words
from yiyang.orders.schemas import OrderListItem
from yiyang.security.disclosure import Viewer, disclosed
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Zhengzhou
TOMORROW_9 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
INTERNAL = ("已推送给服务机构", "Offered to a provider", "Caregiver accepted", "caregiver_accepted")


def order(status: str, start: datetime = TOMORROW_9, **more: object) -> OrderListItem:
    values: dict[str, object] = {
        "id": 7, "elder_id": 1, "elder_name": "王秀英", "item_code": "bath_home",
        "item_name": "助浴", "item_name_en": "Bathing", "channel": "app", "window_start": start,
        "window_end": start + timedelta(hours=2), "service_date": start.date(), "status": status,
        "provider_id": None, "provider_status": None, "staff_id": None, "caregiver_status": None,
        "price_fen": 8000, "government_fen": 0, "elder_fen": 8000, "created_at": NOW,
    }  # fmt: skip
    values.update(more)
    staff = Subject(user_id=1, username="o", display_name="o", role=Role.OPERATOR)
    return disclosed(OrderListItem, Viewer(staff), values)


def test_accepted_for_tomorrow_is_booked_with_who_and_where_not_on_the_way() -> None:
    accepted = order("caregiver_accepted", staff_name="张三", facility_name="文雅社区日间照料中心")
    words = family_status("en", accepted, NOW)
    assert words.headline == "Booked for tomorrow 09:00"
    assert words.detail == "张三 from 文雅社区日间照料中心 will come."
    assert "way" not in words.headline + words.detail
    zh = family_status("zh_CN", accepted, NOW)
    assert zh.headline == "已预约：明天 09:00"
    assert "路上" not in zh.headline + zh.detail


def test_on_the_way_only_once_the_caregiver_set_out() -> None:
    moving = order("on_the_way", staff_name="张三", planned_start=TOMORROW_9)
    assert family_status("en", moving, NOW).headline == "张三 is on the way"
    assert family_status("zh_CN", moving, NOW).headline == "张三正在路上"


@pytest.mark.parametrize(
    "status", ["created", "priced", "queued", "offered", "org_accepted", "assigned", "org_refused"]
)
def test_while_dispatch_works_the_family_reads_booked_and_finding(status: str) -> None:
    for locale in ("en", "zh_CN"):
        words = family_status(locale, order(status), NOW)
        text = words.headline + words.detail
        assert not any(code in text for code in INTERNAL)
    assert family_status("en", order(status), NOW).detail == (
        "We are finding a caregiver for this visit."
    )


def test_done_asks_for_a_rating_until_rated() -> None:
    done = order("completed", start=NOW - timedelta(days=2))
    assert family_status("en", done, NOW).detail == "Please tell us how it went."
    assert family_status("en", done, NOW, rated=True).detail == "Thank you for your rating."
    assert family_status("en", order("no_show"), NOW).tone == "bad"


def test_when_words_say_today_tomorrow_or_the_day() -> None:
    assert when_words("en", NOW + timedelta(hours=1), NOW) == "today 10:00"
    assert when_words("zh_CN", TOMORROW_9, NOW) == "明天 09:00"
    assert when_words("en", TOMORROW_9 + timedelta(days=3), NOW) == "Fri, Nov 27 09:00"
