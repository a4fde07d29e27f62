"""Pydantic shapes of dispatch: decisions, candidates, manual assignment, the dispatched order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from yiyang.orders.schemas import OrderRead


class AssignIn(BaseModel):
    """A dispatcher's manual assignment (a reason is required)."""

    staff_id: int
    reason: str = Field(min_length=1, max_length=500)
    pin: bool = False
    override_busy: bool = False  # assign even though the caregiver has a visit at that time


class DecisionRead(BaseModel):
    """One dispatch decision with the candidates weighed and a short explanation."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    attempt: int
    tier: str | None
    winner_staff_id: int | None
    winner_provider_id: int | None
    travel_min: float | None
    candidates: list[Any]
    rejected: dict[str, Any]
    unplaceable_reason: str | None
    explanation: str  # in the request's language
    explanation_lines: list[dict[str, Any]]  # {"t": template, "p": params}, as stored
    outcome: str
    manual: bool
    decided_by_id: int | None
    reason: str | None
    busy_overridden: bool


class CandidateRead(BaseModel):
    """A caregiver a dispatcher may assign to an order, ranked the planner's way."""

    staff_id: int
    name: str
    code: str
    provider: str
    facility: str
    tier: str
    travel_min: float
    start: datetime | None  # the earliest start in the caregiver's best free gap
    load_share: float
    visits_before: int
    feasible: bool  # automatic dispatch itself could choose this caregiver
    reason: str | None  # why not: busy, shift, capacity, skill
    reason_label: str | None  # the reason in the request's language
    missing_skills: list[str]
    refused_before: bool
    current: bool  # the order's caregiver now


class OrderDetail(OrderRead):
    """The full order with every dispatch decision, oldest first."""

    decisions: list[DecisionRead]
