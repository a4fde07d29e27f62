"""How long ago an alert was raised, in words people use, in both languages."""

from __future__ import annotations

import pytest

from yiyang.web.i18n import gettext_for
from yiyang.web.templating import time_ago


@pytest.mark.parametrize(
    ("minutes", "en", "zh"),
    [
        (0, "0 min ago", "0 分钟前"),
        (59, "59 min ago", "59 分钟前"),
        (60, "1 hour ago", "1 小时前"),
        (2879, "47 hours ago", "47 小时前"),
        (3145, "2 days ago", "2 天前"),
    ],
)
def test_minutes_read_as_minutes_hours_or_days(minutes: int, en: str, zh: str) -> None:
    assert time_ago(minutes, gettext_for("en")[1]) == en
    assert time_ago(minutes, gettext_for("zh_CN")[1]) == zh
