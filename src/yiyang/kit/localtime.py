"""Local time in China: the zone and the calendar day of an instant (pure, no clock)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_today(now: datetime) -> date:
    """The calendar date in China for an aware instant (ages and price dates use it)."""
    return now.astimezone(CHINA_TZ).date()
