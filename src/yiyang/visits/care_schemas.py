"""Shapes of aftercare in and out: complaint steps, the return-visit queue and its results."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from yiyang.kit.types import LongText, RowId
from yiyang.visits.care_rules import CallResult, Outcome
from yiyang.visits.schemas import ComplaintRead


class ComplaintAssign(BaseModel):
    """Hand a complaint to a provider (it answers for its caregivers) or to a person."""

    provider_id: RowId | None = None
    user_id: RowId | None = None
    note: LongText | None = Field(default=None, max_length=2000)


class ComplaintRespond(BaseModel):
    """The answer of whoever the complaint was handed to."""

    text: LongText = Field(min_length=1, max_length=4000)


class ComplaintClose(BaseModel):
    """The end of a complaint: one outcome of the list and what was done, in words."""

    outcome: Outcome
    text: LongText = Field(min_length=1, max_length=4000)


class ComplaintStepRead(BaseModel):
    """One handling step: what, who, when."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    by_name: str
    by_role: str
    to_name: str | None
    outcome: str | None
    text: str | None


class ComplaintDetail(ComplaintRead):
    """A complaint with where it stands and every step so far."""

    assigned_at: datetime | None
    responded_at: datetime | None
    response: str | None
    resolved_at: datetime | None
    outcome: str | None
    resolution: str | None
    steps: list[ComplaintStepRead] = []


class CallIn(BaseModel):
    """The result of one return-visit call."""

    result: CallResult
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    notes: LongText | None = Field(default=None, max_length=2000)


class DueRead(BaseModel):
    """One call-back of the queue."""

    id: int
    order_id: int
    due_date: date
    attempts: int
    done: bool
    last_result: str | None


class DueSummary(BaseModel):
    """What an operator's work page shows of return visits: counts and the first few."""

    due_today: int
    overdue: int
    first: list[DueRead]
