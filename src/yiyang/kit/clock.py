"""The current time, injectable so that rules and tests never read the wall clock directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Aware UTC now; the default clock."""
    return datetime.now(UTC)
