"""Shapes of an elder's alarm thresholds in and out of the JSON API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from yiyang.kit.types import PlainText
from yiyang.protocols.vocabulary import Metric

HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class ThresholdIn(BaseModel):
    """An elder's own limits for one metric; empty sides are not watched.

    The window (local HH:MM, may wrap past midnight) limits when the rule fires; silence is
    how long after firing it stays quiet unless the value gets worse.
    """

    major_high: float | None = Field(default=None, ge=0, le=1000)
    critical_high: float | None = Field(default=None, ge=0, le=1000)
    major_low: float | None = Field(default=None, ge=0, le=1000)
    critical_low: float | None = Field(default=None, ge=0, le=1000)
    consecutive: int | None = Field(default=None, ge=1, le=20)
    window_start: str | None = Field(default=None, pattern=HHMM)
    window_end: str | None = Field(default=None, pattern=HHMM)
    silence_minutes: int | None = Field(default=None, ge=0, le=1440)
    note: PlainText | None = Field(default=None, max_length=256)


class ThresholdRead(BaseModel):
    """The limits in force for one metric: the elder's own, or the defaults."""

    metric: Metric
    unit: str
    own: bool  # the elder's own (true) or the defaults (false)
    major_high: float | None
    critical_high: float | None
    major_low: float | None
    critical_low: float | None
    consecutive: int
    window_start: str | None
    window_end: str | None
    silence_minutes: int
    note: str | None = None
    set_by: str | None = None
    set_at: datetime | None = None
