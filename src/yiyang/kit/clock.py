"""The current time, injectable so that rules and tests never read the wall clock directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Aware UTC now; the default clock."""
    return datetime.now(UTC)


def local_today(now: datetime) -> date:
    """The calendar date in China for an aware instant (ages and price dates use it)."""
    return now.astimezone(CHINA_TZ).date()
