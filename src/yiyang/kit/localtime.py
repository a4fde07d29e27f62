"""Local time in China: the zone and the calendar day of an instant (pure, no clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_today(now: datetime) -> date:
    """The calendar date in China for an aware instant (ages and price dates use it)."""
    return now.astimezone(CHINA_TZ).date()


def local_text(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored instant as people here read it, in China time ("" when there is none).

    A naive value is UTC (SQLite hands them back so).
    """
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_TZ).strftime(fmt)
