"""Shapes of alarm handling in and out: the actions' bodies, the queue, the timeline, figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from yiyang.alarms.handling.rules import CallResult
from yiyang.kit.types import LongText, PlainText, RowId

Note = LongText


class CallRequest(BaseModel):
    """Call the elder or one of the contacts: through the voice port (no `result`), or a call
    the operator made on their own phone, logged by hand with its result."""

    target: Literal["elder", "contact"]
    contact_id: RowId | None = None
    result: CallResult | None = None
    note: Note | None = Field(default=None, max_length=2000)


class CallLog(BaseModel):
    """The result of an earlier call (the step id of that call)."""

    call_step_id: RowId
    result: CallResult
    note: Note | None = Field(default=None, max_length=2000)


class Call120(BaseModel):
    """120 was called; what was said (optional)."""

    note: Note | None = Field(default=None, max_length=2000)


class NoteIn(BaseModel):
    """A note on the timeline."""

    text: Note = Field(min_length=1, max_length=4000)


class ResolveIn(BaseModel):
    """The situation is handled; what was done (optional)."""

    note: Note | None = Field(default=None, max_length=2000)


class CloseIn(BaseModel):
    """Close with a disposition code (a note is required for "other")."""

    disposition: PlainText | None = Field(default=None, max_length=24)
    note: Note | None = Field(default=None, max_length=2000)


class ReviewIn(BaseModel):
    """A supervisor's finding on a closed alarm (closes its open review tickets)."""

    finding: Note = Field(min_length=1, max_length=4000)


class QueueFilter(BaseModel):
    """Which alarms the queue shows: `open` (not closed), `waiting` (nobody took it yet),
    `mine` (acknowledged by me and open), `closed` (closed today); by type and street."""

    view: Literal["open", "waiting", "mine", "closed"] = "open"
    type: PlainText | None = Field(default=None, max_length=24)
    street_code: PlainText | None = Field(default=None, max_length=12)


class StepRead(BaseModel):
    """One entry of the timeline: who, when, what and why."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    action: str
    by_name: str
    by_role: str | None
    text: str | None
    data: dict[str, Any]


class AlarmRead(BaseModel):
    """An alarm as a queue row shows it."""

    id: int
    type: str
    severity: int
    status: str
    elder_id: int | None
    elder_name: str | None
    device_id: int | None
    order_id: int | None
    street_id: int | None
    community_id: int | None
    raised_at: datetime
    last_at: datetime
    repeats: int
    escalation: int
    risk: int
    waiting_seconds: int
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    cleared_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    disposition: str | None
    allowed: list[str]


class ReviewRead(BaseModel):
    """A review ticket."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    alarm_id: int
    reason: str
    opened_at: datetime
    reviewed_at: datetime | None
    reviewed_by_id: int | None
    finding: str | None


class AlarmDetail(AlarmRead):
    """An alarm with its whole timeline and its review tickets."""

    acknowledged_by: str | None
    steps: list[StepRead]
    reviews: list[ReviewRead]


class ComplianceRead(BaseModel):
    """Share answered within a limit today, against its target."""

    within_seconds: int
    target: float
    answered: int
    counted: int
    share: float | None
    met: bool | None


class OperatorLoad(BaseModel):
    """One operator's open alarms and those handled today."""

    user_id: int
    name: str
    holding: int
    handled_today: int


class Figures(BaseModel):
    """What a supervisor watches."""

    at: datetime
    open: int
    waiting: int
    compliance: list[ComplianceRead]
    operators: list[OperatorLoad]
    open_reviews: list[ReviewRead]
