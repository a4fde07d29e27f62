"""Payment shapes in and out: exceptions and their reviews, settlement runs and lines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from yiyang.kit.pagination import Page
from yiyang.kit.types import LongText, Month, RowId

ExceptionState = Literal["open", "asked", "rejected", "approved", "all"]


class ExceptionFilter(BaseModel):
    """Which exceptions to list: a month (China calendar), a provider, a reason, a state."""

    month: Month | None = None
    provider_id: RowId | None = None
    reason: str | None = Field(default=None, max_length=32)
    state: ExceptionState = "open"


class ReviewIn(BaseModel):
    """A reviewer's decision (approve, reject, ask) or a provider's answer, with a reason."""

    decision: str = Field(max_length=16)
    reason: LongText | None = Field(default=None, max_length=2000)


class Worded(BaseModel):
    """A reason code with its words in the reader's language."""

    code: str
    words: str


class ReviewRead(BaseModel):
    """One stored review."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    at: datetime
    by_name: str
    by_role: str
    decision: str
    reason: str


class ExceptionRead(BaseModel):
    """A delivered visit that cannot be paid as it stands, with its reasons in words."""

    order_id: int
    month: str
    service_date: date
    elder_name: str
    street_name: str
    service_name: str
    service_name_en: str | None
    provider_id: int | None
    provider_name: str | None
    caregiver_name: str | None
    price_fen: int
    window_start_at: datetime
    window_end_at: datetime
    check_in_at: datetime | None
    check_out_at: datetime | None
    duration_min: int | None
    payable: bool
    state: str
    reasons: list[Worded]
    reviews: list[ReviewRead]


class ExceptionPage(Page[ExceptionRead]):
    """One page of the exceptions queue, and what every match holds back (fen)."""

    total_fen: int = 0


class RunCreate(BaseModel):
    """Prepare the draft run of a month, for one provider or every provider in scope."""

    month: Month
    provider_id: RowId | None = None


class LineRead(BaseModel):
    """One line of a run."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    order_id: int
    elder_name: str
    service_name_zh: str
    service_name_en: str | None
    service_date: date
    price_fen: int
    government_fen: int
    elder_fen: int
    reasons: list[str]
    for_month: str | None


class RunSums(BaseModel):
    """What several runs add up to."""

    model_config = ConfigDict(from_attributes=True)

    count: int
    total_fen: int
    government_fen: int
    elder_fen: int
    excluded: int


class RunRead(BaseModel):
    """A run with its totals (for a street admin: its street's part) and, when asked, lines."""

    id: int
    month: str
    provider_id: int
    provider_name: str
    status: str
    created_at: datetime
    created_by: str
    computed_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    count: int
    total_fen: int
    government_fen: int
    elder_fen: int
    excluded: int
    lines: list[LineRead] = []


class RunPage(Page[RunRead]):
    """One page of runs, and the sums of every run that matches (a street's part for a street)."""

    sums: RunSums
